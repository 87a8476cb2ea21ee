"""Drop the touchpoint's single-column foreign-key indexes: touch_contact_time and
touch_campaign_time start with the same columns, and each index costs every one of the
workspace's millions of touchpoint inserts (the inbound events API, imports).

Only the indexes are dropped: Django's own AlterField would rebuild the table on SQLite."""

import django.db.models.deletion
from django.db import migrations, models

RECREATE = [
    ("marketing_touchpoint_contact_id_7e4aa4a8", "contact_id"),
    ("marketing_touchpoint_campaign_id_1af1804c", "campaign_id"),
]


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, _column in RECREATE:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def recreate(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, column in RECREATE:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "marketing_touchpoint" ("{column}")'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_covered_indexes"),
        ("marketing", "0006_enablement_calendar"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="touchpoint",
                    name="campaign",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="touchpoints",
                        to="marketing.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="touchpoint",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="touchpoints",
                        to="crm.contact",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, recreate)],
        )
    ]
