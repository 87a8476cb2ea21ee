"""Cadence arithmetic, no database writes: a cadence's meeting times (every N weeks on a
weekday at a local time, counted from its first meeting on or after `starts_on`), the next one
after a moment, how many fall in a period, and a moment's day in the workspace's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from accord.identity.models import Workspace
from accord.meetings.models import MeetingCadence

MAX_EVERY_WEEKS = 12


def zone(name: str) -> dt.tzinfo:
    """A time zone by name; UTC for a name the system does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        return dt.UTC


def cadence_zone(workspace_id: int) -> dt.tzinfo:
    """The cadence's time zone, else the workspace's."""
    cadence = MeetingCadence.objects.for_workspace(workspace_id).first()
    if cadence is not None:
        return zone(cadence.time_zone)
    name = Workspace.objects.filter(pk=workspace_id).values_list("timezone", flat=True).first()
    return zone(name or "UTC")


def local_day(moment: dt.datetime, workspace_id: int) -> dt.date:
    return moment.astimezone(cadence_zone(workspace_id)).date()


def first_day(cadence: MeetingCadence) -> dt.date:
    return cadence.starts_on + dt.timedelta(
        days=(cadence.weekday - cadence.starts_on.weekday()) % 7
    )


def occurrences(cadence: MeetingCadence, start: dt.datetime) -> Iterator[dt.datetime]:
    """The cadence's meeting times at or after `start`, in order (endless)."""
    tz = zone(cadence.time_zone)
    first = first_day(cadence)
    step = 7 * max(cadence.every_weeks, 1)
    day = max(first, start.astimezone(tz).date() - dt.timedelta(days=1))
    # Move to the first cadence day on or after `day`.
    day = first + dt.timedelta(days=-(-(day - first).days // step) * step)
    while True:
        moment = dt.datetime.combine(day, cadence.local_time, tzinfo=tz)
        if moment >= start:
            yield moment
        day += dt.timedelta(days=step)


def next_meeting_at(cadence: MeetingCadence, after: dt.datetime) -> dt.datetime:
    """The first meeting time of the cadence strictly after `after`."""
    return next(m for m in occurrences(cadence, after) if m > after)


def expected_in(cadence: MeetingCadence, start: dt.datetime, end: dt.datetime) -> int:
    """How many meetings the cadence expects in [start, end)."""
    count = 0
    for moment in occurrences(cadence, start):
        if moment >= end:
            return count
        count += 1
    return count  # pragma: no cover - the generator is endless
