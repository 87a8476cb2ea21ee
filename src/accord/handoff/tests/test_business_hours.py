"""Business-hours arithmetic: hand cases (weekends, holidays, daylight saving), the inverse
property, and a minute-by-minute reference."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.handoff.business_hours import Calendar, add_business_hours, business_seconds_between

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = Calendar.office("Europe/Berlin")
SPLIT_DAY = ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18)))  # a lunch break
LATE = ((dt.time(22), dt.time(23, 30)),)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_friday_afternoon_rolls_over_the_weekend() -> None:
    # Friday 20 Nov 2026, 16:00 + 2 business hours = Monday 23 Nov, 10:00.
    assert add_business_hours(berlin(2026, 11, 20, 16), 2, OFFICE) == berlin(2026, 11, 23, 10)


def test_a_closed_moment_starts_counting_at_the_next_opening() -> None:
    assert add_business_hours(berlin(2026, 11, 21, 12), 1, OFFICE) == berlin(2026, 11, 23, 10)
    assert add_business_hours(berlin(2026, 11, 23, 7), 0, OFFICE) == berlin(2026, 11, 23, 9)


def test_holidays_are_closed() -> None:
    calendar = Calendar("Europe/Berlin", OFFICE.week, frozenset({dt.date(2026, 12, 25)}))
    start = berlin(2026, 12, 24, 16)  # Thursday; Friday the 25th is a holiday
    assert add_business_hours(start, 4, calendar) == berlin(2026, 12, 28, 12)
    assert business_seconds_between(start, berlin(2026, 12, 28, 12), calendar) == 4 * 3600


def test_daylight_saving_day_has_an_hour_less() -> None:
    # New York springs forward on Sunday 8 March 2026 at 02:00: 00:00-06:00 holds 5 hours.
    calendar = Calendar("America/New_York", {6: ((dt.time(0), dt.time(6)),)})
    start = dt.datetime(2026, 3, 8, 0, tzinfo=NEW_YORK)
    assert business_seconds_between(start, start + dt.timedelta(days=1), calendar) == 5 * 3600
    assert add_business_hours(start, 5, calendar) == dt.datetime(2026, 3, 8, 6, tzinfo=NEW_YORK)


def test_bad_calendars_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="no open hours"):
        Calendar("Europe/Berlin", {})
    with pytest.raises(ValueError, match="overlap"):
        Calendar("UTC", {0: ((dt.time(9), dt.time(12)), (dt.time(11), dt.time(14)))})
    with pytest.raises(ValueError, match="end after it starts"):
        Calendar("UTC", {0: ((dt.time(12), dt.time(9)),)})
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        Calendar("UTC", {7: ((dt.time(9), dt.time(12)),)})
    with pytest.raises(Exception):  # noqa: B017 - zoneinfo raises its own error type
        Calendar("Mars/Olympus", {0: ((dt.time(9), dt.time(12)),)})
    with pytest.raises(ValueError, match="aware"):
        add_business_hours(dt.datetime(2026, 1, 1), 1, OFFICE)
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(berlin(2026, 1, 5, 9), -1, OFFICE)
    always_closed = Calendar(
        "UTC",
        {0: ((dt.time(9), dt.time(10)),)},
        frozenset(dt.date(2026, 1, 5) + dt.timedelta(days=7 * k) for k in range(200)),
    )
    with pytest.raises(ValueError, match="no open hours within"):
        add_business_hours(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1, always_closed)


calendars = st.sampled_from(
    [
        OFFICE,
        Calendar.office("America/New_York", 8, 18),
        Calendar("Asia/Kolkata", dict.fromkeys(range(6), SPLIT_DAY)),
        Calendar("America/New_York", {6: ((dt.time(0), dt.time(6)),), 2: LATE}),
    ]
)  # fmt: skip
moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2026, 12, 31),
    timezones=st.just(dt.UTC),
)


@settings(max_examples=200, deadline=None)
@given(calendars, moments, st.floats(0, 120), st.floats(0, 60))
def test_adding_and_measuring_are_inverse_and_additive(
    calendar: Calendar, start: dt.datetime, hours: float, more: float
) -> None:
    deadline = add_business_hours(start, hours, calendar)
    assert deadline >= start
    assert business_seconds_between(start, deadline, calendar) == pytest.approx(
        hours * 3600, abs=1e-3
    )
    # Zero hours from a closing instant is the next opening, by definition; so `more` must
    # survive the microsecond resolution of datetimes (3e-243 hours does not).
    if more * 3600 >= 1e-3:
        later = add_business_hours(deadline, more, calendar)
        both = add_business_hours(start, hours + more, calendar)
        assert abs((later - both).total_seconds()) < 1e-3


def _minutes_open(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> int:
    """Reference: walk minute by minute and ask whether the local time is open."""
    zone, count, moment = calendar.zone, 0, start
    while moment < end:
        local = moment.astimezone(zone)
        if local.date() not in calendar.holidays and any(
            a <= local.time() < b for a, b in calendar.week.get(local.weekday(), ())
        ):
            count += 1
        moment += dt.timedelta(minutes=1)
    return count


@settings(max_examples=60, deadline=None)
@given(calendars, moments, st.integers(0, 4 * 24 * 60))
def test_measuring_matches_a_minute_by_minute_walk(
    calendar: Calendar, start: dt.datetime, minutes: int
) -> None:
    start = start.replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=minutes)
    assert (
        business_seconds_between(start, end, calendar) == _minutes_open(calendar, start, end) * 60
    )
