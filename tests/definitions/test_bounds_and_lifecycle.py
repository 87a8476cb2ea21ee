"""Regressions found on the demo data: unbounded points overflowed the scores to Infinity (and
the score API to invalid JSON), and a repeated or out-of-order step of a version's life said
something untrue ("needs … approval" of a version that has both)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.crm.tests.factories import ContactFactory
from accord.definitions.evaluation import evaluate_contacts
from accord.definitions.models import ContactScore, DefinitionStatus, LeadDefinition, RescoreJob
from accord.definitions.tests.factories import active_version, sample_document, team_member
from accord.identity.actor import Actor, Source
from accord.identity.models import Role, TeamKind
from accord.marketing.models import TouchpointType
from accord.marketing.tests.factories import TouchpointFactory
from tests.api.conftest import Api, make_token
from tests.audit.helpers import actions

pytestmark = pytest.mark.django_db

# What QA saved: it validated, was approved and activated, and overflowed the re-score.
UNBOUNDED: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": [
        {"id": "no-title", "attribute": "title", "operator": "is_empty", "points": 1e308},
        {"id": "no-country", "attribute": "country", "operator": "is_empty", "points": 1e308},
    ],
    "engagement_rules": [
        {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 1e308},
    ],
    "mql": {"fit_min": 10, "engagement_min": 20},
}


def strict_json(content: bytes) -> Any:
    """JSON as the standard has it: Infinity and NaN are not numbers there."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(content, parse_constant=refuse)


def member_api(workspace: Any, role: str, kind: str | None, email: str) -> Api:
    return Api(make_token(team_member(workspace, role, kind, email))[1])


@pytest.fixture
def admin_client(admin: Any) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


@pytest.fixture
def managers(workspace: Any) -> tuple[Api, Api]:
    return (
        member_api(workspace, Role.MANAGER, TeamKind.MARKETING, "mm@acme.example"),
        member_api(workspace, Role.MANAGER, TeamKind.SALES, "sm@acme.example"),
    )


def approved(api: Api, managers: tuple[Api, Api], document: dict[str, Any] | None = None) -> int:
    created = api.post("/definitions", {"document": document or sample_document()})
    assert created.status == 201, created.body
    definition_id = int(created.body["id"])
    assert api.post(f"/definitions/{definition_id}/propose").status == 200
    for manager in managers:
        assert manager.post(f"/definitions/{definition_id}/approve").status == 200
    return definition_id


def stored_before_the_bounds(definition: LeadDefinition, document: dict[str, Any]) -> None:
    """The version as an earlier release saved it, without today's bounds."""
    LeadDefinition.objects.for_workspace(definition.workspace).filter(pk=definition.pk).update(
        document=document
    )


# 1. Bounded numbers ---------------------------------------------------------------------------
def test_unbounded_points_are_refused_and_nothing_is_written(api: Api, workspace: Any) -> None:
    reply = api.post("/definitions", {"document": UNBOUNDED})
    assert reply.status == 400
    assert reply.fields == {
        "document.fit_rules.0.points": ["points must be between -10,000 and 10,000"],
        "document.fit_rules.1.points": ["points must be between -10,000 and 10,000"],
        "document.engagement_rules.0.points": [
            "points must be between -10,000 and 10,000 per event"
        ],
    }
    assert LeadDefinition.objects.for_workspace(workspace).count() == 0
    draft = api.post("/definitions", {"document": sample_document()})
    edit = api.patch(f"/definitions/{draft.body['id']}", {"document": UNBOUNDED})
    assert (edit.status, sorted(edit.fields)[0]) == (400, "document.engagement_rules.0.points")
    assert LeadDefinition.objects.for_workspace(workspace).get().document["fit_rules"][0][
        "points"
    ] == (20.0)


def test_the_editor_names_the_unbounded_number(admin_client: Client) -> None:
    page = admin_client.post(
        "/definitions/validate/", {"document": json.dumps(UNBOUNDED)}
    ).content.decode()
    assert 'id="document-errors"' in page
    assert "document.fit_rules.0.points" in page
    assert "points must be between -10,000 and 10,000" in page


def test_a_stored_unbounded_version_scores_to_finite_numbers(
    api: Api, admin_client: Client, workspace: Any
) -> None:
    contact = ContactFactory(workspace=workspace, title="", country="")
    for _ in range(2):
        TouchpointFactory(workspace=workspace, contact=contact, type=TouchpointType.FORM_FILL)
    version = active_version(workspace)
    stored_before_the_bounds(version, UNBOUNDED)
    # What the overflowing re-score stored; the next re-score corrects it.
    ContactScore.objects.create(
        workspace=workspace,
        contact=contact,
        definition_version=1,
        fit=math.inf,
        grade="D",
        engagement=2.17e304,
        mql=False,
        computed_at=timezone.now(),
    )

    result = evaluate_contacts(Actor.system(workspace, Source.SYSTEM))
    assert (result.scored, result.promoted) == (1, 1)
    # Each number is clamped into its bounds: two fit rules of 10,000, two form fills of 10,000.
    stored = ContactScore.objects.for_workspace(workspace).get(contact=contact)
    assert (stored.fit, stored.engagement, stored.mql) == (20_000.0, 20_000.0, True)

    response = api.client.get(f"/api/v1/contacts/{contact.pk}/score", headers=api._headers())
    assert response.status_code == 200
    body = strict_json(response.content)
    assert (body["fit"], body["engagement"]) == (20_000.0, 20_000.0)
    assert [(r["rule_id"], r["points"], r["raw_points"]) for r in body["rules"]] == [
        ("no-title", 10_000.0, 10_000.0),
        ("no-country", 10_000.0, 10_000.0),
        ("forms", 20_000.0, 20_000.0),
    ]
    page = admin_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "fit <strong>20000</strong> · engagement <strong>20000.0</strong>" in page
    # The version's page says it is scored clamped, and why.
    detail = admin_client.get(f"/definitions/{version.pk}/").content.decode()
    assert 'id="out-of-bounds"' in detail
    assert "document.fit_rules.0.points" in detail
    assert "+10000 points" in detail


def test_an_approved_unbounded_version_cannot_become_active(
    api: Api, managers: tuple[Api, Api], workspace: Any
) -> None:
    definition_id = approved(api, managers)
    definition = LeadDefinition.objects.for_workspace(workspace).get(pk=definition_id)
    stored_before_the_bounds(definition, UNBOUNDED)
    reply = api.post(f"/definitions/{definition_id}/activate")
    assert reply.status == 400
    assert reply.error["message"] == (
        "v1 cannot become active: its lead definition is no longer valid; nothing was changed. "
        "Create a new draft that fixes it."
    )
    assert "document.fit_rules.0.points" in reply.fields
    definition.refresh_from_db()
    assert definition.status == DefinitionStatus.APPROVED
    assert "definition.activated" not in actions(workspace, "definition.")
    assert RescoreJob.objects.for_workspace(workspace).count() == 0


# 3. Repeated and out-of-order steps ------------------------------------------------------------
def test_activating_the_active_version_again_says_so(
    api: Api, managers: tuple[Api, Api], workspace: Any
) -> None:
    definition_id = approved(api, managers)
    assert api.post(f"/definitions/{definition_id}/activate").status == 200
    jobs = RescoreJob.objects.for_workspace(workspace).count()
    again = api.post(f"/definitions/{definition_id}/activate")
    assert (again.status, again.error["code"], again.error["message"]) == (
        409,
        "conflict",
        "v1 is already active.",
    )
    assert actions(workspace, "definition.activated") == ["definition.activated"]
    assert RescoreJob.objects.for_workspace(workspace).count() == jobs


def test_activating_a_retired_version_points_to_rollback(
    api: Api, managers: tuple[Api, Api], workspace: Any
) -> None:
    v1 = approved(api, managers)
    api.post(f"/definitions/{v1}/activate")
    v2 = approved(api, managers, sample_document(half_life_days=30))
    api.post(f"/definitions/{v2}/activate")
    reply = api.post(f"/definitions/{v1}/activate")
    assert (reply.status, reply.error["message"]) == (
        409,
        "v1 is retired; roll back to it to propose it again as a new version.",
    )
    statuses = dict(
        LeadDefinition.objects.for_workspace(workspace).values_list("version", "status")
    )
    assert statuses == {1: "retired", 2: "active"}


def test_repeated_and_out_of_order_steps_say_what_is_true(
    api: Api, managers: tuple[Api, Api], workspace: Any
) -> None:
    marketing, _sales = managers
    draft = api.post("/definitions", {"document": sample_document()}).body["id"]
    early = marketing.post(f"/definitions/{draft}/approve")
    assert (early.status, early.error["message"]) == (
        409,
        "Only a proposed version can be approved; v1 is a draft.",
    )
    activate_draft = api.post(f"/definitions/{draft}/activate")
    assert (activate_draft.status, activate_draft.error["message"]) == (
        409,
        "v1 needs a marketing and a sales manager's approval before it can become active "
        "(missing approval: marketing, sales).",
    )
    rollback_draft = api.post(f"/definitions/{draft}/rollback", {})
    assert (rollback_draft.status, rollback_draft.error["message"]) == (
        409,
        "A draft was never published; propose it instead of rolling back to it.",
    )
    assert api.post(f"/definitions/{draft}/propose").status == 200
    twice = api.post(f"/definitions/{draft}/propose")
    assert (twice.status, twice.error["message"]) == (409, "v1 is already proposed.")
    assert marketing.post(f"/definitions/{draft}/approve").status == 200
    again = marketing.post(f"/definitions/{draft}/approve")
    assert (again.status, again.error["message"]) == (
        409,
        "The marketing side has already approved v1.",
    )
    assert actions(workspace, "definition.") == [
        "definition.draft_created",
        "definition.proposed",
        "definition.approved",
    ]
    assert LeadDefinition.objects.for_workspace(workspace).count() == 1


def test_steps_after_activation_say_what_is_true(
    api: Api, managers: tuple[Api, Api], workspace: Any
) -> None:
    marketing, _sales = managers
    definition_id = approved(api, managers)
    api.post(f"/definitions/{definition_id}/activate")
    propose = api.post(f"/definitions/{definition_id}/propose")
    assert (propose.status, propose.error["message"]) == (
        409,
        "Only a draft can be proposed; v1 is active.",
    )
    approve = marketing.post(f"/definitions/{definition_id}/approve")
    assert (approve.status, approve.error["message"]) == (
        409,
        "Only a proposed version can be approved; v1 is active.",
    )


def test_the_page_says_an_active_version_is_already_active(
    admin_client: Client, workspace: Any
) -> None:
    version = active_version(workspace)
    page = admin_client.post(f"/definitions/{version.pk}/activate/", follow=True)
    text = page.content.decode()
    assert "v1 is already active." in text
    assert "needs a marketing and a sales manager" not in text
