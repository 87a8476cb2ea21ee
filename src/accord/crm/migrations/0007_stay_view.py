"""Each stay in a lifecycle stage, as a view over the ledger: the stage a contact entered with one
transition and left with the next. The metrics' queries read `crm_stay` on every engine (the
columnar copy keeps it as a table, recomputed for the contacts whose ledger grew), so time in
stage is written once. Partitioned by workspace first, so a query naming the workspace reads
only that workspace's ledger."""

from django.db import migrations

CREATE = """
CREATE VIEW crm_stay AS
SELECT id, workspace_id, contact_id, occurred_at AS left_at,
       lag(occurred_at) OVER w AS entered_at,
       lag(to_stage) OVER w AS stage,
       lag(definition_version) OVER w AS definition_version
FROM crm_ledgerentry
WINDOW w AS (PARTITION BY workspace_id, contact_id ORDER BY occurred_at, id)
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_contact_updated_index")]

    operations = [migrations.RunSQL(CREATE, "DROP VIEW crm_stay")]
