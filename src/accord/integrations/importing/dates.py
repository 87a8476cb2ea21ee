"""Deciding the order of day and month in a file's 'a/b/YYYY' dates, per column, for the whole
file: never per cell, so '25/12/2025' and '03/04/2025' in one column are both day first.

Unless the person states the order (or the preset declares it), a first pass over the file
reads only its date columns, before anything is written:

- a value whose first number is over 12 can only be day first, one whose second number is over
  12 only month first; a column with either kind is read in that order;
- a column with both is read in the order most of its rows show, and the rows that contradict
  it are row errors ("25/12/2025 and 12/25/2025 in one column: dates must use one order");
- a column whose values could all be read either way is read month first (the default), and
  the job says so.

The decision is stored with the job's mapping, so a resumed run reads the file the same way.
The pass keeps a few counters per column: memory stays flat whatever the file's size.

No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.readers import CsvTable, XlsxTable
from accord.integrations.importing.targets import DATE_TARGETS
from accord.integrations.importing.values import DMY, MDY, ORDER_NAMES, date_numbers

DEFAULT_ORDER = MDY


@dataclass
class ColumnDates:
    """What one date column's 'a/b/YYYY' values say about their order."""

    day_first: int = 0  # values only day first can read (the first number is over 12)
    month_first: int = 0  # values only month first can read (the second number is over 12)
    either: int = 0  # values both orders can read (both numbers 12 or less)
    examples: dict[str, str] = field(default_factory=dict)  # order -> its first such value

    def add(self, text: str) -> None:
        numbers = date_numbers(text)
        if numbers is None or numbers[2]:
            return  # ISO 8601, or dotted (D.M.YYYY is day first by convention)
        a, b, _ = numbers
        if a > 12 and b <= 12:
            self.day_first += 1
            self.examples.setdefault(DMY, text)
        elif b > 12 and a <= 12:
            self.month_first += 1
            self.examples.setdefault(MDY, text)
        elif a <= 12 and b <= 12:
            self.either += 1
            self.examples.setdefault("", text)


@dataclass(frozen=True)
class DateDecision:
    orders: dict[str, str]  # target -> order
    examples: dict[str, str]  # target -> a value showing its order
    notes: list[str]


def survey(table: CsvTable | XlsxTable, mapping: ColumnMapping) -> dict[str, ColumnDates]:
    """One pass over the file's date columns (those the mapping fills)."""
    mapped = mapping.mapped
    targets = [(t, mapped[t]) for t in DATE_TARGETS.get(mapping.record_type, ()) if t in mapped]
    found = {t: ColumnDates() for t, _ in targets}
    if not targets:
        return found
    width = len(mapping.header)
    for _, cells in table.rows():
        if len(cells) != width:
            continue  # a row error of the import itself
        for target, indexes in targets:
            for i in indexes:
                text = cells[i].strip()
                if text:
                    if text[4:5] != "-":  # ISO 8601 ('YYYY-…') needs no order
                        found[target].add(text)
                    break
    return found


def decide(mapping: ColumnMapping, columns: dict[str, ColumnDates]) -> DateDecision:
    """The order of each date column, from what the survey found in it."""
    orders: dict[str, str] = {}
    examples: dict[str, str] = {}
    notes: list[str] = []
    column_of = {t: mapping.header[idx[0]] for t, idx in mapping.mapped.items()}
    for target, seen in columns.items():
        column = column_of.get(target, target)
        if seen.day_first and seen.month_first:
            order = DMY if seen.day_first > seen.month_first else MDY
            if seen.day_first == seen.month_first:
                order = DEFAULT_ORDER
            notes.append(
                f"Column '{column}' mixes day-first dates ({seen.day_first}, e.g. "
                f"{seen.examples[DMY]}) and month-first dates ({seen.month_first}, e.g. "
                f"{seen.examples[MDY]}); it was read {ORDER_NAMES[order]}, and the rows written "
                "the other way are reported as errors."
            )
        elif seen.day_first:
            order = DMY
        elif seen.month_first:
            order = MDY
        elif seen.either:
            order = DEFAULT_ORDER
            example = seen.examples[""]
            notes.append(
                f"Every date in column '{column}' (e.g. {example}) reads as day first or month "
                f"first; they were read {ORDER_NAMES[order]}, so {example} is "
                f"{_spelled(example, order)}. If that is wrong, import the file again with the "
                "date order stated (dmy: day first)."
            )
        else:
            continue
        orders[target] = order
        if order in seen.examples:
            examples[target] = seen.examples[order]
    return DateDecision(orders, examples, notes)


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _spelled(text: str, order: str) -> str:
    numbers = date_numbers(text)
    if numbers is None:
        return text
    a, b, _ = numbers
    day, month = (a, b) if order == DMY else (b, a)
    return f"{day} {_MONTHS[month - 1]}" if 1 <= month <= 12 else text


def decide_dates(table: CsvTable | XlsxTable, mapping: ColumnMapping) -> ColumnMapping:
    """The mapping with its date orders decided (a no-op when they already are, or the order
    is stated: then every date column is read in that order)."""
    if mapping.date_orders is not None:
        return mapping
    if mapping.date_order:
        mapping.date_orders = {}
        return mapping
    decision = decide(mapping, survey(table, mapping))
    mapping.date_orders = decision.orders
    mapping.date_examples = decision.examples
    mapping.date_notes = decision.notes
    return mapping


def contradiction(mapping: ColumnMapping, target: str, text: str) -> str | None:
    """The reason a date that only reads in the other order is refused, or None when the value
    is not such a date."""
    numbers = date_numbers(text)
    if numbers is None or numbers[2]:
        return None
    a, b, _ = numbers
    order = mapping.order_of(target)
    if not ((order == MDY and a > 12 >= b) or (order == DMY and b > 12 >= a)):
        return None
    example = mapping.date_examples.get(target)
    if example:
        return f"{text} and {example} in one column: dates must use one order."
    return f"{text} is not a date {ORDER_NAMES[order]}, the order stated for this file."


def describe(table: CsvTable | XlsxTable, mapping: ColumnMapping) -> list[str]:
    """What the import will assume about each date column, in words, for the preview: the
    same decision as `decide_dates`, so the preview and the import agree."""
    if mapping.date_order:
        return [f"Dates like 03/04/2025 are read {ORDER_NAMES[mapping.date_order]}, as stated."]
    columns = survey(table, mapping)
    decision = decide(mapping, columns)
    column_of = {t: mapping.header[idx[0]] for t, idx in mapping.mapped.items()}
    lines = list(decision.notes)
    for target, order in decision.orders.items():
        column = column_of.get(target, target)
        if any(f"'{column}'" in note for note in decision.notes):
            continue  # a note says it already
        # An example either order could read shows best what the decision means.
        example = columns[target].examples.get("") or decision.examples.get(target, "")
        lines.append(
            f"Column '{column}' is read {ORDER_NAMES[order]}: {example} is "
            f"{_spelled(example, order)}."
        )
    return lines
