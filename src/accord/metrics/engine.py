"""Where a metric's query runs: the record store (the Django database, SQLite or PostgreSQL),
the columnar copy (embedded DuckDB) or, when `ACCORD_ANALYTICS_URL` is set, the analytics
engine (ClickHouse: `metrics.clickhouse`). The query text is written once in DuckDB's SQL and
transpiled for the others (`metrics.sql`); parameters are positional.

`auto` picks the record store for small workspaces and, for large ones, ClickHouse when it is
configured, else the DuckDB copy. While another process holds the DuckDB copy (DuckDB allows one
writer per file), or ClickHouse cannot be reached, the record store answers instead: the numbers
are the same, only slower.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Any, Literal

import duckdb
from django.db import connection

from accord.core.errors import ValidationFailed
from accord.metrics import clickhouse
from accord.metrics.sql import Dialect, transpile

logger = logging.getLogger(__name__)

Engine = Literal["record_store", "columnar", "analytics"]
EngineChoice = Engine | Literal["auto"]
COLUMNAR_FROM = 200_000  # contacts: from here on the columnar copy answers faster


CHOICE_SECONDS = 60.0  # how long a workspace's size class is remembered in a process
_choices: dict[tuple[int, int], tuple[Engine, float]] = {}


def choose_engine(workspace_id: int) -> Engine:
    """The record store for small workspaces, the columnar copy for large ones. The size check
    reads up to 200,000 index entries, and a dashboard asks once per metric (about 25 times a
    page), so the answer is remembered for a minute: a workspace crosses the line rarely, and
    either engine gives the same numbers."""
    from accord.crm.models import Contact

    key, now = (workspace_id, COLUMNAR_FROM), time.monotonic()
    known = _choices.get(key)
    if known is not None and known[1] > now:
        return known[0]
    large = Contact.objects.for_workspace(workspace_id)[COLUMNAR_FROM - 1 : COLUMNAR_FROM].exists()
    chosen: Engine = "columnar" if large else "record_store"
    _choices[key] = (chosen, now + CHOICE_SECONDS)
    return chosen


def resolve(workspace_id: int, engine: EngineChoice) -> Engine:
    """`auto`: the record store for small workspaces; for large ones ClickHouse when it is
    configured, else the DuckDB copy. Asking for ClickHouse when none is configured is an
    error, not a silent answer from elsewhere."""
    if engine == "analytics" and not clickhouse.configured():
        raise ValidationFailed.single(
            "engine", "engine 'analytics' needs ClickHouse: set ACCORD_ANALYTICS_URL"
        )
    if engine != "auto":
        return engine
    chosen = choose_engine(workspace_id)
    return "analytics" if chosen == "columnar" and clickhouse.configured() else chosen


def _record_store_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _columnar_value(value: Any) -> Any:
    # The copy keeps naive UTC timestamps.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def record_store_rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    dialect: Dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(transpile(sql, dialect), [_record_store_value(v) for v in params])
        return list(cursor.fetchall())


def columnar_rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    from accord.metrics.columnar import read, sync_if_stale

    sync_if_stale()  # a committed ledger row is counted within seconds
    return read(sql, [_columnar_value(v) for v in params])


def analytics_rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    from accord.metrics.clickhouse_copy import sync_if_stale

    sync_if_stale()  # as the DuckDB copy: a committed ledger row is counted within seconds
    return clickhouse.read(sql, params)


def run(sql: str, params: Sequence[Any], engine: Engine) -> tuple[list[tuple[Any, ...]], Engine]:
    """The query's rows, and the engine that answered."""
    if engine == "analytics":
        try:
            return analytics_rows(sql, params), engine
        except clickhouse.Unavailable as error:
            logger.warning(
                "analytics engine unavailable (%s); answered from the record store", error
            )
    if engine == "columnar":
        try:
            return columnar_rows(sql, params), engine
        except duckdb.IOException:
            logger.warning("columnar copy busy; answered from the record store")
    return record_store_rows(sql, params), "record_store"
