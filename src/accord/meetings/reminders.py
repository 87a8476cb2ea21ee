"""Reminders of joint meetings, sent by the worker: owners hear of their open action items due
tomorrow and of those overdue, and the teams' members (every role but viewers) of the meeting
tomorrow — each at most once per item (or meeting), kind and day. A reminder is an in-app row
(`Reminder`, listed on the meetings page) and an email when the user has an address.

Days are the cadence's time zone's (else the workspace's). Running the pass twice in a day
sends nothing new: the row is written first, under a unique constraint, and only a row this
pass wrote is emailed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.identity.models import Membership, User, Workspace
from accord.meetings.models import (
    ActionItem,
    ActionStatus,
    Meeting,
    MeetingStatus,
    Reminder,
    ReminderKind,
)
from accord.meetings.permissions import PARTICIPANTS
from accord.meetings.schedule import local_day

logger = logging.getLogger(__name__)


def _send(reminder: Reminder, users: dict[int, User]) -> bool:
    """Write the reminder (once); email it when it is new. True when it was new."""
    try:
        with transaction.atomic():
            reminder.save()
    except IntegrityError:  # sent already today (by this pass or a concurrent one)
        return False
    user = users.get(reminder.recipient_id)
    if user is not None and user.email and user.is_active:
        try:
            send_mail(
                subject=f"[Accord] {reminder.get_kind_display()}",
                message=reminder.message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        except OSError:  # the in-app reminder stands; the mail is not retried
            logger.exception("reminder %s: the email could not be sent", reminder.pk)
            return True
        Reminder.objects.for_workspace(reminder.workspace_id).filter(pk=reminder.pk).update(
            emailed=True
        )
    return True


def _item_reminders(workspace_id: int, day: dt.date) -> list[Reminder]:
    items = ActionItem.objects.for_workspace(workspace_id).filter(
        status=ActionStatus.OPEN, due_on__lte=day + dt.timedelta(days=1)
    )
    out = []
    for item in items.order_by("due_on", "pk"):
        if item.due_on > day:
            kind, text = ReminderKind.DUE_TOMORROW, f"Due tomorrow: {item.title}"
        elif item.due_on < day:
            late = (day - item.due_on).days
            kind = ReminderKind.OVERDUE
            days = f"{late} day{'s' if late != 1 else ''}"
            text = f"Overdue by {days}: {item.title} (due {item.due_on:%d %b})"
        else:
            continue  # due today: reminded yesterday, overdue from tomorrow
        out.append(Reminder(workspace_id=workspace_id, recipient_id=item.owner_id, kind=kind,
                            action_item=item, day=day, message=text[:500]))  # fmt: skip
    return out


def _meeting_reminders(workspace_id: int, day: dt.date, now: dt.datetime) -> list[Reminder]:
    tomorrow = day + dt.timedelta(days=1)
    meetings = [
        m for m in Meeting.objects.for_workspace(workspace_id).filter(
            status=MeetingStatus.SCHEDULED, scheduled_at__gt=now,
            scheduled_at__lt=now + dt.timedelta(days=3))
        if local_day(m.scheduled_at, workspace_id) == tomorrow
    ]  # fmt: skip
    if not meetings:
        return []
    people = list(
        Membership.objects.for_workspace(workspace_id)
        .filter(role__in=PARTICIPANTS)
        .values_list("user_id", flat=True)
    )
    out = []
    for meeting in meetings:
        sections = meeting.agenda.get("sections", []) if meeting.agenda else []
        summary = "; ".join(f"{s['title']}: {s['count']}" for s in sections if s.get("count"))
        text = f"{meeting.title} tomorrow. Agenda: {summary or 'nothing flagged yet'}."
        out += [
            Reminder(workspace_id=workspace_id, recipient_id=uid, meeting=meeting, day=day,
                     kind=ReminderKind.MEETING_TOMORROW, message=text[:500])
            for uid in people
        ]  # fmt: skip
    return out


def send_reminders(now: dt.datetime | None = None) -> dict[str, int]:
    """Send the day's reminders in every workspace; returns the counts of new ones by kind."""
    now = now or timezone.now()
    sent: Counter[str] = Counter()
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        day = local_day(now, workspace_id)
        pending = _item_reminders(workspace_id, day) + _meeting_reminders(workspace_id, day, now)
        if not pending:
            continue
        users = {u.pk: u for u in User.objects.filter(pk__in={r.recipient_id for r in pending})}
        for reminder in pending:
            if _send(reminder, users):
                sent[reminder.kind] += 1
    return {kind: sent[kind] for kind in ReminderKind.values}


def reminders_for(workspace_id: int, user_id: int, limit: int = 20) -> list[Reminder]:
    """A user's latest reminders, unread first."""
    return list(
        Reminder.objects.for_workspace(workspace_id)
        .filter(recipient_id=user_id)
        .order_by("read_at", "-day", "-pk")[:limit]
    )
