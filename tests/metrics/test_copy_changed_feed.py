"""The copies read a changed record (a contact, a deal …) from a horizon taken before the
previous sync read, not from the latest `updated_at` they copied: a row stamped before one
already copied but committing after it (a transaction that ran long, a writer that waited
for SQLite's lock) still reaches both copies. On PostgreSQL the horizon follows the oldest
open transaction, tested with a real second connection holding one open."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
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


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_the_horizon_moves_only_while_no_writer_holds_the_lock() -> None:
    """WAL lets a sync read while a write transaction is open: the horizon then stays where it
    was (and a new copy's starts two hours back), else it is the sync's time less SETTLE."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's horizon")
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    horizon = copy_feed.changed_horizon(None)
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert before - copy_feed.SETTLE <= horizon <= after - copy_feed.SETTLE
    with _sqlite_writer():
        assert copy_feed.changed_horizon(horizon) == horizon
        floor = copy_feed.changed_horizon(None)
        assert floor <= before - copy_feed.GAP_PATIENCE - copy_feed.SETTLE + dt.timedelta(seconds=5)
    assert copy_feed.changed_horizon(horizon) > horizon


@contextmanager
def _sqlite_writer() -> Iterator[sqlite3.Connection]:
    """A write transaction open on another connection to the test database."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_long_sqlite_write_transaction_reaches_both_copies(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction stamps a contact, stays open while both copies sync (WAL lets them read),
    and commits later than the stamp plus SETTLE (zero here): the next sync copies it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr(copy_feed, "SETTLE", dt.timedelta(0))
    late = Contact.objects.create(workspace=workspace, email="e@x.example")
    sync_both()
    with _sqlite_writer() as other:
        stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        other.execute(
            "UPDATE crm_contact SET lifecycle_stage = 'mql', updated_at = ? WHERE id = ?",
            [str(stamp), late.pk],  # Django's text for a naive UTC time
        )
        sync_both()  # reads while the transaction is open
        other.execute("COMMIT")
        other.execute("BEGIN")  # for the context's ROLLBACK
    sync_both()
    assert stage_in_copies(late.pk) == {"duckdb": [("mql",)], "clickhouse": [("mql",)]}


@pytest.mark.django_db(transaction=True)
def test_a_quiet_sync_moves_the_clickhouse_horizon(workspace: Workspace) -> None:
    """With nothing new the watermark still moves, so what the settling window read once is not
    read again at every later sync."""
    Contact.objects.create(workspace=workspace, email="f@x.example")
    sync_both()
    sql = "SELECT max(settled) FROM accord_sync FINAL WHERE table_name = " + PLACEHOLDER  # noqa: S608
    (first,) = clickhouse.query(sql, ["crm_contact"])
    assert not any(clickhouse_copy.sync().values())
    (later,) = clickhouse.query(sql, ["crm_contact"])
    assert later[0] > first[0]


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
        opened_at = opened.astimezone(dt.UTC).replace(tzinfo=None)
        assert copy_feed.changed_horizon(None) <= opened_at
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


@pytest.mark.django_db(transaction=True)
def test_the_postgresql_horizon_sees_a_transaction_opened_within_the_syncs_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Activity statistics are a snapshot kept for the rest of a transaction: a sync inside one
    still sees a transaction another connection opened after the statistics were first read."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's activity statistics")
    monkeypatch.setattr(copy_feed, "SETTLE", dt.timedelta(0))
    with transaction.atomic():
        connection.cursor().execute("SELECT count(*) FROM pg_stat_activity")
        with psycopg.connect(**connection.get_connection_params(), autocommit=False) as other:
            (opened,) = other.execute("SELECT transaction_timestamp()").fetchone()  # type: ignore[misc]
            opened_at = opened.astimezone(dt.UTC).replace(tzinfo=None)
            assert copy_feed.changed_horizon(None) <= opened_at
