"""A port for bulk jobs that read a whole workspace (a lead definition's re-score, a back-test):
the analytics copy, when there is one that may answer, as a DuckDB connection.

The columnar copy belongs to the metrics context, above the contexts whose jobs read it; the
metrics context fills this port in at start-up (`metrics.bulk_reads`), so a lower context asks
for the copy without importing its owner. Without a provider, or when the copy may not answer
now, `open_copy` yields None and the job reads the record store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

Opener = Callable[[int], AbstractContextManager[Any]]
_opener: Opener | None = None


def provide(opener: Opener) -> None:
    """Install the copy's opener: given a workspace id, a context yielding an up-to-date DuckDB
    connection, or None when the copy may not answer for that workspace now."""
    global _opener  # noqa: PLW0603 - one provider per process, installed at start-up
    _opener = opener


@contextmanager
def open_copy(workspace_id: int) -> Iterator[Any]:
    if _opener is None:
        yield None
        return
    with _opener(workspace_id) as con:
        yield con
