"""Exports: any list, with the same filters as its page and API, to CSV or Parquet. Rows are
streamed from the database in chunks, so memory stays flat whatever the size."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import typing
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from accord.core import cleaning
from accord.core.errors import ValidationFailed
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.integrations.export.cells import neutralise
from accord.integrations.export.columns import COLUMNS, EXPORT_TYPES, LISTS

CHUNK = 5_000
FORMATS = ("csv", "parquet")


def _whole_number(name: str, raw: str) -> int:
    """A record's id (`..._id`) or a count such as employees: a number the database holds."""
    number = int(raw)  # ValueError: "… is not a whole number"
    if name.endswith("_id"):
        return cleaning.record_id(number, name, "record")
    if not 0 <= number <= cleaning.MAX_ID:
        raise ValidationFailed.single(name, f"{number} is not between 0 and {cleaning.MAX_ID}.")
    return number


def parse_filters(record_type: str, params: Mapping[str, str]) -> Any:
    """Build the list's filter dataclass from text parameters (web query string, CLI
    --filter key=value), with a field error for anything unknown or malformed."""
    if record_type not in LISTS:
        raise ValidationFailed.single(
            "type", f"Unknown list '{record_type}' (use one of {', '.join(EXPORT_TYPES)})."
        )
    filters_class, _ = LISTS[record_type]
    hints = typing.get_type_hints(filters_class)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in params.items():
        if name not in hints:
            errors[name] = [f"Unknown filter for {record_type}."]
            continue
        hint = hints[name]
        try:
            if "\x00" in raw:
                errors[name] = ["The value holds a NUL character."]
            elif hint is str:
                values[name] = raw
            elif dt.datetime in typing.get_args(hint):
                values[name] = cleaning.datetime(raw, name, 0)
            elif int in typing.get_args(hint):
                values[name] = None if raw == "" else _whole_number(name, raw)
            elif dt.date in typing.get_args(hint):
                values[name] = cleaning.date(raw, name, 0)
            else:
                values[name] = raw
        except ValueError:
            errors[name] = [f"'{raw}' is not a whole number."]
        except ValidationFailed as exc:
            errors[name] = exc.fields.get(name, [exc.message])
    if errors:
        raise ValidationFailed("Some filters are invalid.", fields=errors)
    return filters_class(**values)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_rows(
    actor: Actor, record_type: str, filters: Any
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    actor.require(Action.READ)
    if record_type not in LISTS:
        raise ValidationFailed.single("type", f"Unknown list '{record_type}'.")
    filters_class, selector = LISTS[record_type]
    if filters is None:
        filters = filters_class()
    elif not dataclasses.is_dataclass(filters) or not isinstance(filters, filters_class):
        raise TypeError("filters must be the list's filter dataclass")
    columns = COLUMNS[record_type]
    with transaction.atomic():  # who exported which list, with which filters
        given = {
            k: list(v) if isinstance(v, tuple | set | frozenset) else v
            for k, v in dataclasses.asdict(filters).items()
            if v is not None and v != "" and not (isinstance(v, tuple | list | set) and not v)
        }
        audit.record(
            actor,
            "export.requested",
            object_type="list",
            object_id=record_type,
            label=f"{record_type} export",
            after={"list": record_type, "filters": given},
        )
    queryset = selector(actor.workspace, filters).order_by("pk")
    rows = queryset.values_list(*(path for _, path in columns)).iterator(chunk_size=CHUNK)
    return [header for header, _ in columns], rows


def iter_csv(header: list[str], rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    """CSV text in chunks; text cells that a spreadsheet would run as formulas are neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(
            [neutralise(c) if isinstance(c, str) else c for c in (_cell(v) for v in row)]
        )
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(path: Path, header: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        for chunk in iter_csv(header, rows):
            fh.write(chunk)


def write_parquet(path: Path, header: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Parquet in row groups of CHUNK rows. Every column is text in the same rendering as the
    CSV (ISO 8601 times, decimal strings), with empty values as nulls: one schema whatever the
    data, which every reader (pandas, DuckDB, Spark) casts as it needs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    total = 0
    schema = pa.schema([(name, pa.string()) for name in header])
    try:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                writer = _write_group(path, schema, header, batch, writer)
                total += len(batch)
                batch = []
        if batch or writer is None:
            writer = _write_group(path, schema, header, batch, writer)
            total += len(batch)
    finally:
        if writer is not None:
            writer.close()
    return total


def _write_group(
    path: Path, schema: Any, header: list[str], batch: list[tuple[Any, ...]], writer: Any
) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(zip(*batch, strict=True)) if batch else [() for _ in header]
    arrays = [
        pa.array([None if v is None else str(_cell(v)) for v in column], type=pa.string())
        for column in columns
    ]
    table = pa.Table.from_arrays(arrays, schema=schema)
    if writer is None:
        writer = pq.ParquetWriter(str(path), schema)
    writer.write_table(table)
    return writer
