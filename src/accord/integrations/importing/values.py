"""Parsing cell text into typed values, quickly: these run once per cell of large files.

No Django here (these run in the import's reader process, see `prepare_process`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_SLASH = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})[/.-](\d{4})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")

# The order of day and month in a 'a/b/YYYY' date: day first (D/M/YYYY, most of the world) or
# month first (M/D/YYYY, the US). A file's order is decided per column (see `dates`), never per
# cell; month first is the default when nothing says otherwise.
DMY, MDY = "dmy", "mdy"
DATE_ORDERS = (DMY, MDY)
ORDER_NAMES = {DMY: "day first (D/M/YYYY)", MDY: "month first (M/D/YYYY)"}

# The dates Accord reads and reports on: `accord.core.periods` (FIRST_DAY, LAST_DAY,
# OUT_OF_RANGE), repeated here because this module runs in the reader process, which imports
# no Django; a test keeps the two equal.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
OUT_OF_RANGE = f"dates must lie between {FIRST_DAY} and {LAST_DAY}"
_EARLIEST = dt.datetime.combine(FIRST_DAY, dt.time(), tzinfo=dt.UTC)
_LATEST = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


class BadValue(ValueError):
    @property
    def reason(self) -> str:
        """The message as a sentence, for a row error."""
        text = str(self)
        return text if text.endswith((".", "?")) else text + "."


def date_numbers(text: str) -> tuple[int, int, bool] | None:
    """The first two numbers of a 'a/b/YYYY' (or 'a-b-YYYY', 'a.b.YYYY') date and whether it is
    dotted (D.M.YYYY, day first by convention), or None for any other text (ISO 8601 …)."""
    m = _SLASH.match(text.strip())
    if m is None:
        return None
    return int(m[1]), int(m[3]), m[2] == "."


def parse_datetime(text: str, *, order: str = MDY) -> dt.datetime:
    """ISO 8601 in its common spellings ('2026-03-01', '2026-03-01 09:30', '…T09:30:00.000Z',
    '…+02:00'), 'a/b/YYYY[ h:mm[ AM]]' (also with dashes) read in the given `order` (day or
    month first: the column's, decided for the whole file), and 'D.M.YYYY' (always day first).
    Naive values are taken as UTC. Dates outside 1900-01-01 … 2999-12-31 are refused."""
    value = text.strip()
    if _ISO_DATE.match(value):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" UTC", ""))
        except ValueError:
            raise BadValue(f"'{text}' is not a valid date") from None
    else:
        m = _SLASH.match(value)
        if not m:
            raise BadValue(f"'{text}' is not a date (use YYYY-MM-DD or M/D/YYYY)")
        a, b, year = int(m[1]), int(m[3]), int(m[4])
        day, month = (a, b) if order == DMY or m[2] == "." else (b, a)
        hour, minute, second = int(m[5] or 0), int(m[6] or 0), int(m[7] or 0)
        if m[8]:
            if not 1 <= hour <= 12:
                raise BadValue(f"'{text}' has an hour that does not fit AM/PM")
            hour = hour % 12 + (12 if m[8].lower() == "pm" else 0)
        try:
            parsed = dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise BadValue(f"'{text}' is not a valid date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    # aware comparisons (as `periods.in_range`, without the midnight that ends its last day):
    # no overflow near year 1 or 9999
    if not _EARLIEST <= parsed < _LATEST:
        raise BadValue(f"'{text}' is out of range: {OUT_OF_RANGE}")
    return parsed


def parse_date(text: str, *, order: str = MDY) -> dt.date:
    return parse_datetime(text, order=order).date()


def parse_decimal(text: str) -> Decimal:
    """'12,500.00', '12500', '$12,500', '12.500,00' (a comma as the decimal mark when it comes
    last) → Decimal. Exponent notation ('1e6') is refused: no export writes amounts that way,
    and a spreadsheet that did has rounded them."""
    value = _plain_number(text)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue(f"'{text}' is not a number") from None
    if not number.is_finite():
        raise BadValue(f"'{text}' is not a number")
    if "e" in value or "E" in value:
        raise BadValue(f"'{text}' is in exponent notation: write the number in full.")
    return number


def _plain_number(text: str) -> str:
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    value = value.lstrip("$€£¥")
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        head, _, tail = value.rpartition(",")
        value = value.replace(",", "") if len(tail) == 3 and head else value.replace(",", ".")
    return value


def parse_amount(text: str) -> Decimal:
    """A money amount (see `parse_decimal`) with at most two decimals: more is refused, not
    rounded — '12.345' is more likely 12,345 written with a dot as the thousands separator."""
    number = parse_decimal(text)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        shown = text.strip()
        if _THOUSANDS.match(_plain_number(text).lstrip("+-")):
            raise BadValue(
                f"{shown} has more than 2 decimals: is it {shown.replace('.', ',')} with a "
                "thousands separator?"
            )
        raise BadValue(f"{shown} has more than 2 decimals (amounts are to the cent).")
    return number


def parse_int(text: str) -> int:
    number = parse_decimal(text)
    if number != number.to_integral_value():
        raise BadValue(f"'{text}' is not a whole number")
    return int(number)


def parse_custom_fields(text: str) -> dict[str, Any]:
    """A `custom_fields` cell: a JSON object, as Accord exports a record's custom fields."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BadValue('Custom fields must be a JSON object, such as {"tier": "gold"}.')
    return parsed


_ZERO = dt.timedelta(0)


def utc_text(value: dt.datetime) -> str:
    """An aware datetime as naive UTC ISO text ('2026-03-01 09:30:00'): how SQLite stores it,
    and cheap to send between processes."""
    if value.utcoffset() != _ZERO:
        value = value.astimezone(dt.UTC)
    return value.isoformat(sep=" ")[:-6]  # without its "+00:00"
