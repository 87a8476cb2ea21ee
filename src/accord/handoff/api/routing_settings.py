"""REST endpoints of routing settings: ordered routing rules, each seller's share, capacity
and absences, and the rejection reason codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.schemas import InSchema, RecordId, ResultList
from accord.handoff import api_queries as queries
from accord.handoff import routing_settings
from accord.handoff.models import ReasonOutcome, RejectionReason, RoutingRule

router = Router(tags=["handoff"])


# Routing rules ----------------------------------------------------------------------------


class RoutingRuleOut(Schema):
    id: int
    position: int
    name: str
    conditions: list[dict[str, Any]]
    team_id: int | None
    team_name: str | None
    user_id: int | None
    user_name: str | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_team_name(obj: RoutingRule) -> str | None:
        return obj.team.name if obj.team is not None else None

    @staticmethod
    def resolve_user_name(obj: RoutingRule) -> str | None:
        return obj.user.display_name if obj.user is not None else None


_CONDITIONS = (
    "Every condition must match: {attribute, operator, value} with operator equals, in, "
    "contains, is_empty, or range with low/high. Attributes: contact fields (country, title, "
    "seniority, …), company.<field>, custom fields, grade. No conditions: every lead matches."
)


class _RuleTarget(InSchema):
    team_id: RecordId | None = Field(None, description="A sales team to rotate through …")
    user_id: RecordId | None = Field(None, description="… or one person (not both).")
    is_active: bool | None = None


class RoutingRuleIn(_RuleTarget):
    name: str
    conditions: list[Any] = Field(default_factory=list, description=_CONDITIONS)


class RoutingRulePatch(_RuleTarget):
    name: str | None = None
    conditions: list[Any] | None = Field(None, description=_CONDITIONS)


class ReorderIn(InSchema):
    rule_ids: list[RecordId] = Field(description="Every rule of the workspace, each once.")


@router.get("/routing-rules", response=ResultList[RoutingRuleOut])
def list_routing_rules(request: HttpRequest) -> dict[str, Any]:
    """The rules in the order they are tried; the first whose conditions all match wins."""
    workspace = request_membership(request).workspace
    return {"results": queries.routing_rule_list(workspace)}


@router.post("/routing-rules", response={201: RoutingRuleOut})
def create_routing_rule(request: HttpRequest, payload: RoutingRuleIn) -> Status[Any]:
    """Add a rule at the end of the order."""
    actor = request_actor(request)
    rule = routing_settings.routing_rule_create(actor=actor, values=payload.to_values())
    return Status(201, queries.routing_rule_get(actor.workspace, rule.pk))


# Registered before /routing-rules/{rule_id} so that the literal path wins.
@router.post("/routing-rules/reorder", response=ResultList[RoutingRuleOut])
def reorder_routing_rules(request: HttpRequest, payload: ReorderIn) -> dict[str, Any]:
    actor = request_actor(request)
    routing_settings.routing_rules_reorder(actor=actor, rule_ids=payload.rule_ids)
    return {"results": queries.routing_rule_list(actor.workspace)}


@router.patch("/routing-rules/{rule_id}", response=RoutingRuleOut)
def update_routing_rule(
    request: HttpRequest, rule_id: RecordId, payload: RoutingRulePatch
) -> RoutingRule:
    actor = request_actor(request)
    routing_settings.routing_rule_update(actor=actor, rule_id=rule_id, values=payload.to_values())
    return queries.routing_rule_get(actor.workspace, rule_id)


@router.delete("/routing-rules/{rule_id}", response={204: None})
def delete_routing_rule(request: HttpRequest, rule_id: RecordId) -> Status[None]:
    routing_settings.routing_rule_delete(actor=request_actor(request), rule_id=rule_id)
    return Status(204, None)


# Sellers and absences ---------------------------------------------------------------------


class AbsenceOut(Schema):
    id: int
    user_id: int
    starts_on: dt.date
    ends_on: dt.date
    note: str


class SellerOut(Schema):
    user_id: int
    name: str
    email: str
    role: str
    team_id: int | None
    team_name: str | None
    weight: float = Field(description="Share of the team's rotation (0-100; 0 takes none).")
    capacity: int | None = Field(description="Most open handoffs at once; null: no limit.")
    accepts_leads: bool
    open_handoffs: int
    absences: list[AbsenceOut] = Field(description="Absences that have not ended yet.")


class SellerIn(InSchema):
    weight: float | None = None
    capacity: int | None = Field(None, description="null: no limit.")
    accepts_leads: bool | None = None


class AbsenceIn(InSchema):
    starts_on: dt.date
    ends_on: dt.date = Field(description="Inclusive.")
    note: str = ""


def _seller_out(row: queries.SellerRow) -> dict[str, Any]:
    membership = row.membership
    team = membership.team
    return {
        "user_id": membership.user_id,
        "name": membership.user.display_name,
        "email": membership.user.email,
        "role": membership.role,
        "team_id": team.pk if team is not None else None,
        "team_name": team.name if team is not None else None,
        "weight": row.weight,
        "capacity": row.capacity,
        "accepts_leads": row.accepts_leads,
        "open_handoffs": row.open_handoffs,
        "absences": row.absences,
    }


@router.get("/sellers", response=ResultList[SellerOut])
def list_sellers(request: HttpRequest) -> dict[str, Any]:
    """The sales reps and SDRs of the sales teams, as the rotation sees them."""
    workspace = request_membership(request).workspace
    return {"results": [_seller_out(row) for row in queries.seller_rows(workspace)]}


@router.put("/sellers/{user_id}", response=SellerOut)
def set_seller(request: HttpRequest, user_id: RecordId, payload: SellerIn) -> dict[str, Any]:
    """Set a member's weight, capacity or whether they take leads (fields left out keep their
    value)."""
    actor = request_actor(request)
    routing_settings.seller_settings_set(actor=actor, user_id=user_id, values=payload.to_values())
    return _seller_out(queries.seller_rows(actor.workspace, user_id=user_id)[0])


@router.post("/sellers/{user_id}/absences", response={201: AbsenceOut})
def add_absence(request: HttpRequest, user_id: RecordId, payload: AbsenceIn) -> Status[Any]:
    """Record dates a member is away: the rotation skips them. Members record their own;
    managers and admins anyone's."""
    absence = routing_settings.out_of_office_add(
        actor=request_actor(request),
        user_id=user_id,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        note=payload.note,
    )
    return Status(201, absence)


@router.delete("/absences/{absence_id}", response={204: None})
def delete_absence(request: HttpRequest, absence_id: RecordId) -> Status[None]:
    routing_settings.out_of_office_remove(actor=request_actor(request), absence_id=absence_id)
    return Status(204, None)


# Rejection reasons ------------------------------------------------------------------------


class RejectionReasonOut(Schema):
    id: int
    key: str
    label: str
    outcome: ReasonOutcome = Field(description="What a rejection with this code does to the lead.")
    needs_attempts: bool = Field(
        description="The SLA's attempts must be logged first (e.g. unresponsive)."
    )
    position: int
    is_active: bool


class RejectionReasonIn(InSchema):
    key: str = Field(description="1-40 letters, digits or underscores; an existing key updates.")
    label: str
    outcome: str = Field(description="disqualified or recycled.")
    needs_attempts: bool | None = None
    is_active: bool | None = None


@router.get("/rejection-reasons", response=ResultList[RejectionReasonOut])
def list_rejection_reasons(request: HttpRequest) -> dict[str, Any]:
    """The reason codes sales picks from when rejecting a lead (the defaults come first)."""
    workspace = request_membership(request).workspace
    routing_settings.ensure_default_reasons(workspace.pk)
    return {"results": queries.rejection_reason_list(workspace)}


@router.post("/rejection-reasons", response={200: RejectionReasonOut, 201: RejectionReasonOut})
def save_rejection_reason(request: HttpRequest, payload: RejectionReasonIn) -> Status[Any]:
    """Create a reason code (201), or change the label, outcome or activity of an existing
    key (200)."""
    actor = request_actor(request)
    existed = queries.rejection_reason_exists(actor.workspace, payload.key)
    reason: RejectionReason = routing_settings.rejection_reason_save(
        actor=actor, values=payload.to_values()
    )
    return Status(200 if existed else 201, reason)
