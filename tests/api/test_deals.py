"""Deals through the API: money, pipeline stages, closing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accord.crm.models import Deal, DealStageChange, Pipeline, PipelineStage
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def count(workspace: Any) -> int:
    return Deal.objects.for_workspace(workspace).count()


def stage(workspace: Any, key: str) -> PipelineStage:
    return PipelineStage.objects.for_workspace(workspace).get(key=key)


def make_deal(api: Api, **values: Any) -> dict[str, Any]:
    reply = api.post("/deals", {"name": "Deal", **values})
    assert reply.status == 201, reply.body
    return reply.body  # type: ignore[no-any-return]


def test_create_with_defaults(api: Api, workspace: Any) -> None:
    body = make_deal(api, name="Renewal", amount=1200.5)
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    assert body["pipeline_id"] == pipeline.pk
    assert body["pipeline_name"] == "Sales pipeline"
    assert (body["stage_key"], body["stage_label"]) == ("qualification", "Qualification")
    assert body["status"] == "open"
    assert body["amount"] == "1200.50"
    assert body["currency"] == "USD"  # the workspace's default
    deal = Deal.objects.for_workspace(workspace).get(pk=body["id"])
    assert deal.amount == Decimal("1200.50")
    changes = DealStageChange.objects.for_workspace(workspace).filter(deal=deal)
    assert [(c.from_stage_id, c.to_stage_id, c.source) for c in changes] == [
        (None, deal.stage_id, "api")
    ]


def test_create_with_references(api: Api, workspace: Any, admin: Any) -> None:
    company = CompanyFactory(workspace=workspace, name="Vandelay")
    contact = ContactFactory(workspace=workspace)
    body = make_deal(
        api,
        amount="99.99",
        currency="eur",
        company_id=company.pk,
        primary_contact_id=contact.pk,
        owner_id=admin.user_id,
        expected_close_date="2030-01-31",
        source="referral",
    )
    assert body["currency"] == "EUR"
    assert body["company_name"] == "Vandelay"
    assert body["primary_contact_id"] == contact.pk
    assert body["owner_id"] == admin.user_id
    assert body["expected_close_date"] == "2030-01-31"
    assert body["source"] == "referral"


def test_moving_to_a_won_stage_closes_the_deal(api: Api, workspace: Any) -> None:
    body = make_deal(api, amount="500")
    won = stage(workspace, "closed_won")
    reply = api.patch(f"/deals/{body['id']}", {"stage_id": won.pk})
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "won"
    assert reply.body["stage_key"] == "closed_won"
    assert reply.body["closed_at"] is not None


def test_a_close_time_on_an_open_deal_is_refused(api: Api, workspace: Any) -> None:
    reply = api.post("/deals", {"name": "Open", "closed_at": "2026-01-05T10:00:00Z"})
    assert reply.status == 400, reply.body
    assert "An open deal has no close time" in str(reply.body)
    assert count(workspace) == 0
    body = make_deal(api)
    won = stage(workspace, "closed_won")
    when = "2026-01-05T10:00:00Z"
    reply = api.patch(f"/deals/{body['id']}", {"stage_id": won.pk, "closed_at": when})
    assert reply.status == 200, reply.body
    assert reply.body["closed_at"].startswith("2026-01-05T10:00:00")


def test_retrieve_and_delete(api: Api, workspace: Any) -> None:
    body = make_deal(api, name="Gone soon")
    assert api.get(f"/deals/{body['id']}").body["name"] == "Gone soon"
    assert api.delete(f"/deals/{body['id']}").status == 204
    assert count(workspace) == 0
    assert api.get(f"/deals/{body['id']}").status == 404


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": -1}, "amount", "The amount cannot be negative."),
        ({"amount": "-0.50"}, "amount", "The amount cannot be negative."),
        ({"amount": "lots"}, "amount", None),
        ({"amount": True}, "amount", None),
        (
            {"currency": "EURO"},
            "currency",
            "'EURO' is not an ISO 4217 currency code (for example EUR, USD, GBP).",
        ),
        ({"currency": "ABC"}, "currency", None),
        ({"expected_close_date": "31/01/2030"}, "expected_close_date", None),
        ({"stage_id": 999999}, "stage_id", None),
        ({"source": "telepathy"}, "source", None),
        ({"name": None}, "name", None),
        ({"amount": "1e20"}, "amount", "The amount is too large (at most 999,999,999,999.99)."),
        (
            {"amount": "12.345"},
            "amount",
            "12.345 has more than 2 decimal places; amounts are kept to the cent.",
        ),
    ],
)
def test_bad_input(
    api: Api, workspace: Any, values: dict[str, Any], field: str, message: str | None
) -> None:
    reply = api.post("/deals", {"name": "Deal", **values})
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    if message:
        assert reply.fields[field] == [message]
    assert count(workspace) == 0
    assert DealStageChange.objects.for_workspace(workspace).count() == 0


def test_stage_of_another_pipeline_is_refused(api: Api, workspace: Any) -> None:
    other = Pipeline.objects.create(workspace=workspace, name="Partners")
    foreign = PipelineStage.objects.create(
        workspace=workspace, pipeline=other, key="intro", label="Intro", position=1, probability=5
    )
    reply = api.post("/deals", {"name": "Mixed", "stage_id": foreign.pk})
    assert reply.status == 400
    assert reply.fields == {"stage_id": ["That stage is not in the deal's pipeline."]}
    assert count(workspace) == 0


def test_patch_with_a_negative_amount_changes_nothing(api: Api, workspace: Any) -> None:
    body = make_deal(api, amount="10")
    reply = api.patch(f"/deals/{body['id']}", {"amount": "-10", "name": "Renamed"})
    assert reply.status == 400
    deal = Deal.objects.for_workspace(workspace).get(pk=body["id"])
    assert (deal.amount, deal.name) == (Decimal("10.00"), "Deal")


def test_filters_and_ordering(api: Api, workspace: Any) -> None:
    small = make_deal(api, name="Small", amount="10", source="webinar")
    large = make_deal(api, name="Large", amount="1000")
    lost = make_deal(api, name="Lost", amount="100")
    api.patch(f"/deals/{lost['id']}", {"stage_id": stage(workspace, "closed_lost").pk})

    def ids(**params: Any) -> list[int]:
        reply = api.get("/deals", **params)
        assert reply.status == 200, reply.body
        return [row["id"] for row in reply.body["results"]]

    assert ids(ordering="amount") == [small["id"], lost["id"], large["id"]]
    assert ids(ordering="-amount") == [large["id"], lost["id"], small["id"]]
    assert set(ids(status="lost")) == {lost["id"]}
    assert set(ids(status="open")) == {small["id"], large["id"]}
    assert set(ids(source="webinar")) == {small["id"]}
    assert set(ids(q="larg")) == {large["id"]}
    assert set(ids(stage_id=stage(workspace, "closed_lost").pk)) == {lost["id"]}
    # closed_at is empty for open deals: they sort after the closed one either way.
    assert ids(ordering="closed_at")[0] == lost["id"]
    assert ids(ordering="-closed_at")[0] == lost["id"]
    reply = api.get("/deals", status="pending")
    assert reply.status == 400
    assert list(reply.fields) == ["status"]
