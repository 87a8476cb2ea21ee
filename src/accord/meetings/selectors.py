"""Reads of joint meetings: lists for the pages, the API and the CLI, and the two readings the
alignment scorecard takes — the meeting cadence kept and action-item completion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.core.errors import NotFound
from accord.identity.models import Workspace
from accord.meetings.models import ActionItem, ActionStatus, Meeting, MeetingCadence, MeetingStatus
from accord.meetings.schedule import expected_in, local_day


@dataclass(frozen=True)
class CadenceReading:
    held: int  # meetings held in [start, end)
    expected: int  # meetings the cadence expected in [start, end); 0 when there is no cadence


@dataclass(frozen=True)
class Completion:
    due: int  # action items (not dropped) due in [start, end)
    done_on_time: int  # of those, completed on or before their due date
    done_late: int  # of those, completed after their due date
    open_overdue: int  # of those, still open and past their due date (at the time of asking)


def meeting_cadence(workspace_id: int, start: dt.datetime, end: dt.datetime) -> CadenceReading:
    held = (
        Meeting.objects.for_workspace(workspace_id)
        .filter(status=MeetingStatus.HELD, held_at__gte=start, held_at__lt=end)
        .count()
    )
    cadence = MeetingCadence.objects.for_workspace(workspace_id).first()
    return CadenceReading(held=held, expected=expected_in(cadence, start, end) if cadence else 0)


def action_item_completion(workspace_id: int, start: dt.datetime, end: dt.datetime) -> Completion:
    """Items due on a day of [start, end) in the workspace's time zone; dropped items are not
    counted. An item is on time when completed on or before its due day (local time)."""
    first, last = local_day(start, workspace_id), local_day(end - dt.timedelta(microseconds=1),
                                                            workspace_id)  # fmt: skip
    items = list(
        ActionItem.objects.for_workspace(workspace_id)
        .filter(due_on__gte=first, due_on__lte=last)
        .exclude(status=ActionStatus.DROPPED)
        .values("status", "due_on", "completed_at")
    )
    today = local_day(timezone.now(), workspace_id)
    on_time = late = overdue = 0
    for item in items:
        if item["status"] == ActionStatus.DONE:
            done = item["completed_at"] or timezone.now()
            if local_day(done, workspace_id) <= item["due_on"]:
                on_time += 1
            else:
                late += 1
        elif item["due_on"] < today:
            overdue += 1
    return Completion(due=len(items), done_on_time=on_time, done_late=late, open_overdue=overdue)


def cadence_of(workspace: Workspace | int) -> MeetingCadence | None:
    return MeetingCadence.objects.for_workspace(workspace).first()


def meetings_of(workspace: Workspace | int) -> QuerySet[Meeting]:
    return Meeting.objects.for_workspace(workspace).order_by("-scheduled_at", "-pk")


def upcoming_meetings(workspace: Workspace | int, now: dt.datetime) -> QuerySet[Meeting]:
    return (
        Meeting.objects.for_workspace(workspace)
        .filter(status=MeetingStatus.SCHEDULED, scheduled_at__gte=now - dt.timedelta(hours=12))
        .order_by("scheduled_at", "pk")
    )


def past_meetings(workspace: Workspace | int, now: dt.datetime) -> QuerySet[Meeting]:
    return (
        Meeting.objects.for_workspace(workspace)
        .filter(Q(status__in=[MeetingStatus.HELD, MeetingStatus.CANCELLED])
                | Q(scheduled_at__lt=now - dt.timedelta(hours=12)))
        .order_by("-scheduled_at", "-pk")
    )  # fmt: skip


def meeting_get(workspace: Workspace | int, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.for_workspace(workspace).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(f"No meeting {meeting_id} in this workspace.")
    return meeting


def meeting_items(meeting: Meeting) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.for_workspace(meeting.workspace_id)
        .filter(meeting=meeting)
        .select_related("owner")
        .order_by("due_on", "pk")
    )


def open_items(workspace: Workspace | int) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.for_workspace(workspace)
        .filter(status=ActionStatus.OPEN)
        .select_related("owner", "meeting")
        .order_by("due_on", "pk")
    )
