"""The definitions API: round trips, field-precise errors, two-sided approval, score explanation."""

from __future__ import annotations

from typing import Any

import pytest

from accord.crm.models import LedgerEntry
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.definitions.models import DefinitionApproval, LeadDefinition
from accord.definitions.tests.factories import active_version, sample_document, team_member
from accord.identity.models import Role, TeamKind
from accord.marketing.models import TouchpointType
from accord.marketing.tests.factories import TouchpointFactory
from tests.api.conftest import Api, make_token

pytestmark = pytest.mark.django_db


def member_api(workspace: Any, role: str, kind: str | None, email: str) -> Api:
    return Api(make_token(team_member(workspace, role, kind, email))[1])


@pytest.fixture
def managers(workspace: Any) -> tuple[Api, Api]:
    return (
        member_api(workspace, Role.MANAGER, TeamKind.MARKETING, "mm@acme.example"),
        member_api(workspace, Role.MANAGER, TeamKind.SALES, "sm@acme.example"),
    )


def proposed(api: Api) -> int:
    created = api.post("/definitions", {"document": sample_document(), "comment": "first"})
    assert created.status == 201, created.body
    reply = api.post(f"/definitions/{created.body['id']}/propose")
    assert reply.status == 200, reply.body
    return int(created.body["id"])


def test_create_get_patch_round_trip(api: Api, workspace: Any) -> None:
    created = api.post("/definitions", {"document": sample_document(), "comment": "first"})
    assert created.status == 201
    body = created.body
    assert (body["version"], body["status"], body["comment"], body["diff"]) == (
        1,
        "draft",
        "first",
        ["First version."],
    )
    assert body["approvals"] == []
    assert body["document"]["fit_rules"][0]["id"] == "senior"
    stricter = sample_document(mql={"fit_min": 30, "engagement_min": 10})
    patched = api.patch(f"/definitions/{body['id']}", {"document": stricter})
    assert patched.status == 200
    assert patched.body["document"]["mql"]["fit_min"] == 30.0
    got = api.get(f"/definitions/{body['id']}")
    assert (got.status, got.body["document"]["mql"]["fit_min"]) == (200, 30.0)
    listed = api.get("/definitions")
    assert [row["version"] for row in listed.body["results"]] == [1]


def test_bad_document_is_a_field_error_and_writes_nothing(api: Api, workspace: Any) -> None:
    bad = sample_document(
        fit_rules=[
            {"id": "t", "attribute": "title", "operator": "regex", "value": "(", "points": 1}
        ]
    )
    reply = api.post("/definitions", {"document": bad})
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert list(reply.fields) == ["document.fit_rules.0.value"]
    assert reply.fields["document.fit_rules.0.value"][0].startswith("invalid regular expression")
    assert LeadDefinition.objects.for_workspace(workspace).count() == 0


def test_proposed_versions_are_immutable(api: Api, workspace: Any) -> None:
    definition_id = proposed(api)
    reply = api.patch(f"/definitions/{definition_id}", {"comment": "changed"})
    assert reply.status == 409
    assert reply.error["code"] == "conflict"
    assert LeadDefinition.objects.for_workspace(workspace).get().comment == "first"


def test_one_teams_approval_is_not_enough(api: Api, managers: tuple[Api, Api]) -> None:
    definition_id = proposed(api)
    marketing, sales = managers
    first = marketing.post(f"/definitions/{definition_id}/approve")
    assert (first.status, first.body["status"]) == (200, "proposed")
    assert [a["team_kind"] for a in first.body["approvals"]] == ["marketing"]
    early = api.post(f"/definitions/{definition_id}/activate")
    assert early.status == 409
    assert "missing approval: sales" in early.error["message"]
    second = sales.post(f"/definitions/{definition_id}/approve")
    assert (second.status, second.body["status"]) == (200, "approved")
    active = api.post(f"/definitions/{definition_id}/activate")
    assert (active.status, active.body["status"]) == (200, "active")


@pytest.mark.parametrize(
    ("role", "kind"),
    [(Role.MARKETER, TeamKind.MARKETING), (Role.SALES_REP, TeamKind.SALES), (Role.ADMIN, None)],
)
def test_others_get_403(api: Api, workspace: Any, role: str, kind: str | None) -> None:
    definition_id = proposed(api)
    reply = member_api(workspace, role, kind, "x@acme.example").post(
        f"/definitions/{definition_id}/approve"
    )
    assert reply.status == 403
    assert reply.error["code"] == "permission_denied"
    assert DefinitionApproval.objects.for_workspace(workspace).count() == 0


def test_another_workspaces_manager_gets_404(
    api: Api, workspace: Any, other_workspace: Any
) -> None:
    definition_id = proposed(api)
    foreign = member_api(other_workspace, Role.MANAGER, TeamKind.MARKETING, "mm@other.example")
    reply = foreign.post(f"/definitions/{definition_id}/approve")
    assert reply.status == 404
    assert DefinitionApproval.objects.for_workspace(workspace).count() == 0


def test_a_viewer_cannot_create(api_as: Any, workspace: Any) -> None:
    reply = api_as(Role.VIEWER).post("/definitions", {"document": sample_document()})
    assert reply.status == 403
    assert LeadDefinition.objects.for_workspace(workspace).count() == 0


def test_rollback_creates_a_proposed_version(api: Api, workspace: Any) -> None:
    v1 = active_version(workspace)
    reply = api.post(f"/definitions/{v1.pk}/rollback", {"comment": "back"})
    assert reply.status == 201
    assert (reply.body["version"], reply.body["status"], reply.body["comment"]) == (
        2,
        "proposed",
        "back",
    )
    assert reply.body["diff"] == ["No changes."]


def test_contact_score_explanation(api: Api, workspace: Any) -> None:
    company = CompanyFactory(workspace=workspace, employee_count=200)
    contact = ContactFactory(workspace=workspace, seniority="vp", company=company)
    TouchpointFactory(workspace=workspace, contact=contact, type=TouchpointType.FORM_FILL)
    missing = api.get(f"/contacts/{contact.pk}/score")
    assert missing.status == 404
    active_version(workspace)
    reply = api.get(f"/contacts/{contact.pk}/score")
    assert reply.status == 200
    body = reply.body
    assert (body["definition_version"], body["fit"], body["grade"], body["engagement"]) == (
        "v1",
        30.0,
        "A",
        10.0,
    )
    assert body["mql"] is True
    assert [(r["rule_id"], r["section"], r["points"]) for r in body["rules"]] == [
        ("senior", "fit", 20.0),
        ("size", "fit", 10.0),
        ("forms", "engagement", 10.0),
    ]
    assert api.get("/contacts/999999/score").status == 404
    assert LedgerEntry.objects.for_workspace(workspace).filter(source="rule").count() == 0
