"""Workspaces are sealed: another workspace's records do not exist for the caller (404), and its
ids cannot be referenced (400, a field error), whatever the endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from accord.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    LedgerEntry,
    Pipeline,
    PipelineStage,
)
from accord.crm.tests.factories import ActivityFactory, CompanyFactory, ContactFactory
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from accord.marketing.tests.factories import CampaignFactory, TouchpointFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@dataclass
class Foreign:
    """Records of the other workspace."""

    company: Company
    contact: Contact
    deal: Deal
    activity: Activity
    campaign: Campaign
    touchpoint: Touchpoint
    pipeline: Pipeline
    stage: PipelineStage
    owner_id: int


@pytest.fixture
def foreign(other_workspace: Any, other_api: Api, member_factory: Any) -> Foreign:
    owner = member_factory("sales_rep", ws=other_workspace)
    company = CompanyFactory(workspace=other_workspace, name="Theirs")
    contact = ContactFactory(workspace=other_workspace, company=company, lifecycle_stage="lead")
    deal_id = other_api.post("/deals", {"name": "Their deal", "amount": "10"}).body["id"]
    campaign = CampaignFactory(workspace=other_workspace)
    other_api.post(f"/campaigns/{campaign.pk}/costs", {"date": "2026-01-01", "amount": 5})
    pipeline = Pipeline.objects.for_workspace(other_workspace).get()
    return Foreign(
        company=company,
        contact=contact,
        deal=Deal.objects.for_workspace(other_workspace).get(pk=deal_id),
        activity=ActivityFactory(workspace=other_workspace, contact=contact),
        campaign=campaign,
        touchpoint=TouchpointFactory(workspace=other_workspace, contact=contact),
        pipeline=pipeline,
        stage=PipelineStage.objects.for_workspace(other_workspace).filter(pipeline=pipeline)[0],
        owner_id=owner.user_id,
    )


def snapshot(ws: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Everything of a workspace that an attacker might try to change."""
    return {
        "companies": list(Company.objects.for_workspace(ws).values_list("id", "name", "industry")),
        "contacts": list(
            Contact.objects.for_workspace(ws).values_list("id", "email", "lifecycle_stage")
        ),
        "deals": list(Deal.objects.for_workspace(ws).values_list("id", "name", "amount")),
        "activities": list(Activity.objects.for_workspace(ws).values_list("id", "subject")),
        "campaigns": list(Campaign.objects.for_workspace(ws).values_list("id", "name")),
        "costs": list(CampaignCost.objects.for_workspace(ws).values_list("id", "amount")),
        "touchpoints": list(Touchpoint.objects.for_workspace(ws).values_list("id", "type")),
        "ledger": list(LedgerEntry.objects.for_workspace(ws).values_list("id", "to_stage")),
    }


def record_paths(f: Foreign) -> list[str]:
    return [
        f"/companies/{f.company.pk}",
        f"/contacts/{f.contact.pk}",
        f"/deals/{f.deal.pk}",
        f"/activities/{f.activity.pk}",
        f"/campaigns/{f.campaign.pk}",
        f"/touchpoints/{f.touchpoint.pk}",
    ]


def test_reading_another_workspaces_records_is_404(api: Api, foreign: Foreign) -> None:
    paths = [
        *record_paths(foreign),
        f"/contacts/{foreign.contact.pk}/ledger",
        f"/contacts/{foreign.contact.pk}/timeline",
        f"/campaigns/{foreign.campaign.pk}/costs",
    ]
    for path in paths:
        reply = api.get(path)
        assert reply.status == 404, path
        assert reply.error["code"] == "not_found", path


def test_changing_another_workspaces_records_is_404_and_changes_nothing(
    api: Api, foreign: Foreign, other_workspace: Any
) -> None:
    before = snapshot(other_workspace)
    patches = {
        f"/companies/{foreign.company.pk}": {"industry": "Hacked"},
        f"/contacts/{foreign.contact.pk}": {"email": "hacked@x.example"},
        f"/deals/{foreign.deal.pk}": {"amount": "0"},
        f"/activities/{foreign.activity.pk}": {"subject": "Hacked"},
        f"/campaigns/{foreign.campaign.pk}": {"name": "Hacked"},
        f"/touchpoints/{foreign.touchpoint.pk}": {"type": "bounce"},
    }
    for path, body in patches.items():
        reply = api.patch(path, body)
        assert reply.status == 404, path
    for path in record_paths(foreign):
        assert api.delete(path).status == 404, path
    lifecycle = api.post(f"/contacts/{foreign.contact.pk}/lifecycle", {"to_stage": "customer"})
    assert lifecycle.status == 404
    cost = api.post(f"/campaigns/{foreign.campaign.pk}/costs", {"date": "2026-01-02", "amount": 1})
    assert cost.status == 404
    assert snapshot(other_workspace) == before


def test_lists_never_show_another_workspace(api: Api, workspace: Any, foreign: Foreign) -> None:
    for path in ("/companies", "/contacts", "/deals", "/activities", "/campaigns", "/touchpoints"):
        reply = api.get(path)
        assert reply.status == 200
        assert reply.body["results"] == [], path
    assert api.get("/ledger").body["results"] == []
    assert api.get("/ledger", contact_id=foreign.contact.pk).body["results"] == []
    assert api.get("/contacts", company_id=foreign.company.pk).body["results"] == []
    own_pipeline = Pipeline.objects.for_workspace(workspace).get()
    assert [p["id"] for p in api.get("/pipelines").body["results"]] == [own_pipeline.pk]


def no(label: str, pk: int) -> str:
    return f"No {label} with id {pk} in this workspace."


MEMBER = "User {} is not a member of this workspace."

# (path, body, the field in error, its message), given the other workspace's records.
FOREIGN_REFERENCES: dict[str, Any] = {
    "contact.company": lambda f: (
        "/contacts",
        {"email": "x@y.example", "company_id": f.company.pk},
        "company_id",
        no("company", f.company.pk),
    ),
    "contact.owner": lambda f: (
        "/contacts",
        {"email": "x@y.example", "owner_id": f.owner_id},
        "owner_id",
        MEMBER.format(f.owner_id),
    ),
    "company.owner": lambda f: (
        "/companies",
        {"name": "N", "owner_id": f.owner_id},
        "owner_id",
        MEMBER.format(f.owner_id),
    ),
    "deal.company": lambda f: (
        "/deals",
        {"name": "D", "company_id": f.company.pk},
        "company_id",
        no("company", f.company.pk),
    ),
    "deal.contact": lambda f: (
        "/deals",
        {"name": "D", "primary_contact_id": f.contact.pk},
        "primary_contact_id",
        no("contact", f.contact.pk),
    ),
    "deal.pipeline": lambda f: (
        "/deals",
        {"name": "D", "pipeline_id": f.pipeline.pk},
        "pipeline_id",
        no("pipeline", f.pipeline.pk),
    ),
    "deal.stage": lambda f: (
        "/deals",
        {"name": "D", "stage_id": f.stage.pk},
        "stage_id",
        no("pipeline stage", f.stage.pk),
    ),
    "activity.contact": lambda f: (
        "/activities",
        {"kind": "call", "contact_id": f.contact.pk},
        "contact_id",
        no("contact", f.contact.pk),
    ),
    "activity.deal": lambda f: (
        "/activities",
        {"kind": "call", "deal_id": f.deal.pk},
        "deal_id",
        no("deal", f.deal.pk),
    ),
    "touchpoint.contact": lambda f: (
        "/touchpoints",
        {"type": "ad_click", "contact_id": f.contact.pk},
        "contact_id",
        no("contact", f.contact.pk),
    ),
}


@pytest.mark.parametrize("case", sorted(FOREIGN_REFERENCES))
def test_referencing_another_workspaces_ids_is_a_field_error(
    api: Api, workspace: Any, foreign: Foreign, case: str
) -> None:
    path, body, field, message = FOREIGN_REFERENCES[case](foreign)
    before = snapshot(workspace)
    reply = api.post(path, body)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert reply.fields == {field: [message]}
    assert snapshot(workspace) == before


def test_a_touchpoint_cannot_point_at_another_workspaces_campaign(
    api: Api, workspace: Any, foreign: Foreign
) -> None:
    mine = ContactFactory(workspace=workspace)
    reply = api.post(
        "/touchpoints",
        {"type": "ad_click", "contact_id": mine.pk, "campaign_id": foreign.campaign.pk},
    )
    assert reply.status == 400
    assert list(reply.fields) == ["campaign_id"]
    assert Touchpoint.objects.for_workspace(workspace).count() == 0


def test_patching_in_a_foreign_reference_changes_nothing(
    api: Api, workspace: Any, foreign: Foreign
) -> None:
    mine = ContactFactory(workspace=workspace, title="Keep")
    reply = api.patch(f"/contacts/{mine.pk}", {"title": "New", "company_id": foreign.company.pk})
    assert reply.status == 400
    assert reply.fields == {
        "company_id": [f"No company with id {foreign.company.pk} in this workspace."]
    }
    mine.refresh_from_db()
    assert (mine.title, mine.company_id) == ("Keep", None)
