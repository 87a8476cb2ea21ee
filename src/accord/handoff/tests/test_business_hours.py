"""Business-hours arithmetic: hand cases (weekends, holidays, daylight saving), the inverse
property, and a minute-by-minute reference."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.handoff.business_hours import (
    MIDNIGHT,
    Calendar,
    add_business_hours,
    business_seconds_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = Calendar.office("Europe/Berlin")
SPLIT_DAY = ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18)))  # a lunch break
LATE = ((dt.time(22), dt.time(23, 30)),)
# Boundaries inside the spring-forward gap (New York 02:00-03:00, Lord Howe 02:00-02:30).
IN_THE_GAP = ((dt.time(0, 30), dt.time(2, 30)), (dt.time(13), dt.time(17)))
GAP_START = ((dt.time(2, 15), dt.time(4)),)
UNTIL_MIDNIGHT = ((dt.time(20), MIDNIGHT),)


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


def test_an_interval_ending_in_the_spring_forward_gap_ends_when_the_clocks_jump() -> None:
    # 8 March 2026, New York: 00:30-02:30 holds 1 h 30 min of wall time (02:00 jumps to 03:00).
    calendar = Calendar("America/New_York", dict.fromkeys(range(7), IN_THE_GAP))
    start = dt.datetime(2026, 3, 8, 4, 27, tzinfo=dt.UTC)  # 23:27 on the 7th, closed
    assert add_business_hours(start, 2, calendar) == dt.datetime(2026, 3, 8, 17, 30, tzinfo=dt.UTC)
    day = dt.datetime(2026, 3, 8, 5, tzinfo=dt.UTC)  # 00:00 EST
    assert business_seconds_between(day, day + dt.timedelta(hours=10), calendar) == 1.5 * 3600


def test_an_interval_starting_in_the_gap_opens_when_the_clocks_jump() -> None:
    # Sunday 8 March 2026: 02:15 does not exist in New York; the day opens at 03:00 EDT.
    calendar = Calendar("America/New_York", {6: GAP_START})
    start = dt.datetime(2026, 3, 8, 5, tzinfo=dt.UTC)
    assert add_business_hours(start, 0.5, calendar) == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)
    assert business_seconds_between(start, start + dt.timedelta(days=1), calendar) == 3600
    # Lord Howe skips half an hour (02:00-02:30 on 4 October 2026).
    howe = Calendar("Australia/Lord_Howe", {6: ((dt.time(2, 15), dt.time(3)),)})
    sunday = dt.datetime(2026, 10, 3, 13, tzinfo=dt.UTC)
    assert business_seconds_between(sunday, sunday + dt.timedelta(days=1), howe) == 1800


def test_an_interval_may_end_at_midnight() -> None:
    calendar = Calendar("Europe/Berlin", dict.fromkeys(range(7), UNTIL_MIDNIGHT))
    start = berlin(2026, 11, 23, 23)
    assert add_business_hours(start, 2, calendar) == berlin(2026, 11, 24, 21)
    assert business_seconds_between(berlin(2026, 11, 23), berlin(2026, 11, 24), calendar) == (
        4 * 3600
    )


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
        Calendar("America/New_York", {6: IN_THE_GAP, 0: GAP_START, 3: UNTIL_MIDNIGHT}),
        Calendar("Australia/Lord_Howe", {6: ((dt.time(2, 15), dt.time(2, 45)), *UNTIL_MIDNIGHT)}),
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
            a <= local.time() and (b == MIDNIGHT or local.time() < b)
            for a, b in calendar.week.get(local.weekday(), ())
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


@pytest.mark.parametrize(
    ("calendar", "start"),
    [
        (Calendar("America/New_York", dict.fromkeys(range(7), IN_THE_GAP)),
         dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC)),
        (Calendar("America/New_York", {6: GAP_START, 0: UNTIL_MIDNIGHT}),
         dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC)),
        (Calendar("Australia/Lord_Howe", {6: ((dt.time(2, 15), dt.time(2, 45)), *UNTIL_MIDNIGHT)}),
         dt.datetime(2026, 10, 2, 12, tzinfo=dt.UTC)),
    ],
)  # fmt: skip
def test_spring_forward_days_match_the_minute_walk(calendar: Calendar, start: dt.datetime) -> None:
    """The property test rarely lands on the two days a year with a gap: walk them whole."""
    for hours in range(0, 72, 5):
        end = start + dt.timedelta(hours=hours)
        expected = _minutes_open(calendar, start, end) * 60
        assert business_seconds_between(start, end, calendar) == expected, hours
        if expected:
            # The deadline of that much open time is the end of the walk's last open minute.
            deadline = add_business_hours(start, expected / 3600, calendar)
            assert _minutes_open(calendar, start, deadline) * 60 == expected
