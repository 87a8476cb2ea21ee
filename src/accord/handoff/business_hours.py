"""Business-hours arithmetic for SLA clocks: pure Python (zoneinfo), no Django.

A `Calendar` is a team's working week in its own time zone — open intervals per weekday — and
its holidays. Deadlines are computed in that zone's local time, day by day, and returned as
aware datetimes, so daylight-saving changes are handled where they happen: a day on which the
clocks go forward simply has an hour less of wall time before the interval ends. Intervals
are wall-clock times: one that starts or ends at a local time the clocks skip (02:30 on the day
New York springs forward) starts or ends when the clocks jump. An interval ending at `MIDNIGHT`
("24:00") runs to the end of its day.

- `add_business_hours(start, hours, calendar)`: the moment `hours` of open time after `start`
  (from a closed moment, counting starts at the next opening);
- `business_seconds_between(start, end, calendar)`: the open seconds in [start, end).

The two are inverse: business_seconds_between(s, add_business_hours(s, h)) == h * 3600.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.time, dt.time]  # local opening and closing time, start < end
MAX_DAYS = 3 * 366  # a deadline further away than this is a configuration error
MIDNIGHT = dt.time(0)  # as an interval's end: the midnight that ends the day ("24:00")
DAY_SECONDS = 24 * 3600


def _seconds(moment: dt.time) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def interval_seconds(interval: Interval) -> tuple[float, float]:
    """An interval as seconds after the local midnight; an end at `MIDNIGHT` is 24:00."""
    start, end = interval
    return _seconds(start), DAY_SECONDS if end == MIDNIGHT else _seconds(end)


@dataclass(frozen=True)
class Calendar:
    timezone: str
    week: Mapping[int, Sequence[Interval]]  # 0 = Monday … 6 = Sunday
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        for weekday, intervals in self.week.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            for interval in intervals:
                low, high = interval_seconds(interval)
                if not low < high:
                    raise ValueError(
                        f"an interval must end after it starts ({interval[0]} to {interval[1]})"
                    )
            ordered = sorted(interval_seconds(i) for i in intervals)
            for (_, end), (start, _) in itertools.pairwise(ordered):
                if start < end:
                    raise ValueError(f"intervals overlap on weekday {weekday}")
        if not any(self.week.get(d) for d in range(7)):
            raise ValueError("the calendar has no open hours")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def office(cls, timezone: str, start: int = 9, end: int = 17) -> Calendar:
        """Monday to Friday, `start`:00 to `end`:00 local time."""
        hours = ((dt.time(start), dt.time(end)),)
        return cls(timezone=timezone, week=dict.fromkeys(range(5), hours))


def local_instant(day: dt.date, moment: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant the zone's wall clock reads `moment` on `day`. A time the clocks skip
    (inside a spring-forward gap) is the instant they jump: `combine` alone would read it
    with the old offset, an hour after the jump, and stretch an interval ending there."""
    naive = dt.datetime.combine(day, moment)
    instant = naive.replace(tzinfo=zone).astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant  # exists (a repeated time: its first occurrence)
    # In the gap: before the jump the wall clock reads less than `naive`, from it on more.
    # fold=1 reads it with the new offset, an instant before the jump; fold=0 one after.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = -int(-instant.timestamp() // 1)
    while high - low > 1:
        middle = (low + high) // 2
        wall = dt.datetime.fromtimestamp(middle, dt.UTC).astimezone(zone).replace(tzinfo=None)
        if wall > naive:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, dt.UTC)


def _open_periods(calendar: Calendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The day's open periods as UTC datetimes (empty on holidays and closed days)."""
    if day in calendar.holidays:
        return []
    zone = calendar.zone
    periods = []
    for start, end in sorted(calendar.week.get(day.weekday(), ())):
        opens = local_instant(day, start, zone)
        if end == MIDNIGHT:
            closes = local_instant(day + dt.timedelta(days=1), MIDNIGHT, zone)
        else:
            closes = local_instant(day, end, zone)
        # Empty when the whole interval lies in a spring-forward gap.
        if closes > opens:
            periods.append((opens, closes))
    return periods


def _periods_from(
    calendar: Calendar, moment: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    day = moment.astimezone(calendar.zone).date()
    for offset in range(MAX_DAYS):
        yield from _open_periods(calendar, day + dt.timedelta(days=offset))
    raise ValueError(f"no open hours within {MAX_DAYS} days (check the holidays)")


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("use an aware datetime")
    return moment.astimezone(dt.UTC)


def add_business_hours(start: dt.datetime, hours: float, calendar: Calendar) -> dt.datetime:
    """The moment `hours` of open time have passed after `start` (UTC)."""
    if hours < 0:
        raise ValueError("hours must not be negative")
    moment = _aware(start)
    remaining = dt.timedelta(hours=hours)
    for opens, closes in _periods_from(calendar, moment):
        opens_utc, closes_utc = opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)
        if closes_utc <= moment:
            continue
        begin = max(opens_utc, moment)
        available = closes_utc - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _periods_from raises first")


def business_seconds_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> float:
    """Open seconds in [start, end); 0 when end is not after start."""
    begin, finish = _aware(start), _aware(end)
    if finish <= begin:
        return 0.0
    total = 0.0
    day = begin.astimezone(calendar.zone).date()
    last = finish.astimezone(calendar.zone).date()
    while day <= last:
        for opens, closes in _open_periods(calendar, day):
            low = max(opens.astimezone(dt.UTC), begin)
            high = min(closes.astimezone(dt.UTC), finish)
            if high > low:
                total += (high - low).total_seconds()
        day += dt.timedelta(days=1)
    return total


def add_business_days(start: dt.datetime, days: int, calendar: Calendar) -> dt.datetime:
    """The close of the `days`-th open day after the day of `start` (local to the calendar):
    "within 5 business days" of a Monday lead is the end of the next Monday's working day."""
    if days < 1:
        raise ValueError("days must be at least 1")
    moment = _aware(start)
    day = moment.astimezone(calendar.zone).date()
    counted = 0
    for offset in range(1, MAX_DAYS):
        periods = _open_periods(calendar, day + dt.timedelta(days=offset))
        if periods:
            counted += 1
            if counted == days:
                return periods[-1][1].astimezone(dt.UTC)
    raise ValueError(f"no {days} open days within {MAX_DAYS} days (check the holidays)")
