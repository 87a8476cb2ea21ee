"""One deal's journey explained: its touches in order with the milestones marked (first touch,
lead created, MQL, opportunity created, close) and each touch's credit under the workspace's
model — what the deal page shows, so that anyone can check how a number came about."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from accord.attribution.journeys import Milestone, deal_journeys
from accord.attribution.models import AttributionModel
from accord.attribution.report import DATA_DRIVEN, assumes, data_driven_shares, deal_credit
from accord.attribution.services import settings_for
from accord.crm.models import Deal
from accord.identity.models import Workspace
from accord.marketing.models import Campaign


@dataclass(frozen=True)
class ExplainedTouch:
    at: dt.datetime
    channel: str
    campaign_id: int | None
    campaign: str
    content: str
    milestones: tuple[str, ...]
    credit: Decimal | None  # None when the model could not be fitted


@dataclass
class DealExplanation:
    model: str
    assumes: str
    milestone: Milestone  # "close" for a won deal (revenue), else "opportunity" (pipeline)
    amount: Decimal
    currency: str
    lookback_days: int
    touches: list[ExplainedTouch] = field(default_factory=list)
    note: str = ""


def explain_deal(workspace: Workspace, deal: Deal | int) -> DealExplanation:
    """The deal (or its id) of the workspace, explained."""
    chosen = settings_for(workspace)
    if isinstance(deal, int):
        deal = Deal.objects.for_workspace(workspace).get(pk=deal)
    deal_id = deal.pk
    won = deal.status == "won" and deal.closed_at is not None
    milestone: Milestone = "close" if won else "opportunity"
    found = deal_journeys(
        workspace.pk, start=dt.datetime.min.replace(tzinfo=dt.UTC),
        end=dt.datetime.max.replace(tzinfo=dt.UTC), milestone=milestone,
        lookback_days=chosen.lookback_days, include_activities=chosen.include_activities,
        deal_ids=[deal_id],
    )  # fmt: skip
    explained = DealExplanation(
        chosen.model, assumes(chosen.model, chosen.half_life_days), milestone, deal.amount,
        deal.currency, chosen.lookback_days,
    )  # fmt: skip
    journey = found.journeys[0] if found.journeys else None
    if journey is None or journey.journey is None:
        explained.note = "No marketing touch in the look-back window before the " + (
            "close." if won else "opportunity's creation."
        )
        return explained
    shares: dict[str, float] | str | None = None
    moment = deal.closed_at if won and deal.closed_at else deal.created_at
    if chosen.model in DATA_DRIVEN:
        since = moment - dt.timedelta(days=chosen.lookback_days)
        shares = data_driven_shares(workspace, model=chosen.model, start=since, end=moment)
        if isinstance(shares, str):
            label = AttributionModel(chosen.model).label
            explained.note = f"The {label} model could not be fitted: {shares}."
    parts = deal_credit(chosen.model, journey.journey, journey.amount, shares,
                        chosen.half_life_days)  # fmt: skip
    campaign_ids = [c for c in journey.campaign_ids if c]
    names = (
        dict(
            Campaign.objects.for_workspace(workspace)
            .filter(pk__in=campaign_ids)
            .values_list("pk", "name")
        )
        if campaign_ids
        else {}
    )
    j = journey.journey
    marks = {0: ["first touch"]}
    last = len(j.touches) - 1
    for name, index in (("lead created", j.lead_index), ("MQL", j.mql_index),
                        ("opportunity created", j.opportunity_index),
                        ("close", last if won else None)):  # fmt: skip
        if index is not None:
            marks.setdefault(index, []).append(name)
    for i, (touch, campaign, content) in enumerate(
        zip(j.touches, journey.campaign_ids, journey.contents, strict=True)
    ):
        explained.touches.append(ExplainedTouch(
            dt.datetime.fromtimestamp(touch.at, dt.UTC), touch.channel, campaign,
            names.get(campaign, "") if campaign else "", content, tuple(marks.get(i, ())),
            parts[i] if parts is not None else None,
        ))  # fmt: skip
    return explained
