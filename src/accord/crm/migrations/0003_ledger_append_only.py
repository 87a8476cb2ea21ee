"""The lifecycle ledger is append-only: the database itself refuses UPDATE on its rows."""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER crm_ledgerentry_no_update BEFORE UPDATE ON crm_ledgerentry
BEGIN SELECT RAISE(ABORT, 'the lifecycle ledger is append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS crm_ledgerentry_no_update;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION crm_ledgerentry_refuse_update() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the lifecycle ledger is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER crm_ledgerentry_no_update BEFORE UPDATE ON crm_ledgerentry
FOR EACH ROW EXECUTE FUNCTION crm_ledgerentry_refuse_update();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS crm_ledgerentry_no_update ON crm_ledgerentry;
DROP FUNCTION IF EXISTS crm_ledgerentry_refuse_update();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
