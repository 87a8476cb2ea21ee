"""Each contact's first marketing touch, as a view: the metrics' queries read
`marketing_firsttouch` on every engine (the columnar copy keeps it as a table, updated as
touchpoints arrive), so "touched before the deal was created" is written once."""

from django.db import migrations

CREATE = """
CREATE VIEW marketing_firsttouch AS
SELECT contact_id, min(occurred_at) AS first_touch_at
FROM marketing_touchpoint GROUP BY contact_id
"""


class Migration(migrations.Migration):
    dependencies = [("marketing", "0003_alter_touchpoint_type")]

    operations = [migrations.RunSQL(CREATE, "DROP VIEW marketing_firsttouch")]
