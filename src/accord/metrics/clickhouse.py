"""The analytics engine: ClickHouse, where a workspace outgrows one machine's DuckDB copy.

Configured by `ACCORD_ANALYTICS_URL`:

- `chdb:///path/to/dir` — embedded ClickHouse (chDB) keeping its tables in that directory. One
  process at a time may hold a directory; another process answers from the record store.
- `clickhouse://user:password@host:8123/database` (`clickhouses://` over TLS) — a ClickHouse
  server or cluster, over HTTP with clickhouse-connect.

Both speak the same SQL: the metrics' queries are transpiled from DuckDB's SQL
(`metrics.sql`), and each positional `?` becomes a named, typed query parameter
(`{p0:Int64}`) whose value the engine parses itself: no value is ever formatted into the text.
The facts are shipped by `metrics.clickhouse_copy`. When the engine cannot be reached
(`Unavailable`) the record store answers: the same numbers, slower.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from accord.metrics.sql import PLACEHOLDER, transpile

# Applied to every read, so the query text stays the one written for DuckDB:
# - final: the tables are ReplacingMergeTree (a row copied again replaces the one before);
#   FINAL makes every read see one row per key, merged or not;
# - join_use_nulls: an outer join's missing side is NULL, as in SQL (not 0 or '');
# - aggregate_functions_null_for_empty: sum() over no rows is NULL, as in SQL (not 0).
SETTINGS = "SETTINGS final = 1, join_use_nulls = 1, aggregate_functions_null_for_empty = 1"


class Unavailable(Exception):
    """The analytics engine cannot be reached (down, or its directory held by another
    process)."""


def configured() -> bool:
    return bool(getattr(settings, "ANALYTICS_URL", ""))


def _literal(value: Any) -> tuple[str, Any]:  # noqa: PLR0911 - one return per type
    """A query parameter's ClickHouse type and the value handed to the engine with it."""
    if isinstance(value, bool):
        return "Bool", value
    if isinstance(value, int):
        return "Int64", value
    if isinstance(value, float):
        return "Float64", value
    if isinstance(value, Decimal):
        return "Decimal(38, 10)", str(value)
    if isinstance(value, str):
        return "String", value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return "DateTime64(6, 'UTC')", value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return "Date32", value.isoformat()
    if isinstance(value, list | tuple) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return "Array(Int64)", [int(v) for v in value]
    raise TypeError(f"no ClickHouse parameter type for {type(value).__name__}")


def bind(sql: str, params: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """Replace each positional placeholder with a named, typed parameter `{pN:Type}`."""
    parts = sql.split(PLACEHOLDER)
    if len(parts) - 1 != len(params):
        raise ValueError(f"the query has {len(parts) - 1} placeholders, {len(params)} values")
    text = [parts[0]]
    named: dict[str, Any] = {}
    for i, (value, rest) in enumerate(zip(params, parts[1:], strict=True)):
        kind, named[f"p{i}"] = _literal(value)
        text += [f"{{p{i}:{kind}}}", rest]
    return "".join(text), named


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Rows as tuples, times as naive UTC (as the DuckDB copy hands them back)."""
    columns = [column.to_pylist() for column in table.columns]
    for values in columns:
        for i, value in enumerate(values):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                values[i] = value.astimezone(dt.UTC).replace(tzinfo=None)
    return list(zip(*columns, strict=True)) if columns else []


class Backend(Protocol):
    def query(self, sql: str, params: dict[str, Any]) -> pa.Table: ...
    def command(self, sql: str, params: dict[str, Any] | None = None) -> None: ...
    def insert(self, table: str, batch: pa.Table) -> None: ...
    def close(self) -> None: ...


class _Embedded:
    """chDB in this process. chDB allows one open directory per process."""

    def __init__(self, path: Path) -> None:
        try:
            from chdb import session
        except ImportError as error:
            raise Unavailable("chdb is not installed (pip install 'accord[clickhouse]')") from error
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.session = session.Session(str(path))
        except Exception as error:  # chDB reports a held directory as a plain error
            raise Unavailable(f"chDB could not open {path}: {error}") from error
        self.scratch = Path(tempfile.mkdtemp(prefix="accord-chdb-"))

    def query(self, sql: str, params: dict[str, Any]) -> pa.Table:
        result: pa.Table = self.session.query(sql, "ArrowTable", params=params or None)
        return result

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self.session.query(sql, "CSV", params=params or None)

    def insert(self, table: str, batch: pa.Table) -> None:
        # chDB reads a file in this process's own file system: one Parquet file per batch.
        file = self.scratch / "batch.parquet"
        pq.write_table(batch, file)
        columns = ", ".join(batch.column_names)
        quoted = str(file).replace("\\", "\\\\").replace("'", "\\'")
        self.command(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - fixed names, a path we made
            f"SELECT {columns} FROM file('{quoted}', Parquet)"
        )
        file.unlink()

    def close(self) -> None:
        self.session.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class _Server:
    """A ClickHouse server (or a cluster's load balancer) over HTTP."""

    def __init__(self, url: str) -> None:
        try:
            import clickhouse_connect
            from clickhouse_connect.driver.exceptions import OperationalError
        except ImportError as error:
            raise Unavailable("clickhouse-connect is not installed") from error
        parts = urlsplit(url)
        self.down: type[Exception] = OperationalError
        try:
            self.client = clickhouse_connect.get_client(
                host=parts.hostname or "localhost",
                port=parts.port or (8443 if parts.scheme == "clickhouses" else 8123),
                username=unquote(parts.username or "default"),
                password=unquote(parts.password or ""),
                database=parts.path.strip("/") or "default",
                secure=parts.scheme == "clickhouses",
                connect_timeout=3,
            )
        except OperationalError as error:
            raise Unavailable(f"ClickHouse at {parts.hostname} cannot be reached") from error

    def query(self, sql: str, params: dict[str, Any]) -> pa.Table:
        try:
            result: pa.Table = self.client.query_arrow(sql, parameters=params)
        except self.down as error:
            raise Unavailable(str(error)) from error
        return result

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        try:
            self.client.command(sql, parameters=params)
        except self.down as error:
            raise Unavailable(str(error)) from error

    def insert(self, table: str, batch: pa.Table) -> None:
        try:
            self.client.insert_arrow(table, batch)
        except self.down as error:
            raise Unavailable(str(error)) from error

    def close(self) -> None:
        self.client.close()


def _connect(url: str) -> Backend:
    scheme = urlsplit(url).scheme
    if scheme == "chdb":
        path = urlsplit(url).path
        if not path:
            raise Unavailable("chdb:// needs a directory, e.g. chdb:///var/lib/accord/analytics")
        return _Embedded(Path(unquote(path)))
    if scheme in ("clickhouse", "clickhouses"):
        return _Server(url)
    raise Unavailable(f"ACCORD_ANALYTICS_URL: unknown scheme '{scheme}' (chdb or clickhouse)")


lock = threading.RLock()  # one statement at a time per process (chDB's session is not shared)
_open: dict[str, Backend] = {}
RETRY_AFTER = 30.0  # seconds: an engine found unreachable is not tried again before then
_down_since: dict[str, float] = {}


def backend() -> Backend:
    """This process's connection to the configured engine (call with `lock` held). An engine
    found unreachable is not tried again for RETRY_AFTER seconds: a page of twenty queries does
    not wait twenty connection timeouts."""
    url = settings.ANALYTICS_URL
    if url not in _open:
        if time.monotonic() - _down_since.get(url, -math.inf) < RETRY_AFTER:
            raise Unavailable("unreachable at the last attempt; retried after a pause")
        close()  # chDB: one directory per process; a test may point elsewhere
        try:
            _open[url] = _connect(url)
        except Unavailable:
            _down_since[url] = time.monotonic()
            raise
        _down_since.pop(url, None)
    return _open[url]


def close() -> None:
    with lock:
        for held in _open.values():
            held.close()
        _open.clear()


def _lost() -> None:
    """The engine stopped answering: forget the connection, pause before the next attempt."""
    url = settings.ANALYTICS_URL
    held = _open.pop(url, None)
    _down_since[url] = time.monotonic()
    if held is not None:
        with contextlib.suppress(Exception):
            held.close()


def query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql` (ClickHouse SQL with positional placeholders), with every read setting."""
    text, named = bind(sql, params)
    with lock:
        try:
            return _rows(backend().query(f"{text} {SETTINGS}", named))
        except Unavailable:
            _lost()
            raise


def command(sql: str, params: Sequence[Any] = (), *, reads: bool = False) -> None:
    """A statement; one that `reads` tables (INSERT ... SELECT) gets the read settings."""
    text, named = bind(sql, params)
    with lock:
        try:
            backend().command(f"{text} {SETTINGS}" if reads else text, named)
        except Unavailable:
            _lost()
            raise


def insert(table: str, batch: pa.Table) -> None:
    with lock:
        try:
            backend().insert(table, batch)
        except Unavailable:
            _lost()
            raise


def read(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """A metric's query, written in DuckDB's SQL, run on ClickHouse."""
    return query(transpile(sql, "clickhouse"), params)
