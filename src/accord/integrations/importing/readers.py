"""Reading tabular files: encoding and delimiter detection for CSV, read-only XLSX, streamed.

No Django here. A reader yields the header and then lists of cell strings, never holding the
whole file in memory, and raises `FileProblem` with a message a person can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_CELL_BYTES = 1_000_000  # a cell larger than this is refused, not silently truncated
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = [",", ";", "\t"]


class FileProblem(ValueError):
    """The file cannot be read as a table. `line` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class TableInfo:
    kind: str  # "csv" | "xlsx"
    encoding: str
    delimiter: str
    header: list[str]


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return bool(sample) and control / len(sample) > 0.05


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8; otherwise cp1252
    (or Latin-1 for the five bytes cp1252 leaves undefined). A file that is valid UTF-8 in some
    places and not in others mixes encodings and is refused."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
            raise FileProblem("The file is UTF-16; save it as UTF-8 CSV and import it again.")
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        saw_multibyte = False
        line = 1
        position = 0
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_at = position + exc.start
                fh.seek(0)
                prefix = fh.read(bad_at)
                line = prefix.count(b"\n") + 1
                if saw_multibyte or not prefix.isascii():
                    raise FileProblem(
                        "The file mixes encodings: it is UTF-8 up to here and something else "
                        "from this line on. Re-save it with one encoding (UTF-8).",
                        line=line,
                    ) from None
                return _single_byte_encoding(path)
            saw_multibyte = saw_multibyte or not chunk.isascii()
            position += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileProblem("The file ends in the middle of a UTF-8 character.") from None
    return "utf-8-sig"


def _single_byte_encoding(path: Path) -> str:
    undefined_in_cp1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if undefined_in_cp1252.intersection(chunk):
                return "latin-1"
    return "cp1252"


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of columns."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        raise FileProblem("The file is empty.")
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for w in widths if w == widths[0])
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _clean_header(raw: list[str]) -> list[str]:
    header = [h.strip().lstrip("\ufeff") for h in raw]
    if not any(header):
        raise FileProblem("The first row (the header) is empty.", line=1)
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        raise FileProblem(f"Header column {blanks[0]} has no name.", line=1)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.lower()
        if key in seen:
            raise FileProblem(
                f"The header names '{name}' twice (columns {seen[key] + 1} and {i + 1}).",
                line=1,
            )
        seen[key] = i
    return header


class CsvTable:
    """A CSV file read row by row. Iterating yields (line_number, cells)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            sample = fh.read(_SNIFF_BYTES)
        if not sample.strip():
            raise FileProblem("The file is empty.")
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileProblem("The file is UTF-16; save it as UTF-8 CSV and import it again.")
        if _looks_binary(sample):
            raise FileProblem("This is not a text CSV file (it contains binary data).")
        self.encoding = detect_encoding(path)
        self.delimiter = detect_delimiter(sample.decode(self.encoding, errors="replace"))
        with self._open() as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            try:
                self.header = _clean_header(next(reader))
            except StopIteration:
                raise FileProblem("The file is empty.") from None
            except csv.Error as exc:
                raise FileProblem(f"The header row cannot be read: {exc}.", line=1) from None

    def _open(self) -> io.TextIOWrapper:
        return self.path.open("r", encoding=self.encoding, newline="")

    @property
    def info(self) -> TableInfo:
        return TableInfo("csv", self.encoding, self.delimiter, self.header)

    def rows(self, start_after: int = 0) -> Iterator[tuple[int, list[str]]]:
        """Data rows as (row_number, cells); row 1 is the first row after the header.
        `start_after` skips rows already processed (resuming a job)."""
        csv.field_size_limit(MAX_CELL_BYTES + 1)
        with self._open() as fh:
            reader = csv.reader(fh, delimiter=self.delimiter, strict=True)
            next(reader, None)
            number = 0
            try:
                for cells in reader:
                    number += 1
                    if number <= start_after:
                        continue
                    if not "".join(cells).strip():
                        continue  # a blank line, or an empty row such as ",,,"
                    yield number, cells
            except csv.Error as exc:
                message = str(exc)
                if "field larger than field limit" in message:
                    message = f"a cell is larger than {MAX_CELL_BYTES // 1_000_000} MB"
                raise FileProblem(
                    f"Row {number + 1} cannot be read: {message}.", line=reader.line_num
                ) from None


class XlsxTable:
    """The first worksheet of an XLSX workbook, read in read-only (streaming) mode. Formulas are
    read as their cached values; merged cells are refused because their meaning is ambiguous."""

    def __init__(self, path: Path) -> None:
        import openpyxl

        self.path = path
        self.encoding = "xlsx"
        self.delimiter = ""
        if not zipfile.is_zipfile(path):
            raise FileProblem("This is not an XLSX workbook.")
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise FileProblem(f"The workbook cannot be opened: {exc}.") from None
        sheet = workbook.worksheets[0]
        merged = getattr(sheet, "merged_cells", None)
        workbook.close()
        if merged is None:  # read-only sheets do not expose merges: check the XML
            self._refuse_merged_cells(path)
        elif merged.ranges:
            raise FileProblem("The sheet has merged cells; unmerge them and import again.")
        first = next(self._iter_rows(), None)
        if first is None:
            raise FileProblem("The workbook's first sheet is empty.")
        self.header = _clean_header(first)

    @staticmethod
    def _refuse_merged_cells(path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet1") and name.endswith(".xml"):
                    with archive.open(name) as fh:
                        while chunk := fh.read(1 << 20):
                            if b"<mergeCell " in chunk or b"<mergeCells" in chunk:
                                raise FileProblem(
                                    "The sheet has merged cells; unmerge them and import again."
                                )

    def _iter_rows(self) -> Iterator[list[str]]:
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                yield ["" if v is None else _xlsx_text(v) for v in values]
        finally:
            workbook.close()

    @property
    def info(self) -> TableInfo:
        return TableInfo("xlsx", "xlsx", "", self.header)

    def rows(self, start_after: int = 0) -> Iterator[tuple[int, list[str]]]:
        rows = self._iter_rows()
        next(rows, None)
        for number, cells in enumerate(rows, start=1):
            if number <= start_after:
                continue
            while cells and cells[-1] == "" and len(cells) > len(self.header):
                cells.pop()
            if not any(c.strip() for c in cells):
                continue
            yield number, cells


def _xlsx_text(value: object) -> str:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def open_table(path: Path) -> CsvTable | XlsxTable:
    """Open a CSV or XLSX file, chosen by content (an XLSX is a zip archive), not by name."""
    if not path.exists() or path.stat().st_size == 0:
        raise FileProblem("The file is empty.")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04":
        return XlsxTable(path)
    return CsvTable(path)
