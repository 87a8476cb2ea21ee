"""REST endpoints of handed-off leads: the list and detail, sales' decisions (claim, accept,
reject, recycle, reassign), the SLA clock's pause and resume, marketing's dispute and its
resolution, the escalation inbox, and a contact's standing against the buyer's contact cap."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import MAX_ID, InSchema, RecordId, aware
from accord.core.errors import PermissionDenied
from accord.handoff import api_queries as queries
from accord.handoff import clocks, dispositions
from accord.handoff.cap import cap_status
from accord.handoff.escalations import escalation_mark_read
from accord.handoff.models import (
    DisputeOutcome,
    Escalation,
    EscalationKind,
    Handoff,
    HandoffStatus,
    SlaState,
)
from accord.identity.models import Role

router = Router(tags=["handoff"])


class HandoffContactOut(Schema):
    id: int
    email: str
    name: str


class ReasonRefOut(Schema):
    key: str
    label: str


class DisputeOut(Schema):
    id: int
    raised_by_id: int
    comment: str
    outcome: DisputeOutcome
    resolved_by_id: int | None
    resolved_at: dt.datetime | None
    resolution: str
    created_at: dt.datetime


class HandoffOut(Schema):
    id: int
    contact: HandoffContactOut
    owner_id: int | None = Field(description="null: the lead waits in the fallback queue.")
    owner_name: str | None
    team_id: int | None
    team_name: str | None
    chosen_by: str = Field(description="What routed the lead here (a rule, the account owner…).")
    routing_rule_id: int | None
    status: HandoffStatus
    assigned_at: dt.datetime
    sla_state: SlaState
    first_touch_due_at: dt.datetime | None
    first_touched_at: dt.datetime | None
    breached_at: dt.datetime | None
    paused_at: dt.datetime | None
    pause_reason: str
    attempts: int
    attempts_due_at: dt.datetime | None
    escalation_level: int = Field(description="0 none, 1 owner told, 2 manager told.")
    decided_at: dt.datetime | None
    decided_by_id: int | None
    reason: ReasonRefOut | None
    comment: str
    recycle_until: dt.date | None
    definition_version: str
    agreement_id: int | None
    agreement_version: int | None
    dispute: DisputeOut | None


def _name(user: Any) -> str | None:
    return user.display_name if user is not None else None


def _handoff_out(handoff: Handoff) -> dict[str, Any]:
    contact = handoff.contact
    reason = handoff.reason
    dispute = getattr(handoff, "dispute", None)  # reverse one-to-one: absent raises
    return {
        "id": handoff.pk,
        "contact": {"id": contact.pk, "email": contact.email, "name": contact.full_name},
        "owner_id": handoff.owner_id,
        "owner_name": _name(handoff.owner),
        "team_id": handoff.team_id,
        "team_name": handoff.team.name if handoff.team is not None else None,
        "chosen_by": handoff.chosen_by,
        "routing_rule_id": handoff.routing_rule_id,
        "status": handoff.status,
        "assigned_at": handoff.assigned_at,
        "sla_state": handoff.sla_state,
        "first_touch_due_at": handoff.first_touch_due_at,
        "first_touched_at": handoff.first_touched_at,
        "breached_at": handoff.breached_at,
        "paused_at": handoff.paused_at,
        "pause_reason": handoff.pause_reason,
        "attempts": handoff.attempts,
        "attempts_due_at": handoff.attempts_due_at,
        "escalation_level": handoff.escalation_level,
        "decided_at": handoff.decided_at,
        "decided_by_id": handoff.decided_by_id,
        "reason": {"key": reason.key, "label": reason.label} if reason is not None else None,
        "comment": handoff.comment,
        "recycle_until": handoff.recycle_until,
        "definition_version": handoff.definition_version,
        "agreement_id": handoff.agreement_id,
        "agreement_version": handoff.agreement.version if handoff.agreement else None,
        "dispute": dispute,
    }


class HandoffListParams(ListParams):
    ordering: Literal["-assigned_at", "assigned_at"] = "-assigned_at"
    status: HandoffStatus | None = None
    owner: str | None = Field(
        None, description="'me', 'queue' (the fallback queue: no owner) or a user id."
    )
    sla_state: SlaState | None = None
    assigned_after: dt.datetime | None = Field(None, description="Inclusive.")
    assigned_before: dt.datetime | None = Field(None, description="Exclusive.")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        text = value.strip().lower()
        if text in (queries.ME, queries.QUEUE):
            return text
        if not text.isdigit() or not 0 < int(text) <= MAX_ID:
            raise ValueError("Use 'me', 'queue' or a user id.")
        return text

    def filters(self) -> queries.HandoffFilters:
        return queries.HandoffFilters(
            status=self.status or "",
            owner=self.owner or "",
            sla_state=self.sla_state or "",
            assigned_after=aware(self.assigned_after),
            assigned_before=aware(self.assigned_before),
        )


@router.get("/handoffs", response=Page[HandoffOut])
def list_handoffs(request: HttpRequest, params: Query[HandoffListParams]) -> dict[str, Any]:
    """Handed-off leads, newest first; `owner=me` is your queue, `owner=queue` the leads no
    seller could take."""
    membership = request_membership(request)
    qs = queries.handoff_list(membership.workspace, params.filters(), me=membership.user_id)
    page: PageResult[Handoff] = paginate_params(qs, params)
    return {"results": [_handoff_out(h) for h in page.results], "next_cursor": page.next_cursor}


# The escalation inbox (registered before /handoffs/{handoff_id}, so the literal path wins).


class EscalationOut(Schema):
    id: int
    handoff_id: int
    contact_id: int
    kind: EscalationKind
    recipient_id: int | None
    message: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    emailed: bool
    read_at: dt.datetime | None

    @staticmethod
    def resolve_contact_id(obj: Escalation) -> int:
        return obj.handoff.contact_id


class EscalationListParams(ListParams):
    ordering: Literal["-created_at", "created_at"] = "-created_at"
    all: bool = Field(
        False, description="Everyone's escalations, not only yours (managers and admins)."
    )
    kind: EscalationKind | None = None
    unread: bool | None = Field(None, description="true: only unread; false: only read.")


@router.get("/handoffs/escalations", response=Page[EscalationOut])
def list_escalations(
    request: HttpRequest, params: Query[EscalationListParams]
) -> PageResult[Escalation]:
    """Your escalations (SLA breaches, leads in the fallback queue, disputes), newest first."""
    membership = request_membership(request)
    if params.all and membership.role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("Only managers and admins can see everyone's escalations.")
    filters = queries.EscalationFilters(
        recipient_id=None if params.all else membership.user_id,
        kind=params.kind or "",
        unread=params.unread,
    )
    return paginate_params(queries.escalation_list(membership.workspace, filters), params)


@router.post("/handoffs/escalations/{escalation_id}/read", response=EscalationOut)
def read_escalation(request: HttpRequest, escalation_id: RecordId) -> Escalation:
    """Mark one of your escalations read (repeating it changes nothing)."""
    actor = request_actor(request)
    escalation_mark_read(actor=actor, escalation_id=escalation_id)
    return queries.escalation_get(actor.workspace, escalation_id)


@router.get("/handoffs/{handoff_id}", response=HandoffOut)
def get_handoff(request: HttpRequest, handoff_id: RecordId) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    return _handoff_out(queries.handoff_get(workspace, handoff_id))


# Decisions ------------------------------------------------------------------------------


class CommentIn(InSchema):
    comment: str = ""


class RejectIn(InSchema):
    reason: str = Field(description="A reason code's key (GET /rejection-reasons).")
    comment: str = ""


class RecycleIn(InSchema):
    until: dt.date = Field(description="When the lead comes back as a lead (in the future).")
    comment: str = ""


class ReassignIn(InSchema):
    user_id: RecordId


class PauseIn(InSchema):
    reason: str = Field(description="Why the clock stops, e.g. the contact is out of office.")


class DisputeIn(InSchema):
    comment: str = Field(description="Why marketing questions the rejection.")


class ResolveIn(InSchema):
    outcome: Literal["upheld", "overturned"]
    resolution: str = Field(description="The manager's answer, shown to both teams.")


def _detail(request: HttpRequest, handoff_id: int) -> dict[str, Any]:
    return _handoff_out(queries.handoff_get(request_membership(request).workspace, handoff_id))


@router.post("/handoffs/{handoff_id}/claim", response=HandoffOut)
def claim_handoff(request: HttpRequest, handoff_id: RecordId) -> dict[str, Any]:
    """Take a lead from the fallback queue: of two claims at once, one wins and the other
    gets 409."""
    dispositions.handoff_claim(actor=request_actor(request), handoff_id=handoff_id)
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/accept", response=HandoffOut)
def accept_handoff(
    request: HttpRequest, handoff_id: RecordId, payload: CommentIn | None = None
) -> dict[str, Any]:
    """Accept the lead (it becomes a SAL). Its owner, a sales team's manager or an admin may
    decide; a lead already decided is a 409. A decision ends the first-touch clock: met if made
    by the due time, else breached."""
    comment = payload.comment if payload is not None else ""
    dispositions.handoff_accept(
        actor=request_actor(request), handoff_id=handoff_id, comment=comment
    )
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/reject", response=HandoffOut)
def reject_handoff(request: HttpRequest, handoff_id: RecordId, payload: RejectIn) -> dict[str, Any]:
    """Reject with a reason code: the lead is disqualified or recycled, as the code says."""
    dispositions.handoff_reject(
        actor=request_actor(request),
        handoff_id=handoff_id,
        reason=payload.reason,
        comment=payload.comment,
    )
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/recycle", response=HandoffOut)
def recycle_handoff(
    request: HttpRequest, handoff_id: RecordId, payload: RecycleIn
) -> dict[str, Any]:
    """Back to marketing's nurture until a date."""
    dispositions.handoff_recycle(
        actor=request_actor(request),
        handoff_id=handoff_id,
        until=payload.until,
        comment=payload.comment,
    )
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/reassign", response=HandoffOut)
def reassign_handoff(
    request: HttpRequest, handoff_id: RecordId, payload: ReassignIn
) -> dict[str, Any]:
    """Give an open lead to someone who can work it: a sales rep or SDR, or a manager or admin
    on a sales team (anyone else is a 400 on `user_id`). The lead moves to their sales team;
    its first-touch due time stays. For a sales team's managers and admins."""
    dispositions.handoff_reassign(
        actor=request_actor(request), handoff_id=handoff_id, user_id=payload.user_id
    )
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/pause", response=HandoffOut)
def pause_handoff(request: HttpRequest, handoff_id: RecordId, payload: PauseIn) -> dict[str, Any]:
    """Stop the first-touch clock."""
    clocks.handoff_pause(actor=request_actor(request), handoff_id=handoff_id, reason=payload.reason)
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/resume", response=HandoffOut)
def resume_handoff(request: HttpRequest, handoff_id: RecordId) -> dict[str, Any]:
    """Restart the clock; the due time moves on by the business time it was paused."""
    clocks.handoff_resume(actor=request_actor(request), handoff_id=handoff_id)
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/dispute", response=HandoffOut)
def dispute_handoff(
    request: HttpRequest, handoff_id: RecordId, payload: DisputeIn
) -> dict[str, Any]:
    """Marketing questions a rejection, once; the sales managers are told."""
    dispositions.handoff_dispute(
        actor=request_actor(request), handoff_id=handoff_id, comment=payload.comment
    )
    return _detail(request, handoff_id)


@router.post("/handoffs/{handoff_id}/dispute/resolve", response=HandoffOut)
def resolve_dispute(
    request: HttpRequest, handoff_id: RecordId, payload: ResolveIn
) -> dict[str, Any]:
    """Uphold the rejection, or overturn it: the contact is an MQL again and is handed over
    anew. For a sales team's managers and admins (marketing does not rule on its own dispute).
    An overturn is a 409 if the contact has moved on since the rejection (to SQL, a customer,
    back to lead): it is never pulled back to MQL."""
    dispositions.dispute_resolve(
        actor=request_actor(request),
        handoff_id=handoff_id,
        outcome=payload.outcome,
        resolution=payload.resolution,
    )
    return _detail(request, handoff_id)


# The buyer's contact cap ----------------------------------------------------------------


class ContactCapOut(Schema):
    agreed: bool = Field(description="false: no SLA agreement is active, so no cap is agreed.")
    limit: int | None = None
    window_hours: float | None = None
    touches_in_window: int | None = None
    next_allowed: dt.datetime | None = Field(
        None, description="The earliest moment one more touch stays within the cap."
    )
    would_exceed: bool | None = Field(None, description="One more touch now breaks the cap.")


@router.get("/contacts/{contact_id}/contact-cap", response=ContactCapOut, exclude_none=True)
def get_contact_cap(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """The contact's touches in the agreed rolling window, sales and marketing together."""
    workspace = request_membership(request).workspace
    queries.contact_exists(workspace, contact_id)
    status = cap_status(workspace.pk, contact_id, timezone.now())
    if status is None:
        return {"agreed": False}
    return {
        "agreed": True,
        "limit": status.limit,
        "window_hours": status.window_hours,
        "touches_in_window": status.touches_in_window,
        "next_allowed": status.next_allowed,
        "would_exceed": status.would_exceed,
    }
