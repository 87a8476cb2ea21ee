"""The demo's first lead definition: drafted by a marketer, proposed, and approved by the
marketing manager — waiting for the sales manager, so a visitor sees the approval page with its
back-test and can finish the two-sided sign-off (sign in as the sales manager to approve)."""

from __future__ import annotations

from typing import Any

from accord.definitions import services
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, TeamKind, Workspace

DEMO_DEFINITION: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": [
        {"id": "decision-makers", "attribute": "seniority", "operator": "in",
         "value": ["vp", "executive", "director"], "points": 15, "grade": "A"},
        {"id": "buying-teams", "attribute": "department", "operator": "in",
         "value": ["Revenue Operations", "Marketing", "Sales", "Data & Analytics"], "points": 10},
        {"id": "mid-market", "attribute": "company.employee_count", "operator": "range",
         "min": 50, "max": 5000, "points": 10, "grade": "B"},
        {"id": "warm-sources", "attribute": "original_source", "operator": "in",
         "value": ["webinar", "event", "referral"], "points": 10},
        {"id": "no-company", "attribute": "company.industry", "operator": "is_empty",
         "points": -10},
    ],
    "engagement_rules": [
        {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 30},
        {"id": "webinars", "source": "touchpoint", "type": "webinar", "points": 15, "cap": 30},
        {"id": "events", "source": "touchpoint", "type": "event", "points": 15, "cap": 30},
        {"id": "content", "source": "touchpoint", "type": "content_download", "points": 5,
         "cap": 15},
        {"id": "clicks", "source": "touchpoint", "type": "email_click", "points": 3, "cap": 9},
        {"id": "visits", "source": "touchpoint", "type": "web_visit", "points": 2, "cap": 6},
    ],
    "negative_signals": {"unsubscribe": -20, "bounce": -10, "student": -30},
    "half_life_days": 30,
    "mql": {"fit_min": 20, "engagement_min": 15},
    "sql": {"kind": "bant"},
}  # fmt: skip


def _member(workspace: Workspace, role: str, kind: str) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role=role, team__kind=kind)
        .select_related("user", "workspace", "team")
        .order_by("id")
        .first()
    )


def propose_demo_definition(workspace: Workspace) -> None:
    author = _member(workspace, Role.MARKETER, TeamKind.MARKETING)
    manager = _member(workspace, Role.MANAGER, TeamKind.MARKETING)
    if author is None or manager is None:
        return  # custom parameters without these people: no definition
    actor = Actor.for_membership(author, Source.DEMO)
    draft = services.definition_create_draft(
        actor=actor,
        document=DEMO_DEFINITION,
        comment="Decision-makers at mid-market companies who engaged recently",
    )
    services.definition_propose(actor=actor, definition_id=draft.pk)
    services.definition_approve(
        actor=Actor.for_membership(manager, Source.DEMO), definition_id=draft.pk
    )
