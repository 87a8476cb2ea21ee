"""Parsing cell text into typed values, quickly: these run once per cell of large files."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_SLASH = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class BadValue(ValueError):
    pass


def parse_datetime(text: str, *, day_first: bool = False) -> dt.datetime:
    """ISO 8601 in its common spellings ('2026-03-01', '2026-03-01 09:30', '…T09:30:00.000Z',
    '…+02:00'), US 'M/D/YYYY[ h:mm[ AM]]' and European 'D.M.YYYY' / 'D/M/YYYY' (day_first, or
    when the first number cannot be a month). Naive values are taken as UTC."""
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
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        dotted = "." in value[:6]
        first_is_day = day_first or dotted or a > 12
        day, month = (a, b) if first_is_day else (b, a)
        hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        if m[7]:
            if not 1 <= hour <= 12:
                raise BadValue(f"'{text}' has an hour that does not fit AM/PM")
            hour = hour % 12 + (12 if m[7].lower() == "pm" else 0)
        try:
            parsed = dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise BadValue(f"'{text}' is not a valid date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def parse_date(text: str, *, day_first: bool = False) -> dt.date:
    return parse_datetime(text, day_first=day_first).date()


def parse_decimal(text: str) -> Decimal:
    """'12,500.00', '12500', '$12,500', '12.500,00' (a comma as the decimal mark when it comes
    last) → Decimal."""
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
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue(f"'{text}' is not a number") from None
    if not number.is_finite():
        raise BadValue(f"'{text}' is not a number")
    return number


def parse_int(text: str) -> int:
    number = parse_decimal(text)
    if number != number.to_integral_value():
        raise BadValue(f"'{text}' is not a whole number")
    return int(number)


_ZERO = dt.timedelta(0)


def utc_text(value: dt.datetime) -> str:
    """An aware datetime as naive UTC ISO text ('2026-03-01 09:30:00'): how SQLite stores it,
    and cheap to send between processes."""
    if value.utcoffset() != _ZERO:
        value = value.astimezone(dt.UTC)
    return value.isoformat(sep=" ")[:-6]  # without its "+00:00"
