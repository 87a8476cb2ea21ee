"""Drop single-column indexes that composite indexes already cover: every query names the
workspace (contact_ws_stage, ledger_ws_time, ledger_ws_to_time), and each index costs every
insert into the two largest tables (an import writes one contact and one ledger row a row).

Only the indexes are dropped: Django's own AlterField would rebuild both tables on SQLite, and
with them the ledger's append-only triggers."""

from django.db import migrations, models

# The indexes Django named for the fields (PostgreSQL adds a `_like` one for text lookups).
INDEXES = [
    ("crm_contact_lifecycle_stage_c8b1a715", "crm_contact", "lifecycle_stage"),
    ("crm_ledgerentry_from_stage_766986ad", "crm_ledgerentry", "from_stage"),
    ("crm_ledgerentry_to_stage_7076634f", "crm_ledgerentry", "to_stage"),
]


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}_like"')


def recreate(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, table, column in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_updated_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="lifecycle_stage",
                    field=models.SlugField(db_index=False, max_length=32),
                ),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="from_stage",
                    field=models.SlugField(blank=True, db_index=False, max_length=32),
                ),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="to_stage",
                    field=models.SlugField(db_index=False, max_length=32),
                ),
            ],
            database_operations=[migrations.RunPython(drop, recreate)],
        )
    ]
