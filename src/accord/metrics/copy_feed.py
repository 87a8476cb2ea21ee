"""What the record store feeds every analytics copy (the embedded DuckDB copy,
`metrics.columnar`, and ClickHouse, `metrics.clickhouse_copy`): the tables and columns, how each
table is fed (new ids, a later `updated_at`, or whole), the record-store reads in batches, and
the rule for ids that commit out of order. Each copy keeps its own bookkeeping in its engine."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from django.db import connection

from accord.core.normalise import email_domain_sql

BATCH = 50_000


@dataclass(frozen=True)
class Table:
    name: str
    feed: Literal["append", "changed", "whole"]
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type); the first is the primary key


TABLES: tuple[Table, ...] = (
    Table("crm_contact", "changed", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"), ("original_source", "VARCHAR"), ("owner_id", "BIGINT"),
        ("lifecycle_stage", "VARCHAR"), ("company_id", "BIGINT"), ("utm_campaign", "VARCHAR"),
        # What lead definitions' fit rules read (a re-score or back-test reads them from here):
        ("title", "VARCHAR"), ("seniority", "VARCHAR"), ("department", "VARCHAR"),
        ("country", "VARCHAR"), ("email_domain", "VARCHAR"),
    )),
    Table("crm_ledgerentry", "append", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("contact_id", "BIGINT"),
        ("from_stage", "VARCHAR"), ("to_stage", "VARCHAR"), ("occurred_at", "TIMESTAMP"),
        ("definition_version", "VARCHAR"),
    )),
    Table("crm_company", "changed", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("updated_at", "TIMESTAMP"),
        ("employee_count", "BIGINT"), ("industry", "VARCHAR"), ("country", "VARCHAR"),
    )),
    Table("crm_deal", "changed", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"), ("status", "VARCHAR"), ("amount", "DECIMAL(14, 2)"),
        ("owner_id", "BIGINT"), ("company_id", "BIGINT"), ("primary_contact_id", "BIGINT"),
        ("closed_at", "TIMESTAMP"), ("source", "VARCHAR"), ("stage_id", "BIGINT"),
    )),
    Table("crm_dealstagechange", "append", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("deal_id", "BIGINT"),
        ("to_stage_id", "BIGINT"), ("amount", "DECIMAL(14, 2)"), ("occurred_at", "TIMESTAMP"),
    )),
    Table("crm_pipelinestage", "changed", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("updated_at", "TIMESTAMP"),
        ("pipeline_id", "BIGINT"), ("key", "VARCHAR"), ("label", "VARCHAR"),
        ("position", "BIGINT"), ("outcome", "VARCHAR"),
    )),
    Table("marketing_touchpoint", "append", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("contact_id", "BIGINT"),
        ("campaign_id", "BIGINT"), ("channel", "VARCHAR"), ("type", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"), ("utm_content", "VARCHAR"),
    )),
    # Sales activities are logged, and edited or deleted only through the services, which
    # journal it (`core.copy_changes`): fed by id like touchpoints.
    Table("crm_activity", "append", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("contact_id", "BIGINT"),
        ("kind", "VARCHAR"), ("occurred_at", "TIMESTAMP"),
    )),
    Table("marketing_campaign", "changed", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("updated_at", "TIMESTAMP"),
        ("name", "VARCHAR"), ("channel", "VARCHAR"), ("utm_campaign", "VARCHAR"),
    )),
    Table("marketing_campaigncost", "changed", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("updated_at", "TIMESTAMP"),
        ("campaign_id", "BIGINT"), ("date", "DATE"), ("amount", "DECIMAL(14, 2)"),
    )),
    Table("identity_membership", "whole", (
        ("id", "BIGINT PRIMARY KEY"), ("workspace_id", "BIGINT"), ("user_id", "BIGINT"),
        ("team_id", "BIGINT"), ("role", "VARCHAR"),
    )),
)  # fmt: skip
# Columns the record store does not hold as such: the SQL that computes them there. The copy
# keeps an e-mail's domain (what domain rules read), never the address.
COMPUTED: dict[tuple[str, str], Callable[[str], str]] = {
    ("crm_contact", "email_domain"): lambda vendor: email_domain_sql("email", vendor),
}


def select_list(table: Table) -> str:
    """The record store's select list for `table`'s columns, in the copy's order."""
    names = []
    for name, _ in table.columns:
        computed = COMPUTED.get((table.name, name))
        names.append(f"{computed(connection.vendor)} AS {name}" if computed else name)
    return ", ".join(names)


COUNTED = ("crm_contact", "crm_deal", "crm_company")  # deletions there trigger a rebuild
# Append-only facts are copied by id, but ids are handed out when a row is written, not when
# its transaction commits: on PostgreSQL a row can commit after a row with a larger id was
# copied, and a long transaction (an import, a re-score making thousands of MQLs) can commit a
# whole block of ids below rows copied while it ran. Every run of ids missing below the top of
# what a sync copied is remembered (as a run, however long) and looked for again at each sync,
# until found or GAP_PATIENCE has passed (a rolled-back insert leaves a gap for good).
GAP_PATIENCE = dt.timedelta(hours=2)
GAP_RUNS = 1_000  # runs looked for per table and sync, the newest first


# A changed row is stamped (`updated_at`) when it is written but seen when its transaction
# commits, so a row stamped before one a sync copied can commit after that sync. Each sync
# therefore reads from a horizon taken before its reads, not from the latest stamp it copied:
# whatever commits later is stamped later. On PostgreSQL that is the start of the oldest open
# transaction on the database. On SQLite a sync can read while a write transaction is open
# (WAL), so the horizon moves to the sync's time only when no writer holds the write lock, and
# stays where it was otherwise. SETTLE covers a row stamped just before its transaction began
# or took SQLite's write lock (waiting at most the 20 s busy timeout); a transaction open for
# longer than GAP_PATIENCE stops holding the horizon back (as with ids, what it commits then
# is not looked for).
SETTLE = dt.timedelta(seconds=30)
_OLDEST_OPEN = (
    "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def changed_horizon(previous: dt.datetime | None) -> dt.datetime:
    """A time (naive UTC) before the `updated_at` of every row committed from now on; taken
    before a sync reads, it is where the next sync reads "changed" tables from. `previous` is
    the one the copy holds (None for a new copy)."""
    now = dt.datetime.now(dt.UTC)
    floor = _naive(now - GAP_PATIENCE - SETTLE)
    oldest = now
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Activity statistics are a snapshot kept for the rest of a transaction.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(_OLDEST_OPEN)
            (started,) = cursor.fetchone()
        oldest = min(now, started or now)
    elif connection.vendor == "sqlite" and _sqlite_writer_open():
        return max(previous or floor, floor)
    return max(_naive(oldest - SETTLE), floor)


def _sqlite_writer_open() -> bool:
    """Whether a write transaction is open on the SQLite database: a second connection cannot
    take the write lock at once (this process's own open transaction counts too)."""
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def missing_runs(present: Any, low: int, high: int) -> list[tuple[int, int]]:
    """The runs (first, last) of ids in [low, high] absent from the sorted ids `present`."""
    ids = np.asarray(present, dtype=np.int64)
    ids = ids[(ids >= low) & (ids <= high)]
    bounds = np.concatenate(([low - 1], ids, [high + 1]))
    first, last = bounds[:-1] + 1, bounds[1:] - 1
    keep = last >= first
    return list(zip(first[keep].tolist(), last[keep].tolist(), strict=True))


def _naive_utc(value: Any) -> Any:
    """DuckDB keeps naive UTC timestamps; SQLite hands back text, PostgreSQL aware values."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _as_date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def record_store_batches(
    table: Table, where: str, params: Sequence[Any]
) -> Iterator[dict[str, list[Any]]]:
    """The matching rows of the record store, `BATCH` at a time, column by column, times as
    naive UTC and dates as dates (shared by every engine's copy)."""
    columns = [name for name, _ in table.columns]
    convert = {
        i: _naive_utc if kind == "TIMESTAMP" else _as_date
        for i, (_, kind) in enumerate(table.columns)
        if kind in ("TIMESTAMP", "DATE")
    }
    # No ORDER BY: sorting by id would make SQLite walk the primary key (every row) instead of
    # the index the condition can use (updated_at for contacts).
    select = f"SELECT {select_list(table)} FROM {table.name} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(select, list(params))
        while rows := cursor.fetchmany(BATCH):
            values = list(zip(*rows, strict=True))
            yield {
                name: [convert[i](v) for v in values[i]] if i in convert else list(values[i])
                for i, name in enumerate(columns)
            }


def since_clause(table: Table, last: Any) -> tuple[str, list[Any]]:
    """The record store's condition for what a copy holding up to `last` (its largest id, or
    the horizon its previous sync took) lacks. Table names are the fixed ones above, never input."""
    if table.feed == "append":
        return "id > %s", [last or 0]
    if table.feed == "whole":
        return "1 = 1", []
    since: Any = last or dt.datetime(1970, 1, 1)
    since = since.replace(tzinfo=dt.UTC) if connection.vendor != "sqlite" else since.isoformat(" ")
    # Strictly later: every row committing after the horizon was taken is stamped later.
    return "updated_at > %s", [since]
