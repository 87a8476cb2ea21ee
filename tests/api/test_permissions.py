"""Roles decide what a member may write; the API answers 403 and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accord.crm.models import Activity, Company, Contact, Deal, LedgerEntry
from accord.crm.tests.factories import ActivityFactory, CompanyFactory, ContactFactory
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from accord.marketing.tests.factories import CampaignFactory, TouchpointFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def counts(ws: Any) -> tuple[int, ...]:
    return tuple(
        model.objects.for_workspace(ws).count()  # type: ignore[attr-defined]
        for model in (
            Company,
            Contact,
            Deal,
            Activity,
            Campaign,
            CampaignCost,
            Touchpoint,
            LedgerEntry,
        )
    )


def test_a_viewer_reads_but_every_write_is_403(api: Api, api_as: Any, workspace: Any) -> None:
    company = CompanyFactory(workspace=workspace, name="Fixed")
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    deal_id = api.post("/deals", {"name": "Fixed deal"}).body["id"]
    activity = ActivityFactory(workspace=workspace, contact=contact)
    campaign = CampaignFactory(workspace=workspace)
    touchpoint = TouchpointFactory(workspace=workspace, contact=contact)
    viewer = api_as("viewer")
    before = counts(workspace)

    for path in ("/companies", "/contacts", "/deals", "/activities", "/campaigns", "/ledger"):
        assert viewer.get(path).status == 200, path
    assert viewer.get("/me").body["permissions"] == ["read", "manage_own_tokens"]

    writes = [
        viewer.post("/companies", {"name": "New"}),
        viewer.patch(f"/companies/{company.pk}", {"name": "Changed"}),
        viewer.delete(f"/companies/{company.pk}"),
        viewer.post("/contacts", {"email": "new@x.example"}),
        viewer.patch(f"/contacts/{contact.pk}", {"title": "Changed"}),
        viewer.delete(f"/contacts/{contact.pk}"),
        viewer.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": "mql"}),
        viewer.post("/deals", {"name": "New"}),
        viewer.patch(f"/deals/{deal_id}", {"name": "Changed"}),
        viewer.delete(f"/deals/{deal_id}"),
        viewer.post("/activities", {"kind": "call", "contact_id": contact.pk}),
        viewer.patch(f"/activities/{activity.pk}", {"subject": "Changed"}),
        viewer.delete(f"/activities/{activity.pk}"),
        viewer.post("/campaigns", {"name": "New", "channel": "email"}),
        viewer.patch(f"/campaigns/{campaign.pk}", {"name": "Changed"}),
        viewer.delete(f"/campaigns/{campaign.pk}"),
        viewer.post(f"/campaigns/{campaign.pk}/costs", {"date": "2026-01-01", "amount": 1}),
        viewer.post("/touchpoints", {"contact_id": contact.pk, "type": "ad_click"}),
        viewer.patch(f"/touchpoints/{touchpoint.pk}", {"type": "bounce"}),
        viewer.delete(f"/touchpoints/{touchpoint.pk}"),
    ]
    for reply in writes:
        assert reply.status == 403, reply.body
        assert reply.error["code"] == "permission_denied"
        assert reply.error["message"].startswith("Your role (viewer) does not allow this action")
    assert counts(workspace) == before
    company.refresh_from_db()
    contact.refresh_from_db()
    assert (company.name, contact.title, contact.lifecycle_stage) == (
        "Fixed",
        "Head of Operations",
        "lead",
    )


def test_a_sales_rep_writes_records_but_cannot_delete_or_run_campaigns(
    api_as: Any, workspace: Any
) -> None:
    rep = api_as("sales_rep")
    contact = ContactFactory(workspace=workspace)
    assert rep.post("/companies", {"name": "Rep's"}).status == 201
    assert rep.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": "sal"}).status == 201
    delete = rep.delete(f"/contacts/{contact.pk}")
    assert delete.status == 403
    assert delete.error["message"] == (
        "Your role (sales_rep) does not allow this action (delete_records)."
    )
    assert Contact.objects.for_workspace(workspace).filter(pk=contact.pk).exists()
    campaign = rep.post("/campaigns", {"name": "Rogue", "channel": "email"})
    assert campaign.status == 403
    assert Campaign.objects.for_workspace(workspace).count() == 0


def test_a_marketer_runs_campaigns(api_as: Any, workspace: Any) -> None:
    marketer = api_as("marketer")
    reply = marketer.post("/campaigns", {"name": "Launch", "channel": "email"})
    assert reply.status == 201
    cost = marketer.post(
        f"/campaigns/{reply.body['id']}/costs", {"date": "2026-01-01", "amount": 9}
    )
    assert cost.status == 201
