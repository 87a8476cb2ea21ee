"""The documents of meetings and action items, the same for the API and the CLI's JSON."""

from __future__ import annotations

from typing import Any

from accord.meetings.models import ActionItem, Decision, Meeting, MeetingCadence


def cadence_document(cadence: MeetingCadence | None) -> dict[str, Any] | None:
    if cadence is None:
        return None
    return {
        "title": cadence.title,
        "every_weeks": cadence.every_weeks,
        "weekday": cadence.get_weekday_display().lower(),
        "local_time": cadence.local_time.strftime("%H:%M"),
        "time_zone": cadence.time_zone,
        "duration_minutes": cadence.duration_minutes,
        "starts_on": cadence.starts_on,
    }


def item_document(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "meeting_id": item.meeting_id,
        "title": item.title,
        "owner_id": item.owner_id,
        "due_on": item.due_on,
        "status": item.status,
        "completed_at": item.completed_at,
        "created_at": item.created_at,
    }


def decision_document(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "text": decision.text,
        "decided_by_id": decision.decided_by_id,
        "created_at": decision.created_at,
    }


def meeting_document(meeting: Meeting, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": meeting.pk,
        "title": meeting.title,
        "scheduled_at": meeting.scheduled_at,
        "duration_minutes": meeting.duration_minutes,
        "status": meeting.status,
        "held_at": meeting.held_at,
        "agenda_generated_at": meeting.agenda_generated_at,
    }
    if full:
        out |= {
            "agenda": meeting.agenda or None,
            "notes": meeting.notes,
            "decisions": [decision_document(d) for d in meeting.decisions.order_by("pk")],
            "action_items": [
                item_document(i) for i in meeting.action_items.order_by("due_on", "pk")
            ],
        }
    return out
