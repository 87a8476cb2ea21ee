"""REST endpoints of identity: who the caller is, in which workspace, with which role."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from accord.api.auth import request_principal
from accord.identity.actor import Actor, Source
from accord.identity.permissions import Action

router = Router()


class MeUserOut(Schema):
    id: int
    email: str
    full_name: str


class MeWorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    default_currency: str


class MeAuthOut(Schema):
    method: Literal["token", "session"]
    token_name: str | None
    token_scope: Literal["read", "write"] | None


class MeOut(Schema):
    user: MeUserOut
    workspace: MeWorkspaceOut
    role: str
    team_id: int | None
    permissions: list[str] = Field(description="The actions the role allows.")
    auth: MeAuthOut


@router.get("/me", response=MeOut, tags=["identity"])
def get_me(request: HttpRequest) -> dict[str, Any]:
    """The calling user, the workspace the request acts in, the role there, and how the call
    was authenticated."""
    principal = request_principal(request)
    membership = principal.membership
    actor = Actor.for_membership(membership, Source.API)
    token = principal.token
    return {
        "user": membership.user,
        "workspace": membership.workspace,
        "role": membership.role,
        "team_id": membership.team_id,
        # A read-only token may only read, whatever the role allows.
        "permissions": [
            action.value
            for action in Action
            if actor.can(action) and (token is None or token.scope == "write" or action == "read")
        ],
        "auth": {
            "method": principal.method,
            "token_name": token.name if token else None,
            "token_scope": token.scope if token else None,
        },
    }
