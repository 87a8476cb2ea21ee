"""Reminders (due tomorrow, overdue, the meeting tomorrow: once per item and day, a second run
sends nothing) and the two readings the alignment scorecard takes, on exact hand-built data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from accord.meetings import services
from accord.meetings.models import ActionItem, Meeting, MeetingStatus, Reminder
from accord.meetings.reminders import send_reminders
from accord.meetings.selectors import (
    CadenceReading,
    Completion,
    action_item_completion,
    meeting_cadence,
)
from tests.meetings.conftest import Team, held_meeting

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 8, 18, 0, tzinfo=dt.UTC)  # Sunday evening


def item(team: Team, title: str, owner: Any, due: dt.date, **extra: Any) -> ActionItem:
    return ActionItem.objects.create(workspace=team.workspace, title=title, owner=owner.user,
                                     due_on=due, **extra)  # fmt: skip


def test_reminders_once_per_item_and_day(team: Team) -> None:
    tomorrow = item(team, "Send the list", team.rep, dt.date(2026, 3, 9))
    late = item(team, "Fix the form", team.marketer, dt.date(2026, 3, 5))
    item(team, "Due today", team.rep, dt.date(2026, 3, 8))
    item(team, "Done late", team.rep, dt.date(2026, 3, 1), status="done")
    item(team, "Later", team.rep, dt.date(2026, 3, 20))
    monday = dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
    meeting = Meeting.objects.create(workspace=team.workspace, title="Sync", scheduled_at=monday)
    first = send_reminders(NOW)
    assert first == {"due_tomorrow": 1, "overdue": 1, "meeting_tomorrow": 5}  # all but the viewer
    rows = Reminder.objects.for_workspace(team.workspace)
    assert rows.get(kind="due_tomorrow").action_item_id == tomorrow.pk
    overdue = rows.get(kind="overdue")
    assert (overdue.action_item_id, overdue.recipient_id) == (late.pk, team.marketer.user_id)
    assert overdue.message == "Overdue by 3 days: Fix the form (due 05 Mar)"
    assert set(rows.filter(kind="meeting_tomorrow").values_list("recipient_id", flat=True)) == {
        team.admin.user_id, team.manager.user_id, team.marketer.user_id, team.rep.user_id,
        team.rep2.user_id,
    }  # fmt: skip
    assert rows.filter(meeting=meeting).count() == 5
    assert len(mail.outbox) == 7
    # Again the same day: nothing new, no mail.
    assert send_reminders(NOW + dt.timedelta(hours=2)) == {
        "due_tomorrow": 0, "overdue": 0, "meeting_tomorrow": 0,
    }  # fmt: skip
    assert rows.count() == 7 and len(mail.outbox) == 7
    # The next day: 'Due today' is overdue now and 'Fix the form' still is; 'Send the list'
    # is due that day (reminded the day before, overdue from the day after).
    assert send_reminders(NOW + dt.timedelta(days=1)) == {
        "due_tomorrow": 0, "overdue": 2, "meeting_tomorrow": 0,
    }  # fmt: skip


def test_meeting_cadence_reading(team: Team) -> None:
    start = dt.datetime(2026, 2, 2, tzinfo=dt.UTC)  # a Monday
    end = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # four weeks later
    assert meeting_cadence(team.workspace.pk, start, end) == CadenceReading(held=0, expected=0)
    services.cadence_set(actor=team.actor("manager"), values={
        "weekday": "tuesday", "local_time": "09:00", "time_zone": "UTC",
        "starts_on": "2026-01-01"})  # fmt: skip
    for day in (3, 10, 24):  # the 17th was missed
        at = dt.datetime(2026, 2, day, 9, tzinfo=dt.UTC)
        held_meeting(team.workspace, at, at + dt.timedelta(minutes=45))
    Meeting.objects.create(workspace=team.workspace, title="c", status=MeetingStatus.CANCELLED,
                           scheduled_at=dt.datetime(2026, 2, 17, 9, tzinfo=dt.UTC))  # fmt: skip
    held_meeting(team.workspace, end + dt.timedelta(days=1), end + dt.timedelta(days=1))
    assert meeting_cadence(team.workspace.pk, start, end) == CadenceReading(held=3, expected=4)
    services.cadence_set(actor=team.actor("manager"), values={"every_weeks": 2})
    # Every two weeks from Tuesday 6 January: 3 and 17 February.
    assert meeting_cadence(team.workspace.pk, start, end).expected == 2


def test_action_item_completion_reading(team: Team) -> None:
    def at(day: int) -> dt.datetime:
        return dt.datetime(2026, 2, day, 15, tzinfo=dt.UTC)

    item(team, "on time", team.rep, dt.date(2026, 2, 10), status="done", completed_at=at(10))
    item(team, "early", team.rep, dt.date(2026, 2, 12), status="done", completed_at=at(2))
    item(team, "late", team.rep, dt.date(2026, 2, 12), status="done", completed_at=at(14))
    item(team, "overdue", team.rep, dt.date(2026, 2, 20))
    item(team, "dropped", team.rep, dt.date(2026, 2, 20), status="dropped", completed_at=at(3))
    item(team, "outside", team.rep, dt.date(2026, 3, 2), status="done", completed_at=at(20))
    item(team, "outside too", team.rep, dt.date(2026, 1, 31))
    start, end = dt.datetime(2026, 2, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert action_item_completion(team.workspace.pk, start, end) == Completion(
        due=4, done_on_time=2, done_late=1, open_overdue=1
    )
