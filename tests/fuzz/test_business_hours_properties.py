"""Business-hours arithmetic over random calendars and moments around daylight-saving changes:
adding then measuring gives back the hours added, and every deadline lies inside open hours
(or at the closing instant where the last hour ends)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.handoff.business_hours import (
    Calendar,
    add_business_days,
    add_business_hours,
    business_seconds_between,
)

# Zones with daylight saving on both hemispheres, one with a half-hour offset, one without DST.
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC",
         "America/Santiago", "Australia/Lord_Howe"]  # fmt: skip
# The 2026 transitions of those zones (local dates), where the arithmetic is most fragile.
DST_DAYS = [dt.date(2026, 3, 8), dt.date(2026, 3, 29), dt.date(2026, 4, 5),
            dt.date(2026, 9, 6), dt.date(2026, 10, 4), dt.date(2026, 10, 25),
            dt.date(2026, 11, 1)]  # fmt: skip


@st.composite
def intervals(draw: st.DrawFn) -> tuple[tuple[dt.time, dt.time], ...]:
    """Up to three ordered, non-overlapping intervals in quarter hours (0:00 to 24:00)."""
    marks = sorted(set(draw(st.lists(st.integers(0, 95), min_size=2, max_size=6))))
    pairs = []
    for start, end in zip(marks[::2], marks[1::2], strict=False):
        pairs.append((dt.time(start // 4, start % 4 * 15), dt.time(end // 4, end % 4 * 15)))
    return tuple(pairs)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    week = {day: draw(intervals()) for day in draw(st.sets(st.integers(0, 6), min_size=1))}
    if not any(week.values()):
        week[draw(st.integers(0, 6))] = ((dt.time(9), dt.time(17)),)
    holidays = frozenset(draw(st.lists(st.sampled_from(DST_DAYS), max_size=3)))
    return Calendar(draw(st.sampled_from(ZONES)), week, holidays)


@st.composite
def moments(draw: st.DrawFn) -> dt.datetime:
    """Mostly within two days of a transition; sometimes anywhere in the year."""
    if draw(st.booleans()):
        day = draw(st.sampled_from(DST_DAYS))
        base = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)
        return base + dt.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    return draw(
        st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(dt.UTC))
    )


def _inside_open_hours(calendar: Calendar, moment: dt.datetime, *, closing_ok: bool) -> bool:
    local = moment.astimezone(calendar.zone)
    for day in (local.date() - dt.timedelta(days=1), local.date()):
        if day in calendar.holidays:
            continue
        for start, end in calendar.week.get(day.weekday(), ()):
            opens = dt.datetime.combine(day, start, tzinfo=calendar.zone).astimezone(dt.UTC)
            closes = dt.datetime.combine(day, end, tzinfo=calendar.zone).astimezone(dt.UTC)
            if opens <= moment < closes or (closing_ok and moment == closes):
                return True
    return False


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(calendars(), moments(), st.floats(0.01, 80))
def test_a_deadline_lies_in_open_hours_and_measures_back(
    calendar: Calendar, start: dt.datetime, hours: float
) -> None:
    deadline = add_business_hours(start, hours, calendar)
    assert deadline > start
    assert _inside_open_hours(calendar, deadline, closing_ok=True)
    assert business_seconds_between(start, deadline, calendar) == pytest.approx(
        hours * 3600, abs=1e-3
    )


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(calendars(), moments(), st.floats(0, 40), st.floats(0.01, 40))
def test_adding_in_two_steps_equals_adding_once(
    calendar: Calendar, start: dt.datetime, first: float, second: float
) -> None:
    once = add_business_hours(start, first + second, calendar)
    twice = add_business_hours(add_business_hours(start, first, calendar), second, calendar)
    assert abs((once - twice).total_seconds()) < 1e-3


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(calendars(), moments(), moments())
def test_measuring_is_additive_over_a_split(
    calendar: Calendar, a: dt.datetime, b: dt.datetime
) -> None:
    start, end = min(a, b), max(a, b)
    middle = start + (end - start) / 2
    whole = business_seconds_between(start, end, calendar)
    parts = business_seconds_between(start, middle, calendar) + business_seconds_between(
        middle, end, calendar
    )
    assert whole == pytest.approx(parts, abs=1e-3)
    assert 0 <= whole <= (end - start).total_seconds()


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(calendars(), moments(), st.integers(1, 15))
def test_business_days_end_at_a_closing_instant(
    calendar: Calendar, start: dt.datetime, days: int
) -> None:
    end = add_business_days(start, days, calendar)
    assert end > start
    assert _inside_open_hours(calendar, end, closing_ok=True)
    assert not _inside_open_hours(calendar, end, closing_ok=False) or any(
        # a period that closes exactly when the next opens (e.g. 17:00-24:00 then 0:00-...)
        end == dt.datetime.combine(d, s, tzinfo=calendar.zone).astimezone(dt.UTC)
        for d in (end.astimezone(calendar.zone).date(),)
        for s, _ in calendar.week.get(d.weekday(), ())
    )
