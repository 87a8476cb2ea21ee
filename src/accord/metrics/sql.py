"""SQL written once: each metric's query is kept in one dialect (DuckDB's) and transpiled with
SQLGlot to the record store's (SQLite or PostgreSQL). Placeholders are positional `?` in the
source and become the DB-API style of the target (`%s` for Django's cursors)."""

from __future__ import annotations

from functools import cache
from typing import Literal

import sqlglot

Dialect = Literal["duckdb", "sqlite", "postgres"]


@cache
def transpile(source: str, dialect: Dialect) -> str:
    """The query in `dialect`; for the record store its placeholders are `%s`."""
    if dialect == "duckdb":
        return source
    (sql,) = sqlglot.transpile(source, read="duckdb", write=dialect)
    return sql.replace("?", "%s")
