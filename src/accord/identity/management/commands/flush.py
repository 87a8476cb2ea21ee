"""Django's `flush`, with the workspaces emptied first.

The audit log refuses DELETE while an entry's workspace exists (its database trigger); a
workspace's deletion removes its entries by ON DELETE CASCADE. PostgreSQL's TRUNCATE fires no
row triggers, but on SQLite `flush` is one `DELETE FROM` per table in no fixed order, so the
workspace table goes first here. Everything else is Django's command unchanged (the test
runner calls it between transactional tests)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from accord.identity.models import Workspace


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        ops = connections[options["database"]].ops
        table = ops.quote_name(Workspace._meta.db_table)
        original = ops.execute_sql_flush

        def workspaces_first(sql_list: Iterable[str]) -> None:
            original(sorted(sql_list, key=lambda sql: table not in sql))

        ops.execute_sql_flush = workspaces_first  # type: ignore[method-assign]
        try:
            super().handle(**options)
        finally:
            del ops.execute_sql_flush
