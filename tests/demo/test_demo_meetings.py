"""On the demo: a weekly cadence, eight held meetings with agendas generated as of their day,
action items done on time and late, two overdue and open, and the next meeting scheduled with
an agenda listing those two overdue items; the scorecard's readings agree."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from accord.meetings.models import ActionItem, Meeting, MeetingCadence, MeetingStatus
from accord.meetings.selectors import action_item_completion, meeting_cadence

pytestmark = pytest.mark.django_db
CONTACTS = 1_500


def test_demo_meetings(demo: Any) -> None:
    ws = demo.dataset.workspace
    as_of = demo.dataset.as_of if hasattr(demo.dataset, "as_of") else None
    cadence = MeetingCadence.objects.for_workspace(ws).get()
    assert (cadence.every_weeks, cadence.weekday, cadence.local_time) == (1, 0, dt.time(10))
    meetings = list(Meeting.objects.for_workspace(ws).order_by("scheduled_at"))
    assert [m.status for m in meetings] == [MeetingStatus.HELD] * 8 + [MeetingStatus.SCHEDULED]
    for earlier, later in itertools.pairwise(meetings):
        assert later.scheduled_at - earlier.scheduled_at == dt.timedelta(days=7)
        assert later.agenda["since"] == earlier.held_at.isoformat()
    for meeting in meetings[:-1]:  # generated as of its day: an hour before it
        assert meeting.agenda_generated_at == meeting.scheduled_at - dt.timedelta(hours=1)
    upcoming = meetings[-1]
    items = ActionItem.objects.for_workspace(ws)
    overdue = items.filter(status="open", due_on__lt=upcoming.scheduled_at.date())
    assert overdue.count() == 2
    actions = next(s for s in upcoming.agenda["sections"] if s["key"] == "action_items")
    assert actions["overdue"] == 2
    assert {i["action_item_id"] for i in actions["items"] if i["state"] == "overdue"} == set(
        overdue.values_list("pk", flat=True)
    )
    start, end = meetings[0].scheduled_at, upcoming.scheduled_at
    assert meeting_cadence(ws.pk, start, end).held == 8
    assert meeting_cadence(ws.pk, start, end).expected == 8
    completion = action_item_completion(ws.pk, start, meetings[-2].scheduled_at)
    assert completion.done_on_time > 0 and completion.done_late > 0
    assert completion.open_overdue == 2
    assert as_of is None or upcoming.scheduled_at > as_of
