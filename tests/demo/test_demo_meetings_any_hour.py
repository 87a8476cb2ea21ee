"""Whatever the hour and weekday the demo ends at, its meetings hold eight weeks of meetings and
the next meeting's agenda lists exactly the two planted overdue items: an item not yet due when
the demo ends is due on the next meeting's day at the earliest. (An item due on the Friday
after the last meeting used to show as a third overdue item for most of the week.)"""

from __future__ import annotations

import datetime as dt

import pytest

from accord.demo.meeting_setup import set_up_demo_meetings
from accord.identity.models import Membership, Team, TeamKind, Workspace
from accord.identity.tests.factories import UserFactory
from accord.meetings.models import ActionItem, ActionStatus, Meeting, MeetingStatus

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 11, 16, 0, 0, tzinfo=dt.UTC)
# Every 11 hours across a week and a bit: each weekday, day and night, and Monday 10:00 itself.
ENDS = [MONDAY + dt.timedelta(hours=11 * n) for n in range(17)] + [MONDAY.replace(hour=10)]


def _managers(workspace: Workspace) -> None:
    for kind in (TeamKind.SALES, TeamKind.MARKETING):
        team = Team.objects.create(workspace=workspace, name=kind.label, kind=kind)
        Membership.objects.create(
            workspace=workspace, user=UserFactory(), role="manager", team=team
        )


@pytest.mark.parametrize("as_of", ENDS, ids=lambda t: t.strftime("%a-%H%M"))
def test_two_overdue_items_whatever_the_end(workspace: Workspace, as_of: dt.datetime) -> None:
    _managers(workspace)
    assert set_up_demo_meetings(workspace, as_of, seed=42) == 9
    meetings = list(Meeting.objects.for_workspace(workspace).order_by("scheduled_at"))
    assert [m.status for m in meetings] == [MeetingStatus.HELD] * 8 + [MeetingStatus.SCHEDULED]
    upcoming = meetings[-1]
    assert meetings[-2].scheduled_at < as_of <= upcoming.scheduled_at
    actions = next(s for s in upcoming.agenda["sections"] if s["key"] == "action_items")
    assert actions["overdue"] == 2
    open_items = ActionItem.objects.for_workspace(workspace).filter(status=ActionStatus.OPEN)
    overdue = open_items.filter(due_on__lt=upcoming.scheduled_at.date())
    assert overdue.count() == 2
    # the two planted ones are past due when the demo ends; the rest are not due yet
    assert all(i.due_on < as_of.date() for i in overdue)
    assert all(i.due_on >= upcoming.scheduled_at.date() for i in open_items.exclude(pk__in=overdue))
