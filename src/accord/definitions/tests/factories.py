"""Factories and sample documents for lead definition tests."""

from __future__ import annotations

from typing import Any

from accord.definitions import services
from accord.definitions.models import LeadDefinition
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, Team, TeamKind, Workspace
from accord.identity.tests.factories import MembershipFactory, TeamFactory, UserFactory


def sample_document(**overrides: Any) -> dict[str, Any]:
    """A small valid document: VPs fit, form fills engage, MQL at fit >= 20 and engagement >= 10."""
    doc: dict[str, Any] = {
        "schema_version": 1,
        "fit_rules": [
            {
                "id": "senior",
                "attribute": "seniority",
                "operator": "in",
                "value": ["vp", "executive"],
                "points": 20,
                "grade": "A",
            },
            {
                "id": "size",
                "attribute": "company.employee_count",
                "operator": "range",
                "min": 50,
                "max": 5000,
                "points": 10,
            },
        ],
        "engagement_rules": [
            {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 30},
            {"id": "calls", "source": "activity", "type": "call", "points": 5},
        ],
        "mql": {"fit_min": 20, "engagement_min": 10},
    }
    doc.update(overrides)
    return doc


def team_member(workspace: Workspace, role: str, kind: str | None, email: str) -> Membership:
    """A member of `workspace` with `role`, on a team of `kind` (or on no team)."""
    team: Team | None = None
    if kind is not None:
        team = Team.objects.for_workspace(workspace).filter(kind=kind).first() or TeamFactory(
            workspace=workspace, kind=kind, name=f"{kind} team"
        )
    return MembershipFactory(
        workspace=workspace, user=UserFactory(email=email), role=role, team=team
    )


def marketing_manager(workspace: Workspace) -> Membership:
    return team_member(workspace, Role.MANAGER, TeamKind.MARKETING, f"mm@{workspace.slug}.example")


def sales_manager(workspace: Workspace) -> Membership:
    return team_member(workspace, Role.MANAGER, TeamKind.SALES, f"sm@{workspace.slug}.example")


def active_version(workspace: Workspace, document: dict[str, Any] | None = None) -> LeadDefinition:
    """A version proposed, approved by both sides and activated through the services."""
    author = Actor.for_membership(
        team_member(workspace, Role.MARKETER, TeamKind.MARKETING, f"author{_next()}@x.example"),
        Source.WEB,
    )
    draft = services.definition_create_draft(actor=author, document=document or sample_document())
    services.definition_propose(actor=author, definition_id=draft.pk)
    for kind in (TeamKind.MARKETING, TeamKind.SALES):
        approver = team_member(workspace, Role.MANAGER, kind, f"approver{_next()}@x.example")
        services.definition_approve(
            actor=Actor.for_membership(approver, Source.WEB), definition_id=draft.pk
        )
    return services.definition_activate(
        actor=Actor.system(workspace, Source.SYSTEM), definition_id=draft.pk
    )


_counter = iter(range(1, 10**9))


def _next() -> int:
    return next(_counter)
