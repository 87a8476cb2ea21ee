"""A demo ending exactly at the weekly meeting's time (Monday 10:00 in the workspace's UTC)
still has eight held meetings and the next one scheduled: the window of past meetings includes
its first instant. (It used to hold seven on the Tuesday hour whose day-old end is Monday 10:00.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.meetings.models import Meeting, MeetingStatus

pytestmark = pytest.mark.django_db
CONTACTS = 300
AS_OF = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # a Monday, at the meeting's time


def test_a_demo_ending_at_meeting_time_holds_eight(demo: Any) -> None:
    meetings = list(Meeting.objects.for_workspace(demo.dataset.workspace).order_by("scheduled_at"))
    assert AS_OF.weekday() == 0
    assert [m.status for m in meetings] == [MeetingStatus.HELD] * 8 + [MeetingStatus.SCHEDULED]
    assert meetings[0].scheduled_at == AS_OF - dt.timedelta(weeks=8)
