"""Factories and sample documents for lead definition tests."""

from __future__ import annotations

from typing import Any

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
