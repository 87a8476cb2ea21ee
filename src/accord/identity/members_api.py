"""REST endpoints for a workspace's members and teams. Every member may list them (to pick an
owner or a seller); admins add, change and remove members (`identity.members`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor
from accord.api.schemas import InSchema, RecordId, ResultList
from accord.core.errors import NotFound, ValidationFailed
from accord.identity import members
from accord.identity.models import Membership, Role, Team
from accord.identity.permissions import Action
from accord.identity.selectors import team_list, workspace_members

router = Router(tags=["members"])


class MemberOut(Schema):
    id: int = Field(description="The membership's id (used in /members/{member_id}).")
    user_id: int
    email: str
    full_name: str
    role: str
    team_id: int | None
    joined_at: dt.datetime
    last_sign_in_at: dt.datetime | None = Field(None, description="Admins only (null for others).")
    has_password: bool | None = Field(
        None, description="Admins only: false until a new member has chosen their password."
    )


class MemberCreatedOut(MemberOut):
    invited: bool = Field(
        description="True when they were new to Accord: an email with a link to choose their "
        "password went to them (valid for 7 days and once)."
    )


class MemberIn(InSchema):
    email: str = Field(max_length=254)
    role: Role = Role.VIEWER
    full_name: str = Field("", max_length=150, description="For someone new to Accord.")
    team_id: RecordId | None = None


class MemberPatch(InSchema):
    role: Role | None = None
    team_id: RecordId | None = Field(None, description="null: no team.")


class TeamOut(Schema):
    id: int
    name: str
    kind: str


def _out(membership: Membership, *, admin: bool) -> dict[str, Any]:
    user = membership.user
    return {
        "id": membership.pk,
        "user_id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": membership.role,
        "team_id": membership.team_id,
        "joined_at": membership.created_at,
        "last_sign_in_at": user.last_login if admin else None,
        "has_password": user.has_usable_password() if admin else None,
    }


@router.get("/members", response=ResultList[MemberOut])
def list_members(request: HttpRequest) -> dict[str, Any]:
    """The workspace's members with their role and team."""
    actor = request_actor(request)
    admin = actor.can(Action.MANAGE_WORKSPACE)
    return {"results": [_out(m, admin=admin) for m in workspace_members(actor.workspace)]}


@router.post("/members", response={201: MemberCreatedOut})
def add_member(request: HttpRequest, payload: MemberIn) -> Status[Any]:
    """Add someone (admins). Someone new to Accord gets an account without a password and an
    email with a link to choose it; someone with an account is told by email."""
    actor = request_actor(request)
    membership, created = members.member_add(
        actor=actor,
        email=payload.email,
        role=payload.role,
        full_name=payload.full_name,
        team_id=payload.team_id,
    )
    return Status(201, {**_out(membership, admin=True), "invited": created})


@router.patch("/members/{member_id}", response=MemberOut)
def change_member(request: HttpRequest, member_id: RecordId, payload: MemberPatch) -> Any:
    """Change a member's role or team (admins); a field left out is kept. The workspace's
    last admin keeps that role (409)."""
    actor = request_actor(request)
    actor.require(Action.MANAGE_WORKSPACE)
    current = workspace_members(actor.workspace).filter(pk=member_id).first()
    if current is None:
        raise NotFound("No such member in this workspace.")
    sent = payload.model_fields_set
    if "role" in sent and payload.role is None:
        raise ValidationFailed.single("role", "A member needs a role.")
    changed = members.member_change(
        actor=actor,
        membership_id=member_id,
        role=payload.role or current.role,
        team_id=payload.team_id if "team_id" in sent else current.team_id,
    )
    return _out(changed, admin=True)


@router.delete("/members/{member_id}", response={204: None})
def remove_member(request: HttpRequest, member_id: RecordId) -> Status[None]:
    """Remove a member (admins): their API tokens here are revoked and their open leads go
    back to the fallback queue. The workspace's last admin cannot be removed (409)."""
    members.member_remove(actor=request_actor(request), membership_id=member_id)
    return Status(204, None)


@router.get("/teams", response=ResultList[TeamOut], tags=["members"])
def list_teams(request: HttpRequest) -> dict[str, list[Team]]:
    """The workspace's teams (sales, marketing or RevOps)."""
    return {"results": list(team_list(request_actor(request).workspace))}
