"""Bulk writes for the demo loader: many rows per statement, below the ORM.

SQLite gets `executemany` on the raw DB-API cursor (no per-row model instances and no debug
query log); PostgreSQL gets `COPY … FROM STDIN`. Rows that other rows point to (companies,
contacts, deals) get their ids from a block reserved up front, so one chunk is written without
reading ids back.

Table and column names in the SQL below come from model metadata and are quoted by the backend;
every value is a bound parameter (hence the `noqa: S608`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED


def _column(model: type[models.Model], name: str) -> str:
    column = getattr(model._meta.get_field(name), "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{model.__name__}.{name} is not a concrete column")
    return column


class BulkWriter:
    def __init__(self) -> None:
        self.vendor = connection.vendor
        if self.vendor not in {"sqlite", "postgresql"}:
            raise NotImplementedError(
                f"The demo loader supports SQLite and PostgreSQL, not {self.vendor}."
            )
        self.qn = connection.ops.quote_name

    @property
    def sqlite(self) -> bool:
        return self.vendor == "sqlite"

    def _raw(self) -> Any:
        connection.ensure_connection()
        return connection.connection.cursor()

    def tune(self, cache_mib: int) -> None:
        """A larger page cache while loading (SQLite only); `cache_mib=0` restores the default."""
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {-1024 * cache_mib if cache_mib else -2000}")

    @contextmanager
    def freed_pages_not_zeroed(self) -> Iterator[None]:
        """Debian builds SQLite with secure_delete on: every freed page is overwritten with
        zeros, which doubles the writes of deleting a large demo. The demo's rows are synthetic,
        so while they are deleted it is set to FAST (zero only what costs no extra I/O)."""
        if not self.sqlite:
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete")
            previous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA secure_delete = FAST")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA secure_delete = {previous}")

    def lock(self, models_: Sequence[type[models.Model]]) -> None:
        """Keep other writers out of these tables until the transaction ends. SQLite's
        IMMEDIATE transactions already do; PostgreSQL needs a table lock."""
        if not self.sqlite:
            tables = ", ".join(self.qn(m._meta.db_table) for m in models_)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """The first of `count` fresh primary keys for `model` (call inside `lock`)."""
        table = model._meta.db_table
        pk = _column(model, model._meta.pk.name)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({self.qn(pk)}), 0) FROM {self.qn(table)}")  # noqa: S608
            highest = int(cursor.fetchone()[0])
            if self.sqlite:
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                return max(highest, int(row[0]) if row else 0) + 1
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = max(int(cursor.fetchone()[0]), highest + 1)
            if count:
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return first

    def _defaults(
        self, model: type[models.Model], fields: Sequence[str]
    ) -> tuple[list[str], tuple[object, ...]]:
        """Columns the loader does not set (say, a field another context added later), with
        their default values in database form."""
        given = {model._meta.get_field(name).name for name in fields}
        names, values = [], []
        for f in model._meta.concrete_fields:
            if f.name in given or f.primary_key or f.db_default is not NOT_PROVIDED:
                continue
            value = f.get_default()
            if value is None and not f.null:
                raise RuntimeError(
                    f"The demo loader does not know a value for {model.__name__}.{f.name}."
                )
            names.append(f.name)
            values.append(f.get_db_prep_save(value, connection))
        return names, tuple(values)

    def insert(
        self, model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """Insert rows given as tuples in the order of `fields` (model field names); columns
        not named get their field default."""
        meta = model._meta
        extra_names, extra_values = self._defaults(model, fields)
        if extra_names:
            fields = [*fields, *extra_names]
            rows = (tuple(row) + extra_values for row in rows)
        columns = ", ".join(self.qn(_column(model, name)) for name in fields)
        table = self.qn(meta.db_table)
        cursor = self._raw()
        try:
            if self.sqlite:
                marks = ", ".join("?" for _ in fields)
                sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, rows)
            else:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        finally:
            cursor.close()

    def only_workspace(self, models_: Sequence[type[models.Model]], workspace_id: int) -> bool:
        """Whether every row of these tables belongs to this workspace."""
        with connection.cursor() as cursor:
            for model in models_:
                table, column = self.qn(model._meta.db_table), self.qn(_column(model, "workspace"))
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} <> %s)",  # noqa: S608
                    [workspace_id],
                )
                if cursor.fetchone()[0]:
                    return False
        return True

    def delete_workspace_rows(
        self, model: type[models.Model], workspace_id: int, *, whole_table: bool = False
    ) -> None:
        """Delete one workspace's rows of a table. `whole_table` (when they are all its rows)
        lets SQLite drop the pages instead of visiting every row and index entry, provided
        foreign-key enforcement is off (its truncate optimisation)."""
        table, column = self.qn(model._meta.db_table), self.qn(_column(model, "workspace"))
        with connection.cursor() as cursor:
            if whole_table:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            else:
                cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [workspace_id])  # noqa: S608
