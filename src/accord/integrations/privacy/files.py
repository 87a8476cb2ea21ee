"""Blanking a contact's rows in a stored import file. The row keeps its place (empty cells),
so the row numbers of the job's progress and row errors still point to the same rows. The
scrubbed copy gets a new name from its new digest: `importing.jobs` reuses a stored file by
the digest of its content, so the old name must not hold the new content."""

from __future__ import annotations

import codecs
import csv
import hashlib
from pathlib import Path

from accord.integrations.importing.readers import CsvTable, XlsxTable, open_table


def _digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _blank_csv(table: CsvTable, rows: set[int], target: Path) -> None:
    csv.field_size_limit(1 << 30)
    with table.path.open("rb") as fh:
        had_bom = fh.read(3) == codecs.BOM_UTF8
    encoding = "utf-8" if table.encoding == "utf-8-sig" and not had_bom else table.encoding
    with (
        table.path.open("r", encoding=table.encoding, newline="") as src,
        target.open("w", encoding=encoding, newline="") as out,
    ):
        reader = csv.reader(src, delimiter=table.delimiter)
        writer = csv.writer(out, delimiter=table.delimiter, lineterminator="\r\n")
        for number, cells in enumerate(reader):  # 0 is the header
            writer.writerow([""] * len(cells) if number in rows else cells)


def _blank_xlsx(table: XlsxTable, rows: set[int], target: Path) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(table.path)
    sheet = workbook.worksheets[0]
    for number in rows:
        for cell in sheet[number + 1]:  # row 1 is the header
            cell.value = None
    workbook.save(target)
    workbook.close()


def blank_rows(path: Path, rows: set[int]) -> tuple[Path, str, int]:
    """Write a copy of `path` with the given data rows blanked, named by its digest beside the
    original; returns (new path, sha256, size). The original is left for the caller to remove
    once the change is committed."""
    table = open_table(path)
    partial = path.with_name(path.name + ".scrub")
    if isinstance(table, CsvTable):
        _blank_csv(table, rows, partial)
    else:
        _blank_xlsx(table, rows, partial)
    sha = _digest(partial)
    target = path.with_name(f"{sha[:16]}{path.suffix}")
    partial.replace(target)
    return target, sha, target.stat().st_size
