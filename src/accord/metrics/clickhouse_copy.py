"""The facts shipped to ClickHouse, incrementally, by the same rules as the DuckDB copy
(`metrics.columnar`): the same tables and columns, fed the same three ways (append-only facts
by id, changing records by `updated_at`, small tables whole), the same derived relations
(`marketing_firsttouch`, `crm_stay`, computed by the same query text), the same watch for ids
that commit out of order, and a rebuild when records were deleted in the record store.

What differs is how ClickHouse keeps them:

- every table is a ReplacingMergeTree ordered by its key, read with FINAL (`clickhouse.SETTINGS`):
  a row copied again replaces the one before. A changed deal is simply inserted again, and a
  sync interrupted halfway can be run again without counting anything twice;
- ClickHouse has no transactions over several tables, so how far each table was copied (its
  largest id, its latest change) is kept in `accord_sync` and written only once every table and
  derived relation is up to date. A failed sync is repeated from the last complete one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection

from accord.core import copy_changes
from accord.metrics import clickhouse
from accord.metrics.columnar import _STAYS_OF_NEW, FRESHNESS
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
from accord.metrics.sql import transpile

_TYPES = {  # DuckDB's type in `copy_feed.TABLES` -> ClickHouse's, Arrow's
    "BIGINT": ("Nullable(Int64)", pa.int64()),
    "VARCHAR": ("Nullable(String)", pa.string()),
    "TIMESTAMP": ("Nullable(DateTime64(6, 'UTC'))", pa.timestamp("us")),
    "DATE": ("Nullable(Date32)", pa.date32()),
    "DECIMAL(14, 2)": ("Nullable(Decimal(14, 2))", pa.decimal128(14, 2)),
}
_KEY = ("id", "Int64", pa.int64())
_ENGINE = "ENGINE = ReplacingMergeTree ORDER BY"
DERIVED = {
    "marketing_firsttouch": (
        f"(contact_id Int64, first_touch_at {_TYPES['TIMESTAMP'][0]}) {_ENGINE} contact_id"
    ),
    "crm_stay": (
        f"(id Int64, workspace_id Nullable(Int64), contact_id Nullable(Int64), "
        f"left_at {_TYPES['TIMESTAMP'][0]}, entered_at {_TYPES['TIMESTAMP'][0]}, "
        f"stage Nullable(String), definition_version Nullable(String)) {_ENGINE} id"
    ),
}
BOOKKEEPING = {
    "accord_layout": f"(fingerprint String) {_ENGINE} fingerprint",
    "accord_sync": (
        "(table_name String, last_id Int64, settled Nullable(DateTime64(6, 'UTC'))) "
        f"{_ENGINE} table_name"
    ),
    "accord_gap": (
        f"(table_name String, id Int64, last_id Int64, seen_at DateTime64(6, 'UTC')) "
        f"{_ENGINE} (table_name, id)"
    ),
    # How far the journal of in-place changes (`core.copy_changes`) is replayed, and when.
    "accord_journal": (f"(one UInt8, last_id Int64, synced_at DateTime64(6, 'UTC')) {_ENGINE} one"),
}
# The derived relations, from the DuckDB copy's own text (`list_contains` becomes `has`).
_FIRST_TOUCHES = transpile(
    "SELECT contact_id, min(occurred_at) FROM marketing_touchpoint WHERE contact_id IN "
    "(SELECT contact_id FROM marketing_touchpoint WHERE id > ? OR list_contains(?, id)) "
    "GROUP BY contact_id",
    "clickhouse",
)
_STAYS = transpile(_STAYS_OF_NEW, "clickhouse")


def _column(name: str, kind: str) -> tuple[str, str, pa.DataType]:
    if kind.endswith("PRIMARY KEY"):
        return _KEY
    return (name, *_TYPES[kind])


def _columns(table: Table) -> list[tuple[str, str, pa.DataType]]:
    return [_column(name, kind) for name, kind in table.columns]


def _layout() -> str:
    return hashlib.sha256(
        repr((TABLES, DERIVED, BOOKKEEPING, _FIRST_TOUCHES, _STAYS)).encode()
    ).hexdigest()[:16]


def _all_tables() -> dict[str, str]:
    tables = {
        table.name: f"({', '.join(f'{n} {k}' for n, k, _ in _columns(table))}) {_ENGINE} id"
        for table in TABLES
    }
    return {**tables, **DERIVED, **BOOKKEEPING}


def _drop_all() -> None:
    _ensured.discard(settings.ANALYTICS_URL)
    for name in _all_tables():
        clickhouse.command(f"DROP TABLE IF EXISTS {name}")


_ensured: set[str] = set()  # the engines this process has checked the tables of


def ensure_tables() -> None:
    """Create the tables; a copy made with another layout is dropped first."""
    clickhouse.command(f"CREATE TABLE IF NOT EXISTS accord_layout {BOOKKEEPING['accord_layout']}")
    if clickhouse.query("SELECT fingerprint FROM accord_layout") != [(_layout(),)]:
        _drop_all()
        clickhouse.command(f"CREATE TABLE accord_layout {BOOKKEEPING['accord_layout']}")
        clickhouse.command("INSERT INTO accord_layout VALUES ({?: })", [_layout()])
    for name, body in _all_tables().items():
        clickhouse.command(f"CREATE TABLE IF NOT EXISTS {name} {body}")
    _ensured.add(settings.ANALYTICS_URL)


def _cents(value: Any) -> Any:
    """SQLite hands back money as a float or text: to the cent, exactly."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _ship(table: Table, where: str, params: list[Any]) -> int:
    """Copy the record store's matching rows, one Arrow batch at a time."""
    columns = _columns(table)
    schema = pa.schema([(name, arrow) for name, _, arrow in columns])
    money = [name for name, kind in table.columns if kind.startswith("DECIMAL")]
    shipped = 0
    for batch in record_store_batches(table, where, params):
        if table.feed == "changed" and not (batch := _not_held(table, batch))["id"]:
            continue
        for name in money:
            batch[name] = [_cents(v) for v in batch[name]]
        arrow = pa.table(batch, schema=schema)
        clickhouse.insert(table.name, arrow)
        shipped += arrow.num_rows
    return shipped


def _not_held(table: Table, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The rows of a batch the copy does not hold as they are (the same id and stamp): what
    the settling window reads again is shipped once."""
    held = set(
        clickhouse.query(
            f"SELECT id, updated_at FROM {table.name} FINAL WHERE has({{?: }}, id)",  # noqa: S608
            [batch["id"]],
        )
    )
    keep = [
        i for i, key in enumerate(zip(batch["id"], batch["updated_at"], strict=True))
        if key not in held
    ]  # fmt: skip
    return {name: [values[i] for i in keep] for name, values in batch.items()}


def _replace_if_changed(table: Table) -> int:
    """A small table without a change time: shipped again when its rows differ, and the rows
    gone from the record store deleted."""
    columns = ", ".join(name for name, _ in table.columns)
    select = f"SELECT {columns} FROM {table.name} ORDER BY id"  # noqa: S608 - fixed names
    with connection.cursor() as cursor:
        cursor.execute(select)
        current = [tuple(row) for row in cursor.fetchall()]
    if current == clickhouse.query(select):
        return 0
    shipped = _ship(table, "1 = 1", [])
    ids = [row[0] for row in current]
    clickhouse.command(f"DELETE FROM {table.name} WHERE NOT has({{?: }}, id)", [ids])  # noqa: S608
    return shipped


def _ids(table: Table, low: int, high: int) -> list[int]:
    rows = clickhouse.query(
        f"SELECT id FROM {table.name} FINAL WHERE id BETWEEN {{?: }} AND {{?: }} ORDER BY id",  # noqa: S608
        [low, high],
    )
    return [row[0] for row in rows]


def _remember(table: Table, runs: list[tuple[int, int]], seen: dt.datetime) -> None:
    if not runs:
        return
    firsts, lasts = zip(*runs, strict=True)
    clickhouse.insert(
        "accord_gap",
        pa.table(
            {
                "table_name": [table.name] * len(runs),
                "id": pa.array(firsts, pa.int64()),
                "last_id": pa.array(lasts, pa.int64()),
                "seen_at": pa.array([seen] * len(runs), pa.timestamp("us")),
            }
        ),
    )


def _fill_gaps(table: Table) -> list[int]:
    """As the DuckDB copy: ship the rows of the remembered runs that have committed since,
    keep the parts still missing, forget the runs older than GAP_PATIENCE."""
    runs = clickhouse.query(
        "SELECT id, last_id, seen_at FROM accord_gap FINAL WHERE table_name = {?: } "
        "ORDER BY id DESC LIMIT {?: }",
        [table.name, GAP_RUNS],
    )
    filled: list[int] = []
    for start in range(0, len(runs), 100):
        chunk = runs[start : start + 100]
        where = " OR ".join("id BETWEEN %s AND %s" for _ in chunk)
        if not _ship(table, f"({where})", [v for first, last, _ in chunk for v in (first, last)]):
            continue
        for first, last, seen in chunk:
            present = _ids(table, first, last)
            if not present:
                continue
            filled += present
            clickhouse.command(
                "DELETE FROM accord_gap WHERE table_name = {?: } AND id = {?: }",
                [table.name, first],
            )
            _remember(table, missing_runs(present, first, last), seen.replace(tzinfo=None))
    clickhouse.command(
        "DELETE FROM accord_gap WHERE table_name = {?: } AND seen_at < {?: }",
        [table.name, dt.datetime.now(dt.UTC) - GAP_PATIENCE],
    )
    return filled


def _note_gaps(table: Table, before: int) -> None:
    """Remember the runs of ids missing among what was just shipped above `before`."""
    ((top,),) = clickhouse.query(f"SELECT coalesce(max(id), 0) FROM {table.name}")  # noqa: S608
    if top <= before:
        return
    runs = missing_runs(_ids(table, before + 1, top), before + 1, top)
    _remember(table, runs, dt.datetime.now(dt.UTC).replace(tzinfo=None))


def _watermarks() -> dict[str, tuple[int, dt.datetime | None]]:
    rows = clickhouse.query("SELECT table_name, last_id, settled FROM accord_sync FINAL")
    return {name: (last_id, settled) for name, last_id, settled in rows}


def _record_watermarks(horizon: dt.datetime) -> None:
    """How far each table is copied, written once everything is: the largest id of an
    append-only table, the horizon taken before the reads for a changed one."""
    parts = [
        f"SELECT '{table.name}', coalesce(max(id), 0), "  # noqa: S608 - fixed names
        + ("{?: }" if table.feed == "changed" else "NULL")
        + f" FROM {table.name}"
        for table in TABLES
    ]
    changed = sum(table.feed == "changed" for table in TABLES)
    clickhouse.command(
        "INSERT INTO accord_sync " + " UNION ALL ".join(parts),
        [horizon.replace(tzinfo=dt.UTC)] * changed,
        reads=True,
    )


def _journal() -> tuple[int, dt.datetime] | None:
    found = clickhouse.query("SELECT last_id, synced_at FROM accord_journal FINAL")
    return (found[0][0], found[0][1]) if found else None


def _write_journal(last_id: int) -> None:
    clickhouse.command(
        "INSERT INTO accord_journal VALUES (1, {?: }, {?: })", [last_id, dt.datetime.now(dt.UTC)]
    )


def _replay_changes(start_from: int) -> int:
    """As the DuckDB copy (`columnar._replay_changes`): the rows the journal names since
    `start_from` are deleted and shipped again as they now are, and the first touches of the
    contacts whose touchpoints moved are recomputed."""
    newest, per_table = copy_changes.since(start_from)
    by_name = {table.name: table for table in TABLES}
    replayed, contacts = 0, set()
    for name, ids in per_table.items():
        table = by_name.get(name)
        if table is None:
            continue
        for start in range(0, len(ids), 1_000):
            chunk = ids[start : start + 1_000]
            if name == "marketing_touchpoint":
                contacts |= _touched_contacts(chunk)
            clickhouse.command(f"DELETE FROM {name} WHERE has({{?: }}, id)", [chunk])  # noqa: S608
            replayed += _ship(table, f"id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            if name == "marketing_touchpoint":
                contacts |= _touched_contacts(chunk)
    if contacts:
        people = sorted(contacts)
        clickhouse.command(
            "DELETE FROM marketing_firsttouch WHERE has({?: }, contact_id)", [people]
        )
        clickhouse.command(
            "INSERT INTO marketing_firsttouch SELECT contact_id, min(occurred_at) "
            "FROM marketing_touchpoint FINAL WHERE has({?: }, contact_id) GROUP BY contact_id",
            [people],
            reads=True,
        )
    _write_journal(newest)
    return replayed


def _touched_contacts(ids: list[int]) -> set[int]:
    rows = clickhouse.query(
        "SELECT DISTINCT contact_id FROM marketing_touchpoint FINAL WHERE has({?: }, id)", [ids]
    )
    return {row[0] for row in rows if row[0] is not None}


_last_sync: dict[str, float] = {}


def sync_if_stale(max_age: float = FRESHNESS) -> None:
    """Sync unless this process did within `max_age` seconds (as the DuckDB copy)."""
    if time.time() - _last_sync.get(settings.ANALYTICS_URL, -math.inf) >= max_age:
        sync()


def sync() -> dict[str, int]:
    """Bring the ClickHouse copy up to date; returns the rows shipped per table."""
    _last_sync[settings.ANALYTICS_URL] = time.time()
    with clickhouse.lock:  # one sync at a time in this process; readers wait for it
        if settings.ANALYTICS_URL not in _ensured:
            ensure_tables()
        journal = _journal()
        if journal is not None and copy_changes.stale_copy(journal[1]):
            return rebuild()  # idle for longer than the journal is kept: start again
        # A new copy is shipped as things are now: it replays only what is journalled from here.
        journal_from = journal[0] if journal is not None else copy_changes.latest_id()
        marks = _watermarks()
        held = [mark for _, mark in marks.values() if mark is not None]
        horizon = changed_horizon(min(held).replace(tzinfo=None) if held else None)
        shipped: dict[str, int] = {}
        before: dict[str, int] = {}
        filled: dict[str, list[int]] = {}
        for table in TABLES:
            if table.feed == "whole":
                shipped[table.name] = _replace_if_changed(table)
                continue
            last_id, settled = marks.get(table.name, (0, None))
            last = last_id if table.feed == "append" else settled
            if isinstance(last, dt.datetime):
                last = last.replace(tzinfo=None)  # naive UTC, as the DuckDB copy keeps it
            where, params = since_clause(table, last)
            if table.feed == "append":
                before[table.name] = last_id
                filled[table.name] = _fill_gaps(table)
            shipped[table.name] = _ship(table, where, params)
            if table.feed == "append" and shipped[table.name]:
                _note_gaps(table, last_id)
        touches, entries = "marketing_touchpoint", "crm_ledgerentry"
        if shipped[touches] or filled[touches]:
            clickhouse.command(
                f"INSERT INTO marketing_firsttouch {_FIRST_TOUCHES}",
                [before[touches], filled[touches]],
                reads=True,
            )
        if shipped[entries] or filled[entries]:
            # Every stay of each contact whose ledger grew, recomputed: each replaces the
            # one with its id (a contact's stays are one per ledger entry).
            clickhouse.command(
                f"INSERT INTO crm_stay {_STAYS}", [before[entries], filled[entries]], reads=True
            )
        _record_watermarks(horizon)  # the horizon moves even when nothing new was shipped
        shipped["journal"] = _replay_changes(journal_from)
        kept = {
            name: clickhouse.query(f"SELECT count() FROM {name}")[0][0]  # noqa: S608
            for name in COUNTED
        }
    with connection.cursor() as cursor:
        for name in COUNTED:
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - fixed names
            (current,) = cursor.fetchone()
            # The copy holds more than the record store: records were deleted there, start
            # again (fewer is rows created since the shipping, picked up by the next sync).
            if kept[name] > current:
                return rebuild()
    return shipped


def rebuild() -> dict[str, int]:
    """Drop the copy and ship it again (after deletions in the record store)."""
    with clickhouse.lock:
        _drop_all()
        ensure_tables()
        return sync()
