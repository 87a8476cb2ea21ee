"""What the importers that write through single-record services share.

An importer prepares a row into cleaned service values (running the service's own field
cleaners, read-only, so every problem is found before anything is written and reported against
the file's column), finds the existing record the row matches, and decides from the import's
on-match rule what to change on it. `write` then calls the services; a service that still
refuses an item aborts the batch (its transaction rolls back) with a message naming the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Model, QuerySet

from accord.core import cleaning as c
from accord.core.errors import AccordError, ValidationFailed
from accord.core.events import muted
from accord.crm.services.bulk import BatchCounts
from accord.identity.actor import Actor
from accord.integrations.importing.dates import contradiction
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.rows import RowError
from accord.integrations.importing.targets import ACCORD_ID, CUSTOM_FIELDS, header_key
from accord.integrations.importing.values import (
    BadValue,
    parse_amount,
    parse_custom_fields,
    parse_date,
    parse_datetime,
    parse_int,
)

CENT = Decimal("0.01")
CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"


# One `import.finished` summarises a run: the per-row services publish no record events.
ROW_EVENTS = ("contact.created", "contact.updated", "touchpoint.recorded", "activity.logged")


@dataclass(frozen=True)
class Columns:
    """Where a value came from: import target -> the file's column, and service field -> the
    import target(s) that fill it (e.g. `company_id` <- `company_name` or `company_domain`)."""

    column_of: Mapping[str, str]
    field_targets: Mapping[str, tuple[str, ...]]

    def target(self, service_field: str) -> str:
        candidates = self.field_targets.get(service_field, (service_field,))
        return next((t for t in candidates if t in self.column_of), candidates[0])

    def column(self, target: str) -> str:
        return self.column_of.get(target, target)


class Translator:
    """Cell text -> an Accord value: the mapping's value map first (preset or user), then a
    built-in vocabulary, else the text itself in key form ('Closed Won' -> 'closed_won')."""

    def __init__(self, value_maps: Mapping[str, Mapping[str, str]]) -> None:
        self.value_maps = value_maps

    def __call__(self, target: str, text: str, vocabulary: Mapping[str, str] | None = None) -> str:
        key = header_key(text)
        table = self.value_maps.get(target)
        if table and key in table:
            return table[key]
        if vocabulary and key in vocabulary:
            return vocabulary[key]
        return text.strip().lower().replace(" ", "_").replace("-", "_")


class RowCheck:
    """One row being prepared: its values by target, and every problem found in it."""

    def __init__(
        self, row: int, values: Mapping[str, str], columns: Columns, *, dates: ColumnMapping
    ) -> None:
        self.row = row
        self.values = values
        self.columns = columns
        self.dates = dates  # the mapping, for the order of each date column
        self.errors: list[RowError] = []
        self.failed: set[str] = set()

    def get(self, target: str) -> str | None:
        return self.values.get(target)

    def fail(self, target: str, reason: str) -> None:
        self.failed.add(target)
        column = self.columns.column(target) if target else ""
        self.errors.append(RowError(self.row, column, self.values.get(target, ""), reason))

    def require(self, target: str, what: str) -> str | None:
        text = self.values.get(target)
        if text is None:
            self.fail(target, f"{what} is required.")
        return text

    def datetime(self, target: str) -> dt.datetime | None:
        text = self.values.get(target)
        if text is None:
            return None
        try:
            return parse_datetime(text, order=self.dates.order_of(target))
        except BadValue as exc:
            self.fail(target, contradiction(self.dates, target, text) or exc.reason)
            return None

    def date(self, target: str) -> dt.date | None:
        text = self.values.get(target)
        if text is None:
            return None
        try:
            return parse_date(text, order=self.dates.order_of(target))
        except BadValue as exc:
            self.fail(target, contradiction(self.dates, target, text) or exc.reason)
            return None

    def amount(self, target: str) -> Decimal | None:
        """A money amount, to the cent (more decimals are refused, not rounded); negative
        amounts are refused."""
        text = self.values.get(target)
        if text is None:
            return None
        try:
            number = parse_amount(text)
        except BadValue as exc:
            self.fail(target, exc.reason)
            return None
        if number < 0:
            self.fail(target, "The amount cannot be negative.")
            return None
        return number.quantize(CENT)

    def integer(self, target: str) -> int | None:
        text = self.values.get(target)
        if text is None:
            return None
        try:
            return parse_int(text)
        except BadValue as exc:
            self.fail(target, exc.reason)
            return None

    def accord_id(self) -> int | None:
        """The record's id in this workspace (an Accord export's `id` column)."""
        text = self.values.get(ACCORD_ID)
        if text is None:
            return None
        if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) == 0:
            self.fail(ACCORD_ID, f"'{text}' is not an Accord id (a whole number).")
            return None
        return int(text)

    def custom_fields(self, custom: Mapping[str, str]) -> dict[str, Any]:
        """The row's custom fields: an Accord export's `custom_fields` JSON object, then the
        columns kept as custom fields (which win)."""
        text = self.values.get(CUSTOM_FIELDS)
        if text is None:
            return dict(custom)
        try:
            return {**parse_custom_fields(text), **custom}
        except BadValue as exc:
            self.fail(CUSTOM_FIELDS, exc.reason)
            return dict(custom)

    def choice(
        self,
        target: str,
        translate: Translator,
        allowed: Iterable[str],
        *,
        vocabulary: Mapping[str, str] | None = None,
        what: str,
    ) -> str | None:
        text = self.values.get(target)
        if text is None:
            return None
        value = translate(target, text, vocabulary)
        choices = list(allowed)
        if value not in choices:
            self.fail(target, f"'{text}' is not a known {what} (use one of: {', '.join(choices)}).")
            return None
        return value

    def clean(
        self,
        spec: Mapping[str, c.Cleaner],
        fields: Mapping[str, Any],
        workspace_id: int,
        *,
        required: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        """Run the service's own field cleaners (read-only) and report what they refuse against
        the columns the values came from."""
        required = [f for f in required if self.columns.target(f) not in self.failed]
        try:
            return c.clean(spec, fields, workspace_id, required=required)
        except ValidationFailed as exc:
            for name, messages in (exc.fields or {"": [exc.message]}).items():
                target = self.columns.target(name) if name not in ("", "__all__") else ""
                for message in messages:
                    self.fail(target, message)
            return None


def blank(value: Any) -> bool:
    """An empty field: what fill-empty may fill (a zero amount counts as empty)."""
    if value is None or value in ("", {}):
        return True
    return isinstance(value, Decimal | int) and not isinstance(value, bool) and value == 0


def merge_custom(
    current: Mapping[str, Any] | None, incoming: Mapping[str, Any], *, fill_only: bool
) -> dict[str, Any]:
    merged = dict(current or {})
    for key, value in incoming.items():
        if value in ("", None) or (fill_only and merged.get(key) not in ("", None)):
            continue
        merged[key] = value
    return merged


@dataclass(frozen=True)
class Decision:
    outcome: str  # UNCHANGED, SKIPPED or UPDATED
    changes: dict[str, Any]


def decide(
    current: Mapping[str, Any],
    wanted: Mapping[str, Any],
    on_match: str,
    *,
    custom: Mapping[str, Any] | None = None,
) -> Decision:
    """What an import changes on a matched record. Empty values in the file never erase
    anything. skip: change nothing (`unchanged` when the record already says what the row says,
    else `skipped`); fill-empty: set only fields that are empty; overwrite: set every value that
    differs."""
    differing = {k: v for k, v in wanted.items() if not blank(v) and current.get(k) != v}
    existing_custom = current.get("custom_fields") or {}
    if custom:
        merged = merge_custom(existing_custom, custom, fill_only=False)
        if merged != existing_custom:
            differing["custom_fields"] = merged
    if not differing:
        return Decision(UNCHANGED, {})
    if on_match == "skip":
        return Decision(SKIPPED, {})
    if on_match == "fill-empty":
        changes = {
            k: v for k, v in differing.items() if k != "custom_fields" and blank(current.get(k))
        }
        if custom:
            merged = merge_custom(existing_custom, custom, fill_only=True)
            if merged != existing_custom:
                changes["custom_fields"] = merged
    else:
        changes = differing
    return Decision(UPDATED if changes else UNCHANGED, changes)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower() != ""
    return a is not None and a == b


def by_accord_id[M: Model](
    records: QuerySet[M], accord_id: int | None, values: dict[str, Any], identity: Iterable[str]
) -> M | None:
    """The record (of the workspace's `records`) an Accord export's `id` names, or None. Ids
    are only unique within one installation: a file from another (staging, a restored copy)
    may name an id this workspace uses for something else. So the id matches only a record
    that agrees with the row on at least one of its `identity` fields (a company's domain or
    name, a deal's name …); otherwise the row is matched as any other."""
    if accord_id is None:
        return None
    found = records.filter(pk=accord_id).first()
    if found is None:
        return None
    agrees = any(
        name in values and _same(getattr(found, name, None), values[name]) for name in identity
    )
    return found if agrees else None


def current_values(record: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


@dataclass
class Prepared:
    """A prepared row: its cleaned service values."""

    row: int
    values: dict[str, Any]


class ServiceImporter:
    """The RecordImporter shape for types written one record at a time through their service.

    Subclasses implement `build` (a row -> a prepared item, or problems on the RowCheck),
    `key` (the identity of a row within one file) and `save` (write one item, returning its
    outcome)."""

    record_type: ClassVar[str] = ""
    # Service field -> the import targets that fill it, for reporting service errors.
    field_targets: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        self.actor = actor
        self.workspace = actor.workspace
        self.on_match = on_match
        self.rule = rule
        self.mapping = mapping
        self.columns = Columns(
            {t: mapping.header[idx[0]] for t, idx in mapping.mapped.items()}, self.field_targets
        )
        self.translate = Translator(mapping.value_maps)

    def prepare(
        self, row: int, values: dict[str, str], custom: dict[str, str]
    ) -> tuple[Any | None, list[RowError]]:
        check = RowCheck(row, values, self.columns, dates=self.mapping)
        item = self.build(check, custom)
        if check.errors or item is None:
            return None, check.errors
        return item, []

    def build(self, check: RowCheck, custom: dict[str, str]) -> Any | None:
        raise NotImplementedError

    def key(self, item: Any) -> str:
        raise NotImplementedError

    def save(self, item: Any) -> str:
        raise NotImplementedError

    def write(self, items: Sequence[Any]) -> BatchCounts:
        counts = BatchCounts()
        for item in items:
            try:
                with muted(*ROW_EVENTS):
                    outcome = self.save(item)
            except AccordError as exc:
                raise ValidationFailed(self._write_failure(item, exc)) from exc
            if outcome == CREATED:
                counts.created += 1
                counts.created_rows.append(item.row)
            elif outcome == UPDATED:
                counts.updated += 1
            elif outcome == SKIPPED:
                counts.skipped += 1
            else:
                counts.unchanged += 1
        return counts

    def _write_failure(self, item: Any, exc: AccordError) -> str:
        details = [
            f"{self.columns.column(self.columns.target(name))}: {'; '.join(messages)}"
            for name, messages in exc.fields.items()
        ]
        detail = "; ".join(details) or exc.message
        return (
            f"Row {item.row} could not be saved ({detail}). The rows of its batch were rolled "
            "back; fix the row and run the import again."
        )
