"""The write path of joint meetings: the cadence, scheduling (the next meeting from the cadence),
the agenda (generated on request and on scheduling, regenerated until the meeting is held, then
frozen), notes, decisions, action items (add, complete, drop, reassign) and marking a meeting
held, which carries its open items over to the next meeting's agenda.

Who may do what (`meetings.permissions`): managers and admins organise (cadence, schedule,
cancel, mark held); they and sales reps, SDRs and marketers take part (generate the agenda,
notes, decisions, action items); viewers read only. Bad input writes nothing and names each
field; a meeting or item of another workspace is not found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.models import Membership
from accord.meetings.agenda import generate_agenda
from accord.meetings.models import (
    ActionItem,
    ActionStatus,
    Decision,
    Meeting,
    MeetingCadence,
    MeetingStatus,
    Weekday,
)
from accord.meetings.permissions import PARTICIPANTS, require_organiser, require_participant
from accord.meetings.schedule import MAX_EVERY_WEEKS, local_day, next_meeting_at, zone


def _bounded(low: int, high: int) -> c.Cleaner:
    return c.PositiveInt(high, minimum=low)


def _weekday(value: Any, field: str, workspace_id: int) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    for number, label in Weekday.choices:
        if text in (str(number), str(label).lower(), str(label).lower()[:3]):
            return int(number)
    raise ValidationFailed.single(field, f"'{value}' is not a weekday (monday ... sunday, or 0-6).")


def _time(value: Any, field: str, workspace_id: int) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed.single(field, f"'{value}' is not a time (use HH:MM).") from None


def _time_zone(value: Any, field: str, workspace_id: int) -> str | None:
    if value is None or value == "":
        return None
    name = str(value).strip()
    if name != "UTC" and zone(name) is dt.UTC:
        raise ValidationFailed.single(
            field, f"'{name}' is not a known time zone (e.g. Europe/Paris)."
        )
    return name


CADENCE_FIELDS: dict[str, c.Cleaner] = {
    "title": c.Text(120),
    "every_weeks": _bounded(1, MAX_EVERY_WEEKS),
    "weekday": _weekday,
    "local_time": _time,
    "time_zone": _time_zone,
    "duration_minutes": _bounded(5, 480),
    "starts_on": c.date,
}
MEETING_FIELDS: dict[str, c.Cleaner] = {
    "title": c.Text(120),
    "scheduled_at": c.datetime,
    "duration_minutes": _bounded(5, 480),
}


def _participant(value: Any, field: str, workspace_id: int) -> int | None:
    """A member who may complete an action item: a viewer could never mark it done."""
    user_id = member(value, field, workspace_id)
    if user_id is None:
        return None
    role = (
        Membership.objects.for_workspace(workspace_id)
        .filter(user_id=user_id)
        .values_list("role", flat=True)
        .first()
    )
    if role not in PARTICIPANTS:
        raise ValidationFailed.single(
            field,
            "A viewer reads meetings only and could not complete it: choose a member of the teams.",
        )
    return user_id


ACTION_FIELDS: dict[str, c.Cleaner] = {
    "title": c.Text(300, required=True),
    "owner_id": _participant,
    "due_on": c.date,
    "meeting_id": c.Ref(Meeting, "meeting"),
}


def _meeting(actor: Actor, meeting_id: int, *, lock: bool = False) -> Meeting:
    found = Meeting.objects.for_workspace(actor.workspace).filter(pk=meeting_id)
    meeting = (found.select_for_update() if lock else found).first()
    if meeting is None:
        raise NotFound(f"No meeting {meeting_id} in this workspace.")
    return meeting


def _item(actor: Actor, item_id: int, *, lock: bool = False) -> ActionItem:
    found = ActionItem.objects.for_workspace(actor.workspace).filter(pk=item_id)
    item = (found.select_for_update() if lock else found).first()
    if item is None:
        raise NotFound(f"No action item {item_id} in this workspace.")
    return item


# Cadence and schedule ----------------------------------------------------------------------


@transaction.atomic
def cadence_set(*, actor: Actor, values: Mapping[str, Any]) -> MeetingCadence:
    """Create or change the workspace's cadence (one per workspace)."""
    require_organiser(actor)
    current = MeetingCadence.objects.for_workspace(actor.workspace).select_for_update().first()
    required = [] if current else ["local_time"]
    cleaned = c.clean(CADENCE_FIELDS, values, actor.workspace.pk, required=required)
    cleaned = {k: v for k, v in cleaned.items() if v not in (None, "")}
    if current is None:
        cleaned.setdefault("time_zone", actor.workspace.timezone or "UTC")
        cleaned.setdefault(
            "starts_on", timezone.now().astimezone(zone(cleaned["time_zone"])).date()
        )
        return MeetingCadence.objects.create(
            workspace=actor.workspace, updated_by=actor.user, **cleaned
        )
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.updated_by = actor.user
    current.save()
    return current


def _next_time(actor: Actor, after: dt.datetime) -> tuple[dt.datetime, MeetingCadence]:
    cadence = MeetingCadence.objects.for_workspace(actor.workspace).first()
    if cadence is None:
        raise ValidationFailed.single(
            "scheduled_at", "Give the meeting's time, or set the workspace's cadence first."
        )
    return next_meeting_at(cadence, after), cadence


@transaction.atomic
def meeting_schedule(
    *, actor: Actor, values: Mapping[str, Any] | None = None, now: dt.datetime | None = None
) -> Meeting:
    """Schedule a meeting at `scheduled_at`, or at the cadence's next time after `now`, and
    generate its agenda."""
    require_organiser(actor)
    now = now or timezone.now()
    cleaned = c.clean(MEETING_FIELDS, values or {}, actor.workspace.pk)
    cadence = MeetingCadence.objects.for_workspace(actor.workspace).first()
    if not cleaned.get("scheduled_at"):
        cleaned["scheduled_at"], cadence = _next_time(actor, now)
    clash = (
        Meeting.objects.for_workspace(actor.workspace)
        .filter(scheduled_at=cleaned["scheduled_at"])
        .exclude(status=MeetingStatus.CANCELLED)
    )
    if clash.exists():
        raise Conflict(
            f"A meeting is already scheduled at {cleaned['scheduled_at']:%Y-%m-%d %H:%M}."
        )
    meeting = Meeting(
        workspace=actor.workspace,
        title=cleaned.get("title") or (cadence.title if cadence else "Revenue sync"),
        scheduled_at=cleaned["scheduled_at"],
        duration_minutes=cleaned.get("duration_minutes")
        or (cadence.duration_minutes if cadence else 45),
        created_by=actor.user,
    )
    meeting.save()
    meeting.agenda = generate_agenda(meeting, now=now)
    meeting.agenda_generated_at = now
    meeting.save(update_fields=["agenda", "agenda_generated_at", "updated_at"])
    return meeting


@transaction.atomic
def agenda_generate(*, actor: Actor, meeting_id: int, now: dt.datetime | None = None) -> Meeting:
    """(Re)generate a scheduled meeting's agenda; a held meeting's agenda is frozen."""
    require_participant(actor)
    meeting = _meeting(actor, meeting_id, lock=True)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(
            f"The meeting is {meeting.status}: its agenda is frozen."
            if meeting.status == MeetingStatus.HELD
            else "The meeting was cancelled: it has no agenda to generate."
        )
    now = now or timezone.now()
    meeting.agenda = generate_agenda(meeting, now=now)
    meeting.agenda_generated_at = now
    meeting.save(update_fields=["agenda", "agenda_generated_at", "updated_at"])
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Actor, meeting_id: int) -> Meeting:
    require_organiser(actor)
    meeting = _meeting(actor, meeting_id, lock=True)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(f"Only a scheduled meeting can be cancelled; this one is {meeting.status}.")
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    return meeting


@transaction.atomic
def meeting_hold(
    *, actor: Actor, meeting_id: int, held_at: dt.datetime | None = None,
    schedule_next: bool = True,
) -> Meeting:  # fmt: skip
    """Mark a scheduled meeting held: its agenda is frozen as it stands (generated now if it
    never was), and its open items carry over to the next meeting — the next one from the
    cadence is scheduled when none is, and its agenda is generated with them."""
    require_organiser(actor)
    meeting = _meeting(actor, meeting_id, lock=True)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(
            f"Only a scheduled meeting can be marked held; this one is {meeting.status}."
        )
    now = held_at or timezone.now()
    if not meeting.agenda:
        meeting.agenda = generate_agenda(meeting, now=now)
        meeting.agenda_generated_at = now
    meeting.status = MeetingStatus.HELD
    meeting.held_at = now
    meeting.save(update_fields=["status", "held_at", "agenda", "agenda_generated_at",
                                "updated_at"])  # fmt: skip
    if schedule_next:
        _refresh_next(actor, meeting, now)
    return meeting


def _refresh_next(actor: Actor, held: Meeting, now: dt.datetime) -> None:
    upcoming = (
        Meeting.objects.for_workspace(actor.workspace)
        .filter(status=MeetingStatus.SCHEDULED, scheduled_at__gt=held.scheduled_at)
        .order_by("scheduled_at")
        .first()
    )
    if upcoming is None:
        cadence = MeetingCadence.objects.for_workspace(actor.workspace).first()
        if cadence is None:
            return
        upcoming = Meeting.objects.create(
            workspace=actor.workspace, title=cadence.title,
            scheduled_at=next_meeting_at(cadence, max(now, held.scheduled_at)),
            duration_minutes=cadence.duration_minutes, created_by=actor.user,
        )  # fmt: skip
    upcoming.agenda = generate_agenda(upcoming, now=now)
    upcoming.agenda_generated_at = now
    upcoming.save(update_fields=["agenda", "agenda_generated_at", "updated_at"])


# Notes and decisions -----------------------------------------------------------------------


def _open_for_minutes(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict("The meeting was cancelled.")


@transaction.atomic
def notes_save(*, actor: Actor, meeting_id: int, notes: Any) -> Meeting:
    require_participant(actor)
    text = c.Text(20_000)(notes, "notes", actor.workspace.pk)
    meeting = _meeting(actor, meeting_id, lock=True)
    _open_for_minutes(meeting)
    meeting.notes = text
    meeting.save(update_fields=["notes", "updated_at"])
    return meeting


@transaction.atomic
def decision_add(*, actor: Actor, meeting_id: int, text: Any) -> Decision:
    require_participant(actor)
    cleaned = c.Text(1000, required=True)(text, "text", actor.workspace.pk)
    meeting = _meeting(actor, meeting_id, lock=True)
    _open_for_minutes(meeting)
    return Decision.objects.create(
        workspace=actor.workspace, meeting=meeting, text=cleaned, decided_by=actor.user
    )


# Action items ------------------------------------------------------------------------------


@transaction.atomic
def action_add(*, actor: Actor, values: Mapping[str, Any]) -> ActionItem:
    """An action item with an owner (a member) and a due date, raised in a meeting or not."""
    require_participant(actor)
    cleaned = c.clean(ACTION_FIELDS, values, actor.workspace.pk,
                      required=["title", "owner_id", "due_on"])  # fmt: skip
    for name in ("owner_id", "due_on"):
        if not cleaned.get(name):
            raise ValidationFailed.single(name, "This field is required.")
    if cleaned.get("meeting_id"):
        _open_for_minutes(_meeting(actor, cleaned["meeting_id"]))
    return ActionItem.objects.create(workspace=actor.workspace, created_by=actor.user, **cleaned)


def _close(actor: Actor, item_id: int, status: ActionStatus, at: dt.datetime | None) -> ActionItem:
    require_participant(actor)
    item = _item(actor, item_id, lock=True)
    if item.status != ActionStatus.OPEN:
        raise Conflict(f"The action item is {item.status} already.")
    item.status = status
    item.completed_at = at or timezone.now()
    item.save(update_fields=["status", "completed_at", "updated_at"])
    return item


@transaction.atomic
def action_complete(*, actor: Actor, item_id: int, at: dt.datetime | None = None) -> ActionItem:
    return _close(actor, item_id, ActionStatus.DONE, at)


@transaction.atomic
def action_drop(*, actor: Actor, item_id: int, at: dt.datetime | None = None) -> ActionItem:
    return _close(actor, item_id, ActionStatus.DROPPED, at)


@transaction.atomic
def action_reassign(*, actor: Actor, item_id: int, values: Mapping[str, Any]) -> ActionItem:
    """A new owner and/or due date for an open item."""
    require_participant(actor)
    cleaned = c.clean({"owner_id": _participant, "due_on": c.date}, values, actor.workspace.pk)
    cleaned = {k: v for k, v in cleaned.items() if v}
    if not cleaned:
        raise ValidationFailed.single("owner_id", "Give a new owner or a new due date.")
    item = _item(actor, item_id, lock=True)
    if item.status != ActionStatus.OPEN:
        raise Conflict(f"The action item is {item.status}: only an open item is reassigned.")
    for name, value in cleaned.items():
        setattr(item, name, value)
    item.save(update_fields=[*cleaned, "updated_at"])
    return item


def is_overdue(item: ActionItem, today: dt.date | None = None) -> bool:
    day = today or local_day(timezone.now(), item.workspace_id)
    return item.status == ActionStatus.OPEN and item.due_on < day
