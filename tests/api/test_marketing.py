"""Campaigns, cost entries and touchpoints through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accord.crm.tests.factories import ContactFactory
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from accord.marketing.tests.factories import CampaignFactory, TouchpointFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def campaign_count(workspace: Any) -> int:
    return Campaign.objects.for_workspace(workspace).count()


def test_campaign_crud(api: Api, workspace: Any) -> None:
    reply = api.post(
        "/campaigns",
        {
            "name": "Spring webinar",
            "channel": "Webinar",
            "type": "webinar",
            "start_date": "2026-04-01",
            "end_date": "2026-04-30",
            "budget": "2500",
        },
    )
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["channel"] == "webinar"
    assert body["budget"] == "2500.00"
    assert body["currency"] == "USD"
    assert (body["start_date"], body["end_date"]) == ("2026-04-01", "2026-04-30")
    pk = body["id"]

    assert api.get(f"/campaigns/{pk}").body["name"] == "Spring webinar"
    patched = api.patch(f"/campaigns/{pk}", {"budget": 3000, "currency": "gbp"})
    assert patched.status == 200
    assert (patched.body["budget"], patched.body["currency"]) == ("3000.00", "GBP")
    assert api.delete(f"/campaigns/{pk}").status == 204
    assert campaign_count(workspace) == 0


def test_campaign_custom_fields_round_trip(api: Api, workspace: Any) -> None:
    reply = api.post(
        "/campaigns",
        {"name": "Q3 webinar", "channel": "webinar", "custom_fields": {"Status": "Planned"}},
    )
    assert reply.status == 201, reply.body
    pk = reply.body["id"]
    assert reply.body["custom_fields"] == {"Status": "Planned"}
    assert api.get(f"/campaigns/{pk}").body["custom_fields"] == {"Status": "Planned"}
    listed = api.get("/campaigns").body["results"]
    assert [row["custom_fields"] for row in listed] == [{"Status": "Planned"}]
    patched = api.patch(f"/campaigns/{pk}", {"custom_fields": {"Status": "Done", "Sent": 900}})
    assert patched.status == 200, patched.body
    assert patched.body["custom_fields"] == {"Status": "Done", "Sent": 900}
    assert Campaign.objects.for_workspace(workspace).get(pk=pk).custom_fields == {
        "Status": "Done",
        "Sent": 900,
    }
    assert api.patch(f"/campaigns/{pk}", {"budget": 10}).body["custom_fields"] == {
        "Status": "Done",
        "Sent": 900,
    }  # not sent: kept
    bad = api.patch(f"/campaigns/{pk}", {"custom_fields": "[1]"})
    assert bad.status == 400, bad.body
    assert list(bad.fields) == ["custom_fields"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"budget": -100}, "budget"),
        ({"currency": "DOLLARS"}, "currency"),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date"),
        ({"start_date": "May first"}, "start_date"),
        ({"channel": None}, "channel"),
    ],
)
def test_campaign_bad_input(api: Api, workspace: Any, values: dict[str, Any], field: str) -> None:
    reply = api.post("/campaigns", {"name": "C", "channel": "email", **values})
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    assert campaign_count(workspace) == 0


def test_duplicate_campaign_name(api: Api, workspace: Any) -> None:
    CampaignFactory(workspace=workspace, name="Launch")
    reply = api.post("/campaigns", {"name": "Launch", "channel": "email"})
    assert reply.status == 400
    assert reply.fields == {"name": ["A campaign named 'Launch' exists already."]}
    assert campaign_count(workspace) == 1


def test_campaign_filters(api: Api, workspace: Any) -> None:
    running = CampaignFactory(
        workspace=workspace,
        name="Running",
        channel="email",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    CampaignFactory(workspace=workspace, name="Search ads", channel="paid_search")

    def ids(**params: Any) -> set[int]:
        reply = api.get("/campaigns", **params)
        assert reply.status == 200, reply.body
        return {row["id"] for row in reply.body["results"]}

    assert ids(channel="email") == {running.pk}
    assert ids(active_on="2026-06-01") == {running.pk}
    assert ids(q="runn") == {running.pk}
    assert len(ids()) == 2
    names = [r["name"] for r in api.get("/campaigns", ordering="name").body["results"]]
    assert names == ["Running", "Search ads"]


def test_costs(api: Api, workspace: Any) -> None:
    campaign = CampaignFactory(workspace=workspace, currency="EUR")
    later = api.post(f"/campaigns/{campaign.pk}/costs", {"date": "2026-02-01", "amount": "20.5"})
    assert later.status == 201, later.body
    assert later.body["amount"] == "20.50"
    assert later.body["currency"] == "EUR"  # the campaign's
    assert later.body["campaign_id"] == campaign.pk
    earlier = api.post(
        f"/campaigns/{campaign.pk}/costs",
        {"date": "2026-01-15", "amount": 100, "currency": "usd", "note": "Sponsorship"},
    )
    assert earlier.status == 201

    listed = api.get(f"/campaigns/{campaign.pk}/costs")
    assert listed.status == 200
    assert [r["date"] for r in listed.body["results"]] == ["2026-01-15", "2026-02-01"]
    assert listed.body["next_cursor"] is None
    stored = CampaignCost.objects.for_workspace(workspace).filter(campaign=campaign)
    assert sorted(c.amount for c in stored) == [Decimal("20.50"), Decimal("100.00")]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"date": "2026-01-01", "amount": -3}, "amount"),
        ({"date": "2026-01-01", "amount": "3", "currency": "EU"}, "currency"),
        ({"amount": "3"}, "date"),
        ({"date": "2026-01-01"}, "amount"),
        ({"date": "2026-01-01", "amount": "three"}, "amount"),
    ],
)
def test_cost_bad_input(api: Api, workspace: Any, values: dict[str, Any], field: str) -> None:
    campaign = CampaignFactory(workspace=workspace)
    reply = api.post(f"/campaigns/{campaign.pk}/costs", values)
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    assert CampaignCost.objects.for_workspace(workspace).count() == 0


def test_costs_of_a_missing_campaign_are_404(api: Api) -> None:
    assert api.get("/campaigns/999/costs").status == 404
    reply = api.post("/campaigns/999/costs", {"date": "2026-01-01", "amount": 1})
    assert reply.status == 404


def test_touchpoint_crud(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace)
    campaign = CampaignFactory(workspace=workspace, name="Retargeting", channel="paid_social")
    reply = api.post(
        "/touchpoints",
        {
            "contact_id": contact.pk,
            "campaign_id": campaign.pk,
            "type": "ad_click",
            "utm_source": "linkedin",
            "occurred_at": "2026-02-02T10:00:00+01:00",
        },
    )
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["channel"] == "paid_social"  # taken from the campaign
    assert body["campaign_name"] == "Retargeting"
    assert body["occurred_at"] == "2026-02-02T09:00:00Z"
    pk = body["id"]
    assert api.get(f"/touchpoints/{pk}").body["utm_source"] == "linkedin"
    patched = api.patch(f"/touchpoints/{pk}", {"type": "form_fill", "landing_page": "/demo"})
    assert patched.status == 200
    assert (patched.body["type"], patched.body["landing_page"]) == ("form_fill", "/demo")
    assert api.delete(f"/touchpoints/{pk}").status == 204
    assert Touchpoint.objects.for_workspace(workspace).count() == 0


def test_touchpoint_custom_fields_round_trip(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace)
    reply = api.post(
        "/touchpoints",
        {
            "contact_id": contact.pk,
            "channel": "webinar",
            "type": "webinar",
            "custom_fields": {"Minutes watched": 42, "Questions": ["pricing", "SSO"]},
        },
    )
    assert reply.status == 201, reply.body
    pk = reply.body["id"]
    custom = {"Minutes watched": 42, "Questions": ["pricing", "SSO"]}
    assert reply.body["custom_fields"] == custom
    assert api.get(f"/touchpoints/{pk}").body["custom_fields"] == custom
    listed = api.get("/touchpoints").body["results"]
    assert [row["custom_fields"] for row in listed] == [custom]
    patched = api.patch(f"/touchpoints/{pk}", {"custom_fields": {}})
    assert patched.status == 200, patched.body
    assert patched.body["custom_fields"] == {}
    assert Touchpoint.objects.for_workspace(workspace).get(pk=pk).custom_fields == {}
    bad = api.post(
        "/touchpoints",
        {"contact_id": contact.pk, "channel": "email", "type": "email_open", "custom_fields": 7},
    )
    assert bad.status == 400, bad.body
    assert list(bad.fields) == ["custom_fields"]
    assert Touchpoint.objects.for_workspace(workspace).count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"type": "ad_click"}, "channel"),
        ({"type": "smoke_signal", "channel": "email"}, "type"),
        ({"channel": "email"}, "type"),
        ({"type": "ad_click", "channel": "email", "contact_id": None}, "contact_id"),
        ({"type": "ad_click", "channel": "email", "occurred_at": 12.5e99}, "occurred_at"),
    ],
)
def test_touchpoint_bad_input(api: Api, workspace: Any, values: dict[str, Any], field: str) -> None:
    contact = ContactFactory(workspace=workspace)
    reply = api.post("/touchpoints", {"contact_id": contact.pk, **values})
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    assert Touchpoint.objects.for_workspace(workspace).count() == 0


def test_touchpoint_filters(api: Api, workspace: Any) -> None:
    now = timezone.now()
    campaign = CampaignFactory(workspace=workspace)
    ann = ContactFactory(workspace=workspace)
    a = TouchpointFactory(workspace=workspace, contact=ann, campaign=campaign, occurred_at=now)
    b = TouchpointFactory(
        workspace=workspace,
        channel="email",
        type="email_click",
        occurred_at=now - dt.timedelta(days=2),
    )

    def ids(**params: Any) -> list[int]:
        reply = api.get("/touchpoints", **params)
        assert reply.status == 200, reply.body
        return [row["id"] for row in reply.body["results"]]

    assert ids() == [a.pk, b.pk]
    assert ids(ordering="occurred_at") == [b.pk, a.pk]
    assert ids(contact_id=ann.pk) == [a.pk]
    assert ids(campaign_id=campaign.pk) == [a.pk]
    assert ids(channel="email") == [b.pk]
    assert ids(type="email_click") == [b.pk]
    assert ids(after=(now - dt.timedelta(days=1)).isoformat()) == [a.pk]
