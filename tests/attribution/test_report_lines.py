"""The report per channel, campaign and content: spend from the metrics layer, ROI and ROAS
per channel and per campaign, the campaign's marketer, marketing-sourced against -influenced
amounts, the time-decay half-life, and every model side by side from one read."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest

from accord.attribution.report import DATA_DRIVEN, attribution_report, attribution_reports
from accord.attribution.rules import MODELS
from accord.crm.selectors import pipeline_stages
from accord.crm.services import contacts, deals
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.marketing.models import Campaign, CampaignCost, Touchpoint

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
START, END = T0, T0 + dt.timedelta(days=60)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def world(workspace: Workspace, actor: Actor, member_factory: Any) -> dict[str, Any]:
    """Two won deals: Ana's ($1,000, sourced by the webinar: webinar → email) and Ben's ($3,000,
    source outbound: one email). The webinar campaign cost $200 in the period, the email one
    $400 (and $999 the year before, outside it)."""
    maya = member_factory("marketer", email="maya@acme.example").user
    webinar = Campaign.objects.create(workspace=workspace, name="Masterclass", channel="webinar",
                                      currency="USD", owner=maya)  # fmt: skip
    email = Campaign.objects.create(workspace=workspace, name="Nurture", channel="email",
                                    currency="USD")  # fmt: skip
    for campaign, amount, on in ((webinar, "200.00", day(3)), (email, "400.00", day(4)),
                                 (email, "999.00", day(-400))):  # fmt: skip
        CampaignCost.objects.create(workspace=workspace, campaign=campaign, amount=amount,
                                    currency="USD", date=on.date())  # fmt: skip
    won = {s.key: s for s in pipeline_stages(workspace)}["closed_won"]
    people = {}
    for name, touches, amount, source in (
        ("ana", [("webinar", webinar, "webinar-a", 1), ("email", email, "guide", 5)], "1000.00",
         "webinar"),
        ("ben", [("email", email, "guide", 6)], "3000.00", "outbound"),
    ):  # fmt: skip
        pk = contacts.contact_create(actor=actor, values={"email": f"{name}@x.example",
                                                          "created_at": day(0)}).pk  # fmt: skip
        for channel, campaign, content, at in touches:
            Touchpoint.objects.create(workspace=workspace, contact_id=pk, channel=channel,
                                      campaign=campaign, utm_content=content,
                                      type="form_submit", occurred_at=day(at))  # fmt: skip
        deals.deal_create(actor=actor, values={
            "name": name, "amount": amount, "stage_id": won.pk, "primary_contact_id": pk,
            "source": source, "created_at": day(10), "closed_at": day(12)})  # fmt: skip
        people[name] = pk
    return {"webinar": webinar, "email": email, "maya": maya, **people}


def test_cost_roi_and_roas_per_channel_and_campaign(
    workspace: Workspace, world: dict[str, Any]
) -> None:
    report = attribution_report(workspace, model="linear", start=START, end=END)
    channels = {line.key: line for line in report.by_channel}
    # Linear: Ana's $1,000 half each; Ben's $3,000 all email.
    assert (channels["email"].credit, channels["webinar"].credit) == (Decimal(3500), Decimal(500))
    assert (channels["email"].cost, channels["webinar"].cost) == (Decimal(400), Decimal(200))
    assert channels["email"].roi == pytest.approx((3500 - 400) / 400)
    assert channels["webinar"].roas == pytest.approx(500 / 200)
    campaigns = {line.label: line for line in report.by_campaign}
    assert campaigns["Masterclass"].owner == world["maya"].display_name
    assert campaigns["Masterclass"].channel == "webinar" and campaigns["Nurture"].owner == ""
    assert campaigns["Nurture"].cost == Decimal(400) and campaigns["Nurture"].roas == 3500 / 400
    assert report.by_campaign[0].label == "Nurture"  # largest credit first
    contents = {line.key: (line.credit, line.deals) for line in report.by_content}
    assert contents == {"guide": (Decimal(3500), 2), "webinar-a": (Decimal(500), 1)}
    # Sourced: the deal's source is a marketing channel; influenced: a marketing touch.
    assert (report.sourced_deals, report.sourced_amount) == (1, Decimal(1000))
    assert (report.influenced_deals, report.influenced_amount) == (2, Decimal(4000))
    assert (channels["webinar"].sourced, channels["email"].sourced) == (Decimal(1000), 0)
    assert channels["email"].influenced == Decimal(4000) and channels["email"].deals == 2
    assert report.marketing_credit == report.total == Decimal(4000)


def test_a_campaign_or_channel_with_spend_and_no_credit_shows_its_loss(
    workspace: Workspace, world: dict[str, Any]
) -> None:
    event = Campaign.objects.create(workspace=workspace, name="Booth", channel="event",
                                    currency="USD")  # fmt: skip
    CampaignCost.objects.create(workspace=workspace, campaign=event, amount="5000.00",
                                currency="USD", date=day(2).date())  # fmt: skip
    report = attribution_report(workspace, model="first_touch", start=START, end=END)
    booth = {line.label: line for line in report.by_campaign}["Booth"]
    assert (booth.credit, booth.cost, booth.roi, booth.deals) == (0, Decimal(5000), -1.0, 0)
    assert {line.key: line.roi for line in report.by_channel}["event"] == -1.0
    # The ROI ranking puts channels with spend first by return.
    assert [line.key for line in report.roi_ranking] == ["email", "webinar", "event"]


def test_the_half_life_shapes_time_decay(workspace: Workspace, world: dict[str, Any]) -> None:
    def webinar_share(half_life: float) -> Decimal:
        report = attribution_report(workspace, model="time_decay", start=START, end=END,
                                    half_life_days=half_life)  # fmt: skip
        return {line.key: line.credit for line in report.by_channel}["webinar"]

    # Ana's webinar came 4 days before her email: weight 2^(-4/h) against 1.
    for half_life in (1.0, 4.0, 7.0, 28.0):
        weight = 2 ** (-4 / half_life)
        expected = (Decimal(1000) * Decimal(weight / (1 + weight))).quantize(Decimal("0.01"))
        assert abs(webinar_share(half_life) - expected) <= Decimal("0.01")
    assert "halves every 28 days" in attribution_report(
        workspace, model="time_decay", start=START, end=END, half_life_days=28).assumes  # fmt: skip
    with pytest.raises(ValueError, match="half-life"):
        attribution_report(workspace, model="time_decay", start=START, end=END, half_life_days=0)


def test_every_model_side_by_side_is_each_model_alone(
    workspace: Workspace, world: dict[str, Any]
) -> None:
    every = [*MODELS, *DATA_DRIVEN]
    together = attribution_reports(workspace, models=every, start=START, end=END)
    assert [r.model for r in together] == every
    for report in together:
        alone = attribution_report(workspace, model=report.model, start=START, end=END)
        assert report == alone, report.model
        credited = sum((line.credit for line in report.by_channel), Decimal(0))
        assert credited + report.no_touch_amount == report.total, report.model
    with pytest.raises(ValueError, match="unknown model"):
        attribution_reports(workspace, models=["linear", "nope"], start=START, end=END)


def test_a_data_driven_fit_says_what_it_rests_on_and_a_sampled_shapley_its_error(
    workspace: Workspace, world: dict[str, Any], actor: Actor
) -> None:
    from accord.attribution.report import data_driven_shares

    cy = contacts.contact_create(actor=actor, values={"email": "cy@x.example",
                                                      "created_at": day(1)}).pk  # fmt: skip
    Touchpoint.objects.create(workspace=workspace, contact_id=cy, channel="event",
                              type="form_submit", occurred_at=day(2))  # fmt: skip
    markov = attribution_report(workspace, model="markov", start=START, end=END, markov_order=2)
    assert markov.fit_note.startswith("Fitted on 3 journeys (2 converted)")
    assert "order 2, solved exactly" in markov.fit_note and markov.markov_order == 2
    exact = attribution_report(workspace, model="shapley", start=START, end=END)
    assert "exact over every coalition of the 3 channels" in exact.fit_note
    assert attribution_report(workspace, model="linear", start=START, end=END).fit_note == ""
    with pytest.raises(ValueError, match="order is 1, 2 or 3"):
        attribution_report(workspace, model="markov", start=START, end=END, markov_order=4)
    # Seventeen channels: more than the exact method takes, so the value is sampled.
    names = [f"c{i:02}" for i in range(17)]
    paths = [((a, b), 1 + i % 3, 2) for i, (a, b) in enumerate(itertools.pairwise(names))]
    described: list[str] = []
    shares = data_driven_shares(workspace, model="shapley", start=START, end=END,
                                found=paths, described=described)  # fmt: skip
    assert isinstance(shares, dict) and sum(shares.values()) == pytest.approx(1.0)
    assert "sampled over" in described[0] and "orders of the 17 channels" in described[0]
    assert "each share within ±" in described[0]
