"""Periods given as instants [start, end), read as UTC days for facts dated by day."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator


def utc_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """[start, end) as UTC days (first day, day after): an end past midnight keeps its day."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    after = end.date() if end.time() == dt.time() else end.date() + dt.timedelta(days=1)
    return start.date(), after


def last_days(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """What "the last N days" means everywhere Accord offers them: N whole UTC days, today
    included, so two pages (or a page and the API) asked for the same days read the same rows."""
    today = (now or timezone.now()).astimezone(dt.UTC).date()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return end - dt.timedelta(days=days), end


# The dates Accord reads and reports on. Periods are compared with the one before them (a
# year's lead velocity reaches back a year) and end a day after their last day, so dates near
# Python's limits (years 1 and 9999) would overflow there; nothing a team plans or records lies
# outside these centuries.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
OUT_OF_RANGE = f"dates must lie between {FIRST_DAY} and {LAST_DAY}"


_EARLIEST = dt.datetime.combine(FIRST_DAY, dt.time(), tzinfo=dt.UTC)
_LATEST = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def in_range(value: dt.date | dt.datetime) -> bool:
    """Whether a date, or an instant (naive: UTC), is one Accord can report on. An instant may
    be the end of the last day, as periods end at midnight after their last day."""
    if isinstance(value, dt.datetime):
        at = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return _EARLIEST <= at <= _LATEST  # aware comparison: no overflow near year 1 or 9999
    return FIRST_DAY <= value <= LAST_DAY


def _reported(value: dt.datetime) -> dt.datetime:
    if not in_range(value):
        raise ValueError(OUT_OF_RANGE)
    return value


# A period's bound in a spec (pydantic): an instant within the dates Accord reports on.
ReportedInstant = Annotated[dt.datetime, AfterValidator(_reported)]
