"""REST endpoints of joint meetings: the cadence, meetings with their generated agenda, notes,
decisions and action items, and marking a meeting held. Documents are
`meetings.presentation`'s, the same the CLI prints as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.schemas import InSchema
from accord.meetings import services
from accord.meetings.presentation import (
    cadence_document,
    decision_document,
    item_document,
    meeting_document,
)
from accord.meetings.selectors import cadence_of, meeting_get, meetings_of, open_items

router = Router(tags=["meetings"])


class CadenceIn(InSchema):
    title: str | None = None
    every_weeks: int | None = Field(None, description="1 to 12.")
    weekday: str | None = Field(None, description="monday ... sunday (or 0-6).")
    local_time: str | None = Field(None, description="HH:MM in the time zone.")
    time_zone: str | None = Field(None, description="e.g. Europe/Paris.")
    duration_minutes: int | None = None
    starts_on: dt.date | None = Field(
        None, description="Meetings count from the first on or after."
    )


class CadenceOut(Schema):
    title: str
    every_weeks: int
    weekday: str
    local_time: str
    time_zone: str
    duration_minutes: int
    starts_on: dt.date


class MeetingIn(InSchema):
    scheduled_at: dt.datetime | None = Field(None, description="Default: the cadence's next.")
    title: str | None = None
    duration_minutes: int | None = None


class DecisionOut(Schema):
    id: int
    text: str
    decided_by_id: int | None
    created_at: dt.datetime


class ItemOut(Schema):
    id: int
    meeting_id: int | None
    title: str
    owner_id: int
    due_on: dt.date
    status: str
    completed_at: dt.datetime | None
    created_at: dt.datetime


class MeetingOut(Schema):
    id: int
    title: str
    scheduled_at: dt.datetime
    duration_minutes: int
    status: str
    held_at: dt.datetime | None
    agenda_generated_at: dt.datetime | None
    agenda: dict[str, Any] | None = None
    notes: str = ""
    decisions: list[DecisionOut] = []
    action_items: list[ItemOut] = []


class MeetingList(Schema):
    results: list[MeetingOut]


class ItemList(Schema):
    results: list[ItemOut]


class NotesIn(InSchema):
    notes: str


class DecisionIn(InSchema):
    text: str


class ItemIn(InSchema):
    title: str
    owner_id: int
    due_on: dt.date
    meeting_id: int | None = None


class ActionItemReassignIn(InSchema):
    owner_id: int | None = None
    due_on: dt.date | None = None


@router.get("/meetings/cadence", response={200: CadenceOut | None})
def get_cadence(request: HttpRequest) -> Any:
    return cadence_document(cadence_of(request_membership(request).workspace))


@router.put("/meetings/cadence", response=CadenceOut)
def set_cadence(request: HttpRequest, payload: CadenceIn) -> Any:
    """Managers and admins; the first call needs `local_time`."""
    cadence = services.cadence_set(actor=request_actor(request), values=payload.to_values())
    return cadence_document(cadence)


@router.get("/meetings", response=MeetingList)
def list_meetings(
    request: HttpRequest,
    limit: Annotated[int, Query(ge=1, le=500, description="The newest N meetings (1-500).")] = 50,
) -> dict[str, Any]:
    found = meetings_of(request_membership(request).workspace)[:limit]
    return {"results": [meeting_document(m, full=False) for m in found]}


@router.post("/meetings", response={201: MeetingOut})
def schedule_meeting(request: HttpRequest, payload: MeetingIn) -> Status[Any]:
    """Schedule a meeting (at the cadence's next time when no time is given) and generate its
    agenda."""
    meeting = services.meeting_schedule(actor=request_actor(request), values=payload.to_values())
    return Status(201, meeting_document(meeting))


@router.get("/meetings/action-items", response=ItemList)
def list_open_items(request: HttpRequest) -> dict[str, Any]:
    """Open action items across meetings, by due date."""
    items = open_items(request_membership(request).workspace)
    return {"results": [item_document(i) for i in items]}


@router.post("/meetings/action-items", response={201: ItemOut})
def add_item(request: HttpRequest, payload: ItemIn) -> Status[Any]:
    item = services.action_add(actor=request_actor(request), values=payload.to_values())
    return Status(201, item_document(item))


@router.post("/meetings/action-items/{item_id}/done", response=ItemOut)
def complete_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    return item_document(services.action_complete(actor=request_actor(request), item_id=item_id))


@router.post("/meetings/action-items/{item_id}/drop", response=ItemOut)
def drop_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    return item_document(services.action_drop(actor=request_actor(request), item_id=item_id))


@router.post("/meetings/action-items/{item_id}/reassign", response=ItemOut)
def reassign_item(
    request: HttpRequest, item_id: int, payload: ActionItemReassignIn
) -> dict[str, Any]:
    item = services.action_reassign(actor=request_actor(request), item_id=item_id,
                                    values=payload.to_values())  # fmt: skip
    return item_document(item)


@router.get("/meetings/{meeting_id}", response=MeetingOut)
def get_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    return meeting_document(meeting_get(request_membership(request).workspace, meeting_id))


@router.post("/meetings/{meeting_id}/agenda", response=MeetingOut)
def generate_agenda(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    """Regenerate the agenda; refused (409) once the meeting is held."""
    meeting = services.agenda_generate(actor=request_actor(request), meeting_id=meeting_id)
    return meeting_document(meeting)


@router.post("/meetings/{meeting_id}/hold", response=MeetingOut)
def hold_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    """Mark held: the agenda is frozen; open items carry over to the next meeting's agenda."""
    meeting = services.meeting_hold(actor=request_actor(request), meeting_id=meeting_id)
    return meeting_document(meeting)


@router.post("/meetings/{meeting_id}/cancel", response=MeetingOut)
def cancel_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    return meeting_document(services.meeting_cancel(actor=request_actor(request),
                                                    meeting_id=meeting_id))  # fmt: skip


@router.put("/meetings/{meeting_id}/notes", response=MeetingOut)
def save_notes(request: HttpRequest, meeting_id: int, payload: NotesIn) -> dict[str, Any]:
    meeting = services.notes_save(actor=request_actor(request), meeting_id=meeting_id,
                                  notes=payload.notes)  # fmt: skip
    return meeting_document(meeting)


@router.post("/meetings/{meeting_id}/decisions", response={201: DecisionOut})
def add_decision(request: HttpRequest, meeting_id: int, payload: DecisionIn) -> Status[Any]:
    decision = services.decision_add(actor=request_actor(request), meeting_id=meeting_id,
                                     text=payload.text)  # fmt: skip
    return Status(201, decision_document(decision))
