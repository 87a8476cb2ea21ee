"""The embedded columnar copy of the facts (DuckDB), fed incrementally from the record store.

The tables have the record store's names and the columns the metrics read, so one query text
serves both engines (`metrics.sql`). Each table (`metrics.copy_feed.TABLES`, shared with the
ClickHouse copy) is fed in one of three ways:

- **append** — append-only facts (the lifecycle ledger refuses updates; touchpoints are
  recorded, not edited): rows with a larger id than the copy's largest;
- **changed** — records that change (contacts, deals, companies, campaigns, costs, pipeline
  stages): rows whose `updated_at` is past the horizon the previous sync took before reading
  (`copy_feed.changed_horizon`: a row can commit after a later-stamped one was copied);
- **whole** — small tables without a change time (memberships): copied again in full.

A record deleted in the record store (a contact with its ledger and touchpoints, a deal, a
company) stays here until the next sync sees the record store holding fewer rows than the copy,
and rebuilds it. What none of that sees — a touchpoint edited or deleted, a campaign deleted
with its costs — the services write to the journal of in-place changes (`core.copy_changes`),
which each sync replays.

One DuckDB file per data directory (`<ACCORD_DATA_DIR>/analytics.duckdb`). DuckDB allows one
process to open a file for writing, so each process keeps its connection while it is busy and
lets go after `IDLE_SECONDS` without a query, for another process (the worker, a second web
process) to take its turn; a process that finds the file held answers from the record store.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import connection

from accord.core import copy_changes
from accord.metrics.copy_feed import (
    COUNTED,
    GAP_PATIENCE,
    GAP_RUNS,
    TABLES,
    Table,
    changed_horizon,
    missing_runs,
    record_store_batches,
    since_clause,
)

FRESHNESS = 2.0  # seconds a query may read a copy that old (the dashboard's promise: 5 s)
IDLE_SECONDS = 10.0  # a connection unused this long is closed, releasing the file


# Derived here as facts arrive; views in the record store (crm and marketing migrations).
FIRST_TOUCH = "marketing_firsttouch (contact_id BIGINT PRIMARY KEY, first_touch_at TIMESTAMP)"
STAY = (
    "crm_stay (id BIGINT PRIMARY KEY, workspace_id BIGINT, contact_id BIGINT, "
    "left_at TIMESTAMP, entered_at TIMESTAMP, stage VARCHAR, definition_version VARCHAR)"
)
_STAYS_OF_NEW = """
    SELECT id, workspace_id, contact_id, occurred_at AS left_at,
           lag(occurred_at) OVER w AS entered_at, lag(to_stage) OVER w AS stage,
           lag(definition_version) OVER w AS definition_version
    FROM crm_ledgerentry
    WHERE contact_id IN (
        SELECT contact_id FROM crm_ledgerentry WHERE id > ? OR list_contains(?, id)
    )
    WINDOW w AS (PARTITION BY workspace_id, contact_id ORDER BY occurred_at, id)
"""


def store_path() -> Path:
    return Path(settings.DATA_DIR) / "analytics.duckdb"


class _Holder:
    """This process's connection to one copy, closed after IDLE_SECONDS without use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.timer: threading.Timer | None = None

    def acquire(self) -> duckdb.DuckDBPyConnection:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.path))
            try:
                _ensure_tables(con)
            except BaseException:
                con.close()
                raise
            self.con = con
        return self.con

    def release(self) -> None:
        timer = threading.Timer(IDLE_SECONDS, self.close)
        timer.daemon = True
        self.timer = timer
        timer.start()

    def close(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if self.con is not None:
                self.con.close()
                self.con = None


_holders: dict[Path, _Holder] = {}
_holders_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    for holder in list(_holders.values()):
        holder.close()


def _holder(path: Path | None) -> _Holder:
    target = path or store_path()
    with _holders_lock:
        return _holders.setdefault(target, _Holder(target))


@contextmanager
def open_store(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """This process's connection to the copy, for one use at a time."""
    holder = _holder(path)
    with holder.lock:
        con = holder.acquire()
        try:
            yield con
        finally:
            holder.release()


def close(path: Path | None = None) -> None:
    """Let go of the file now (tests, and before another process must write to it)."""
    _holder(path).close()


def read(sql: str, params: Sequence[Any], path: Path | None = None) -> list[tuple[Any, ...]]:
    with open_store(path) as con:
        return con.execute(sql, list(params)).fetchall()


def _layout() -> str:
    """A fingerprint of the tables' layout: a copy made with another layout is dropped."""
    return hashlib.sha256(
        repr((TABLES, FIRST_TOUCH, STAY, _STAYS_OF_NEW, GAPS, JOURNAL)).encode()
    ).hexdigest()[:16]


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS accord_layout (fingerprint VARCHAR)")
    found = con.execute("SELECT fingerprint FROM accord_layout").fetchall()
    if found != [(_layout(),)]:
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            if name != "accord_layout":
                con.execute(f'DROP TABLE "{name}"')
        con.execute("DELETE FROM accord_layout")
        con.execute("INSERT INTO accord_layout VALUES (?)", [_layout()])
    for table in TABLES:
        body = ", ".join(f"{name} {kind}" for name, kind in table.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {table.name} ({body})")
    for derived in (FIRST_TOUCH, STAY, GAPS, JOURNAL):
        con.execute(f"CREATE TABLE IF NOT EXISTS {derived}")


def _copy(con: duckdb.DuckDBPyConnection, table: Table, where: str, params: Sequence[Any]) -> int:
    """Copy the matching rows in batches, each handed to DuckDB as one Arrow table (row-by-row
    inserts are three orders of magnitude slower)."""
    insert = f"INSERT OR REPLACE INTO {table.name} SELECT * FROM batch"  # noqa: S608
    if table.feed == "changed":  # what the settling window reads again is copied once
        insert += (
            f" WHERE NOT EXISTS (SELECT 1 FROM {table.name} AS held "  # noqa: S608
            "WHERE held.id = batch.id AND held.updated_at IS NOT DISTINCT FROM batch.updated_at)"
        )
    copied = 0
    for columns in record_store_batches(table, where, params):
        con.register("batch", pa.table(columns))
        copied += _scalar(con, insert)
        con.unregister("batch")
    return copied


def _replace_if_changed(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """A small table without a change time: copied again only when its rows differ."""
    columns = ", ".join(name for name, _ in table.columns)
    select = f"SELECT {columns} FROM {table.name} ORDER BY id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(select)
        current = [tuple(row) for row in cursor.fetchall()]
    if current == [tuple(row) for row in con.execute(select).fetchall()]:
        return 0
    con.execute(f"DELETE FROM {table.name}")  # noqa: S608
    return _copy(con, table, "1 = 1", [])


def _first_touches(con: duckdb.DuckDBPyConnection, after_id: int, filled: list[int]) -> None:
    """Fold the touchpoints copied since `after_id` (and the `filled` gaps) into each
    contact's first touch."""
    con.execute(
        "INSERT INTO marketing_firsttouch "
        "SELECT contact_id, min(occurred_at) FROM marketing_touchpoint "
        "WHERE id > ? OR list_contains(?, id) "
        "GROUP BY contact_id ON CONFLICT (contact_id) DO UPDATE "
        "SET first_touch_at = least(first_touch_at, excluded.first_touch_at)",
        [after_id, filled],
    )


def _stays(con: duckdb.DuckDBPyConnection, after_id: int, filled: list[int]) -> None:
    """Recompute the stays of every contact whose ledger grew since `after_id` (or by the
    `filled` gaps): a transition dated before the contact's latest changes the stays after it
    too."""
    con.execute(
        "DELETE FROM crm_stay WHERE contact_id IN "
        "(SELECT contact_id FROM crm_ledgerentry WHERE id > ? OR list_contains(?, id))",
        [after_id, filled],
    )
    con.execute(f"INSERT INTO crm_stay {_STAYS_OF_NEW}", [after_id, filled])


GAPS = (
    "accord_gap (table_name VARCHAR, id BIGINT, last_id BIGINT, seen_at TIMESTAMP, "
    "PRIMARY KEY (table_name, id))"
)


def _ids(con: duckdb.DuckDBPyConnection, table: Table, low: int, high: int) -> Any:
    return con.execute(
        f"SELECT id FROM {table.name} WHERE id BETWEEN ? AND ? ORDER BY id",  # noqa: S608
        [low, high],
    ).fetchnumpy()["id"]


def _remember(
    con: duckdb.DuckDBPyConnection, table: Table, runs: list[tuple[int, int]], seen: Any
) -> None:
    if not runs:
        return
    firsts, lasts = zip(*runs, strict=True)
    rows = pa.table(
        {
            "table_name": [table.name] * len(runs),
            "id": pa.array(firsts, pa.int64()),
            "last_id": pa.array(lasts, pa.int64()),
            "seen_at": pa.array([seen] * len(runs), pa.timestamp("us")),
        }
    )
    con.register("gap_runs", rows)
    con.execute("INSERT OR IGNORE INTO accord_gap SELECT * FROM gap_runs")
    con.unregister("gap_runs")


def _fill_gaps(con: duckdb.DuckDBPyConnection, table: Table) -> list[int]:
    """Copy the rows of the remembered runs that have committed since (the newest runs first:
    those are the most likely still committing), keep the parts still missing, and forget the
    runs older than GAP_PATIENCE. Returns the ids copied."""
    runs = con.execute(
        "SELECT id, last_id, seen_at FROM accord_gap WHERE table_name = ? ORDER BY id DESC LIMIT ?",
        [table.name, GAP_RUNS],
    ).fetchall()
    filled: list[int] = []
    for start in range(0, len(runs), 100):
        chunk = runs[start : start + 100]
        where = " OR ".join("id BETWEEN %s AND %s" for _ in chunk)
        if not _copy(
            con, table, f"({where})", [v for first, last, _ in chunk for v in (first, last)]
        ):
            continue
        for first, last, seen in chunk:
            present = _ids(con, table, first, last)
            if not len(present):
                continue
            filled += present.tolist()
            con.execute(
                "DELETE FROM accord_gap WHERE table_name = ? AND id = ?", [table.name, first]
            )
            _remember(con, table, missing_runs(present, first, last), seen)
    cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None) - GAP_PATIENCE
    con.execute("DELETE FROM accord_gap WHERE table_name = ? AND seen_at < ?", [table.name, cutoff])
    return filled


def _note_gaps(con: duckdb.DuckDBPyConnection, table: Table, before: int) -> None:
    """Remember the runs of ids missing among what was just copied above `before`."""
    top = _scalar(con, f"SELECT coalesce(max(id), 0) FROM {table.name}")  # noqa: S608
    if top <= before:
        return
    runs = missing_runs(_ids(con, table, before + 1, top), before + 1, top)
    _remember(con, table, runs, dt.datetime.now(dt.UTC).replace(tzinfo=None))


# How far this copy has replayed the journal of in-place changes (`core.copy_changes`), when
# it last synced (a copy idle for longer than the journal is kept is rebuilt), and the horizon
# the "changed" tables are read from next (`copy_feed.changed_horizon`).
JOURNAL = "accord_journal (last_id BIGINT, synced_at TIMESTAMP, settled TIMESTAMP)"
_BY_NAME = {table.name: table for table in TABLES}
_TOUCHPOINTS = "marketing_touchpoint"


def _journal(con: duckdb.DuckDBPyConnection) -> tuple[int, dt.datetime] | None:
    found = con.execute("SELECT last_id, synced_at FROM accord_journal").fetchall()
    return (found[0][0], found[0][1].replace(tzinfo=dt.UTC)) if found else None


def _touched_contacts(con: duckdb.DuckDBPyConnection, ids: list[int]) -> set[int]:
    rows = con.execute(
        "SELECT DISTINCT contact_id FROM marketing_touchpoint WHERE list_contains(?, id)", [ids]
    ).fetchall()
    return {row[0] for row in rows if row[0] is not None}


def _replay_changes(con: duckdb.DuckDBPyConnection) -> int:
    """Delete the rows the journal names and copy them again as they now are (not at all when
    deleted); the first touches of the contacts whose touchpoints moved are recomputed. A copy
    being made starts where the journal ended when its copying began (`_start_journal`)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    seen = _journal(con)
    newest, per_table = copy_changes.since(seen[0] if seen else copy_changes.latest_id())
    replayed, contacts = 0, set()
    for name, ids in per_table.items():
        table = _BY_NAME.get(name)
        if table is None:  # a table this copy does not hold
            continue
        for start in range(0, len(ids), 1_000):
            chunk = ids[start : start + 1_000]
            if name == _TOUCHPOINTS:
                contacts |= _touched_contacts(con, chunk)
            con.execute(f"DELETE FROM {name} WHERE list_contains(?, id)", [chunk])  # noqa: S608
            replayed += _copy(con, table, f"id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            if name == _TOUCHPOINTS:
                contacts |= _touched_contacts(con, chunk)
    if contacts:
        _recompute_first_touches(con, sorted(contacts))
    con.execute("UPDATE accord_journal SET last_id = ?, synced_at = ?", [newest, now])
    return replayed


def _start_journal(con: duckdb.DuckDBPyConnection) -> None:
    """A new copy is copied as things are now: it replays only what is journalled from here."""
    if _journal(con) is None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute(
            "INSERT INTO accord_journal VALUES (?, ?, NULL)", [copy_changes.latest_id(), now]
        )


def _recompute_first_touches(con: duckdb.DuckDBPyConnection, contacts: list[int]) -> None:
    con.execute("DELETE FROM marketing_firsttouch WHERE list_contains(?, contact_id)", [contacts])
    con.execute(
        "INSERT INTO marketing_firsttouch SELECT contact_id, min(occurred_at) "
        "FROM marketing_touchpoint WHERE list_contains(?, contact_id) GROUP BY contact_id",
        [contacts],
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    # fetchall, not fetchone: a result left unfinished blocks the connection's next query.
    return con.execute(sql).fetchall()[0][0]


def _since(con: duckdb.DuckDBPyConnection, table: Table) -> tuple[str, list[Any]]:
    if table.feed == "whole":
        return since_clause(table, None)
    if table.feed == "append":
        top = _scalar(con, f"SELECT coalesce(max(id), 0) FROM {table.name}")  # noqa: S608
        return since_clause(table, top)
    return since_clause(table, _settled(con))


def _settled(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    settled: dt.datetime | None = _scalar(con, "SELECT max(settled) FROM accord_journal")
    return settled


_last_sync: dict[Path, float] = {}


def sync_if_stale(max_age: float = FRESHNESS, path: Path | None = None) -> None:
    """Sync unless this process did within `max_age` seconds: a dashboard of several queries
    syncs once, and a committed transition still shows within FRESHNESS seconds."""
    target = path or store_path()
    if time.time() - _last_sync.get(target, -math.inf) >= max_age:
        sync(target)


def sync(path: Path | None = None) -> dict[str, int]:
    """Bring the columnar copy up to date; returns the rows copied per table."""
    _last_sync[path or store_path()] = time.time()
    copied: dict[str, int] = {}
    with open_store(path) as con:
        seen = _journal(con)
    if seen is not None and copy_changes.stale_copy(seen[1]):
        return rebuild(path)  # idle for longer than the journal is kept: it may have missed some
    with open_store(path) as con:
        horizon = changed_horizon(_settled(con))  # before anything is read
        con.execute("BEGIN")
        try:
            _start_journal(con)
            before: dict[str, int] = {}
            filled: dict[str, list[int]] = {}
            for table in TABLES:
                if table.feed == "whole":
                    copied[table.name] = _replace_if_changed(con, table)
                    continue
                where, params = _since(con, table)
                if table.feed == "append":
                    before[table.name] = params[0]
                    filled[table.name] = _fill_gaps(con, table)
                copied[table.name] = _copy(con, table, where, params)
                if table.feed == "append" and copied[table.name]:
                    _note_gaps(con, table, before[table.name])
            if copied["marketing_touchpoint"] or filled["marketing_touchpoint"]:
                _first_touches(con, before["marketing_touchpoint"], filled["marketing_touchpoint"])
            if copied["crm_ledgerentry"] or filled["crm_ledgerentry"]:
                _stays(con, before["crm_ledgerentry"], filled["crm_ledgerentry"])
            copied["journal"] = _replay_changes(con)
            con.execute("UPDATE accord_journal SET settled = ?", [horizon])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        kept = {
            name: _scalar(con, f"SELECT count(*) FROM {name}")  # noqa: S608
            for name in COUNTED
        }
    with connection.cursor() as cursor:
        for name in COUNTED:
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - fixed names
            (current,) = cursor.fetchone()
            if kept[name] != current:  # records were deleted in the record store: start again
                return rebuild(path)
    return copied


def rebuild(path: Path | None = None) -> dict[str, int]:
    """Drop the copy and load it again (after deletions in the record store)."""
    with open_store(path) as con:
        for table in TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table.name}")
        con.execute("DROP TABLE IF EXISTS marketing_firsttouch")
        con.execute("DROP TABLE IF EXISTS crm_stay")
        con.execute("DROP TABLE IF EXISTS accord_gap")
        con.execute("DROP TABLE IF EXISTS accord_journal")
        _ensure_tables(con)
    return sync(path)
