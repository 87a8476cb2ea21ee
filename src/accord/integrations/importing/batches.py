"""Reading a file into prepared batches: cells -> target values -> prepared items, with the
row errors and the duplicates inside the file.

No Django here: `BatchReader` runs in the import's own process for small files and, for large
ones, in a separate reader process (see `prepare_process`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.readers import CsvTable, XlsxTable
from accord.integrations.importing.rows import RowError, RowReader

BATCH_ROWS = 5_000


@dataclass(frozen=True)
class PreparedBatch:
    last_row: int
    rows: int
    items: list[Any]
    errors: list[RowError]


class RowPreparer(Protocol):
    def prepare(
        self, row: int, values: dict[str, str], custom: dict[str, str]
    ) -> tuple[Any | None, list[RowError]]: ...

    def key(self, item: Any) -> str:
        """What makes two rows of one file the same record (reported as a duplicate)."""
        ...


class BatchReader:
    """One pass over a file from a checkpoint, in batches of prepared items."""

    def __init__(
        self,
        table: CsvTable | XlsxTable,
        mapping: ColumnMapping,
        preparer: RowPreparer,
        *,
        resume_from: int = 0,
    ) -> None:
        self.table = table
        self.reader = RowReader(mapping)
        self.preparer = preparer
        self.resume_from = resume_from
        # hash(record key) -> first row, for in-file duplicates. Hashes, not the keys, keep a
        # million-row file's index near 100 MB (SipHash-64: a false duplicate needs a collision
        # among the file's keys, about 1 in 10^7 for a million rows).
        self.seen: dict[int, int] = {}

    def batches(self) -> Iterator[PreparedBatch]:
        if self.resume_from:
            self._remember_committed_rows()
        batch: list[tuple[int, list[str]]] = []
        for number, cells in self.table.rows(start_after=self.resume_from):
            batch.append((number, cells))
            if len(batch) >= BATCH_ROWS:
                yield self._prepare(batch)
                batch = []
        if batch:
            yield self._prepare(batch)

    def _remember_committed_rows(self) -> None:
        """Rebuild the duplicate index from the rows an earlier run already committed."""
        for number, cells in self.table.rows():
            if number > self.resume_from:
                return
            values, custom, problem = self.reader.read(number, cells)
            if problem is None:
                item, _ = self.preparer.prepare(number, values, custom)
                if item is not None:
                    self.seen.setdefault(hash(self.preparer.key(item)), number)

    def _prepare(self, batch: list[tuple[int, list[str]]]) -> PreparedBatch:
        items = []
        errors: list[RowError] = []
        read, prepare, key, seen = (
            self.reader.read, self.preparer.prepare, self.preparer.key, self.seen,
        )  # fmt: skip
        for number, cells in batch:
            values, custom, problem = read(number, cells)
            if problem is not None:
                errors.append(problem)
                continue
            item, row_errors = prepare(number, values, custom)
            if row_errors:
                errors.extend(row_errors)
                continue
            record_key = key(item)
            hashed = hash(record_key)
            first = seen.get(hashed)
            if first is not None:
                errors.append(
                    RowError(number, "", record_key, f"Duplicate of row {first} in this file.")
                )
                continue
            seen[hashed] = number
            items.append(item)
        return PreparedBatch(batch[-1][0], len(batch), items, errors)
