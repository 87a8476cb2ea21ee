"""Periods given as instants [start, end), read as UTC days for facts dated by day."""

from __future__ import annotations

import datetime as dt


def utc_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """[start, end) as UTC days (first day, day after): an end past midnight keeps its day."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    after = end.date() if end.time() == dt.time() else end.date() + dt.timedelta(days=1)
    return start.date(), after
