"""The downloadable error report of an import: row number, column, value, reason."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from accord.integrations.export.cells import neutralise
from accord.integrations.models import ImportJob

HEADER = ["row", "column", "value", "reason"]


def error_rows(job: ImportJob) -> Iterator[list[str]]:
    yield HEADER
    for row, column, value, reason in job.errors.order_by("row", "pk").values_list(
        "row", "column", "value", "reason"
    ):
        yield [str(row), neutralise(column), neutralise(value), neutralise(reason)]


def write_error_report(job: ImportJob, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(error_rows(job))
