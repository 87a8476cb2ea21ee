"""SQL written once: each metric's query is kept in one dialect (DuckDB's) and transpiled with
SQLGlot to the record store's (SQLite or PostgreSQL) and to ClickHouse's (the analytics engine).
Placeholders are positional `?` in the source and become the DB-API style of the target (`%s`
for Django's cursors); for ClickHouse they stay positional (`PLACEHOLDER`) until
`metrics.clickhouse` binds each to a typed, named query parameter."""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

import sqlglot

Dialect = Literal["duckdb", "sqlite", "postgres", "clickhouse"]
PLACEHOLDER = "{?: }"  # how SQLGlot writes a positional `?` for ClickHouse


# SQLGlot writes date_diff('second', a, b) for SQLite as the Julian-day difference times 86400,
# truncated: a floating-point difference of 431.99999 s becomes 431. Whole seconds of each
# time, subtracted, count second boundaries exactly as DuckDB and PostgreSQL do.
_JULIAN_SECONDS = re.compile(
    r"CAST\(\(JULIANDAY\(([\w.]+)\) - JULIANDAY\(([\w.]+)\)\) \* 86400\.0 AS INTEGER\)"
)
_WHOLE_SECONDS = r"(CAST(STRFTIME('%s', \1) AS INTEGER) - CAST(STRFTIME('%s', \2) AS INTEGER))"


@cache
def transpile(source: str, dialect: Dialect) -> str:
    """The query in `dialect`; for the record store its placeholders are `%s`, for ClickHouse
    `PLACEHOLDER`."""
    if dialect == "duckdb":
        return source
    (sql,) = sqlglot.transpile(source, read="duckdb", write=dialect)
    if dialect == "clickhouse":
        return sql
    sql = sql.replace("?", "%s")
    if dialect == "sqlite":
        # After the placeholders: STRFTIME's own '%s' is a format, escaped for the DB-API.
        sql = _JULIAN_SECONDS.sub(_WHOLE_SECONDS.replace("%s", "%%s"), sql)
    return sql
