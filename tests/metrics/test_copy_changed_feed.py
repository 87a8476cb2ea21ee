"""The copies read a changed record (a contact, a deal …) from a horizon taken before the
previous sync read, not from the latest `updated_at` they copied: a row stamped before one
already copied but committing after it (a transaction that ran long, a writer that waited
for SQLite's lock) still reaches both copies. On PostgreSQL the horizon follows the oldest
open transaction, tested with a real second connection holding one open."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from accord.crm.models import Contact
from accord.identity.models import Workspace
from accord.metrics import clickhouse, clickhouse_copy, columnar, copy_feed
from accord.metrics.sql import PLACEHOLDER
from tests.metrics.test_clickhouse_engine import analytics  # noqa: F401 - a fixture

COPIES = {"duckdb": columnar.sync, "clickhouse": clickhouse_copy.sync}


def sync_both() -> None:
    for sync in COPIES.values():
        sync()


def stage_in_copies(contact_id: int) -> dict[str, Any]:
    sql = "SELECT lifecycle_stage FROM crm_contact WHERE id = ?"
    return {
        "duckdb": columnar.read(sql, [contact_id]),
        "clickhouse": clickhouse.query(
            sql.replace(" WHERE", " FINAL WHERE").replace("?", PLACEHOLDER), [contact_id]
        ),
    }


@pytest.mark.django_db
def test_a_change_stamped_before_a_copied_one_but_committed_after_reaches_both_copies(
    workspace: Workspace,
) -> None:
    late, early = (
        Contact.objects.create(workspace=workspace, email=f"{n}@x.example") for n in "ab"
    )
    sync_both()
    now = timezone.now()
    Contact.objects.for_workspace(workspace).filter(pk=early.pk).update(
        lifecycle_stage="sql", updated_at=now
    )
    sync_both()  # copies the later stamp first
    stamped = now - copy_feed.SETTLE / 2  # stamped earlier, committed only now
    Contact.objects.for_workspace(workspace).filter(pk=late.pk).update(
        lifecycle_stage="mql", updated_at=stamped
    )
    sync_both()
    assert stage_in_copies(late.pk) == {"duckdb": [("mql",)], "clickhouse": [("mql",)]}
    assert stage_in_copies(early.pk) == {"duckdb": [("sql",)], "clickhouse": [("sql",)]}


def test_the_horizon_on_sqlite_is_the_sync_time_less_the_settling_time() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's horizon")
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    horizon = copy_feed.changed_horizon()
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert before - copy_feed.SETTLE <= horizon <= after - copy_feed.SETTLE


@pytest.mark.django_db(transaction=True)
def test_an_open_postgresql_transaction_holds_the_horizon_back(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second connection changes a contact and keeps its transaction open while another
    change commits and both copies sync; once it commits, the next sync copies its change.
    SETTLE is zero here, so only the open transaction holds the horizon back."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's open transactions")
    monkeypatch.setattr(copy_feed, "SETTLE", dt.timedelta(0))
    late, early = (
        Contact.objects.create(workspace=workspace, email=f"{n}@x.example") for n in "cd"
    )
    sync_both()
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as other:
        other.execute(
            "UPDATE crm_contact SET lifecycle_stage = 'mql', updated_at = clock_timestamp() "
            "WHERE id = %s",
            [late.pk],
        )
        (opened,) = other.execute("SELECT transaction_timestamp()").fetchone()  # type: ignore[misc]
        horizon = copy_feed.changed_horizon()
        assert horizon <= opened.astimezone(dt.UTC).replace(tzinfo=None)
        Contact.objects.for_workspace(workspace).filter(pk=early.pk).update(
            lifecycle_stage="sql", updated_at=timezone.now()
        )
        sync_both()  # copies the later stamp while the earlier one is not committed
        before = (late.lifecycle_stage,)  # as copied before the change
        assert stage_in_copies(late.pk) == {"duckdb": [before], "clickhouse": [before]}
        other.commit()
    sync_both()
    assert stage_in_copies(late.pk) == {"duckdb": [("mql",)], "clickhouse": [("mql",)]}
    assert stage_in_copies(early.pk) == {"duckdb": [("sql",)], "clickhouse": [("sql",)]}
