"""The columnar copy offered to bulk jobs of lower contexts (`core.bulk_copy`).

Offered where the metrics use it — workspaces large enough for the copy to answer
(`engine.choose_engine`) — after bringing it up to date, so it holds everything committed
before the job began. Not inside a transaction: a sync there would copy rows that may still roll
back. While another process holds the copy's file, nothing is offered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connection

logger = logging.getLogger(__name__)


@contextmanager
def open_for_bulk(workspace_id: int) -> Iterator[Any]:
    import duckdb

    from accord.metrics import columnar
    from accord.metrics.engine import choose_engine

    if connection.in_atomic_block or choose_engine(workspace_id) != "columnar":
        yield None
        return
    with ExitStack() as stack:
        try:
            columnar.sync()
            con = stack.enter_context(columnar.open_store())
        except duckdb.IOException:
            logger.warning("columnar copy busy; the job reads the record store")
            con = None
        yield con
