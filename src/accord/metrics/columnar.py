"""The embedded columnar copy of the facts (DuckDB), fed incrementally from the record store.

The tables have the record store's names and the columns the metrics read, so one query text
serves both engines (`metrics.sql`). The ledger is append-only in the record store (updates are
refused), so new rows are those with a larger id; contacts are copied again when their
`updated_at` moved on. A contact deleted in the record store (with its ledger rows) stays here
until the next sync notices the record store holds fewer contacts, and rebuilds the copy.

One DuckDB file per data directory (`<ACCORD_DATA_DIR>/analytics.duckdb`); a process-wide lock
serialises writers, as DuckDB allows one writing connection per file.
"""

from __future__ import annotations

import datetime as dt
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

BATCH = 50_000
FRESHNESS = 2.0  # seconds a query may read a copy that old (the dashboard's promise: 5 s)
_lock = threading.Lock()

# table → (columns, DuckDB types); the first column is the primary key.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "crm_contact": (
        ("id", "BIGINT PRIMARY KEY"),
        ("workspace_id", "BIGINT"),
        ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"),
        ("original_source", "VARCHAR"),
        ("owner_id", "BIGINT"),
        ("lifecycle_stage", "VARCHAR"),
    ),
    "crm_ledgerentry": (
        ("id", "BIGINT PRIMARY KEY"),
        ("workspace_id", "BIGINT"),
        ("contact_id", "BIGINT"),
        ("from_stage", "VARCHAR"),
        ("to_stage", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"),
        ("definition_version", "VARCHAR"),
    ),
}


def store_path() -> Path:
    return Path(settings.DATA_DIR) / "analytics.duckdb"


@contextmanager
def open_store(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    with _lock:
        target = path or store_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
        try:
            _ensure_tables(con)
            yield con
        finally:
            con.close()


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in TABLES.items():
        body = ", ".join(f"{name} {kind}" for name, kind in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")


def _naive_utc(value: Any) -> Any:
    """DuckDB keeps naive UTC timestamps; SQLite hands back text, PostgreSQL aware values."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _copy(con: duckdb.DuckDBPyConnection, table: str, where: str, params: Sequence[Any]) -> int:
    """Copy the matching rows in batches, each handed to DuckDB as one Arrow table (row-by-row
    inserts are three orders of magnitude slower)."""
    columns = [name for name, _ in TABLES[table]]
    timestamps = {i for i, (_, kind) in enumerate(TABLES[table]) if kind == "TIMESTAMP"}
    # No ORDER BY: sorting by id would make SQLite walk the primary key (every row) instead of
    # the index the condition can use (updated_at for contacts).
    select = f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"  # noqa: S608
    copied = 0
    with connection.cursor() as cursor:
        cursor.execute(select, list(params))
        while rows := cursor.fetchmany(BATCH):
            values = list(zip(*rows, strict=True))
            batch = pa.table(
                {
                    name: [_naive_utc(v) for v in values[i]] if i in timestamps else values[i]
                    for i, name in enumerate(columns)
                }
            )
            con.register("batch", batch)
            con.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM batch")  # noqa: S608
            con.unregister("batch")
            copied += len(rows)
    return copied


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
    with open_store(path) as con:
        last_entry = con.execute("SELECT coalesce(max(id), 0) FROM crm_ledgerentry").fetchone()
        last_change = con.execute("SELECT max(updated_at) FROM crm_contact").fetchone()
        changed_since = (
            last_change[0] if last_change and last_change[0] else dt.datetime(1970, 1, 1)
        )
        if connection.vendor != "sqlite":
            changed_since = changed_since.replace(tzinfo=dt.UTC)
        else:
            changed_since = changed_since.isoformat(sep=" ")
        con.execute("BEGIN")
        # Strictly later: a row at the last copied instant was copied with it (timestamps have
        # microseconds), and nothing new means nothing is written.
        contacts = _copy(con, "crm_contact", "updated_at > %s", [changed_since])
        entries = _copy(con, "crm_ledgerentry", "id > %s", [last_entry[0] if last_entry else 0])
        con.execute("COMMIT")
        (kept,) = con.execute("SELECT count(*) FROM crm_contact").fetchone() or (0,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_contact")
        (current,) = cursor.fetchone()
    if kept != current:  # contacts were deleted in the record store: start again
        return rebuild(path)
    return {"crm_contact": contacts, "crm_ledgerentry": entries}


def rebuild(path: Path | None = None) -> dict[str, int]:
    """Drop the copy and load it again (after deletions in the record store)."""
    with open_store(path) as con:
        for table in TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return sync(path)
