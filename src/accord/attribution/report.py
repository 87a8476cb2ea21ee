"""Attributed pipeline and revenue per channel and campaign under the rule-based models, with
spend, ROI and ROAS per channel — the deals without any marketing touch, the touches after the
milestone and the deals in another currency shown, never silently dropped."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accord.attribution.journeys import Level, Milestone, deal_journeys, paths
from accord.attribution.markov import markov_attribution
from accord.attribution.rules import MODELS, Journey, attribute, credit
from accord.attribution.shapley import shapley
from accord.identity.models import Workspace
from accord.metrics.catalogue import MetricSpec, measure

ASSUMES = {
    "first_touch": "The touch that brought the buyer in did all the work.",
    "last_touch": "The touch just before the milestone did all the work.",
    "last_non_direct": "As last touch, but a direct visit is the buyer coming back, not a "
    "campaign: it only counts when nothing else happened.",
    "linear": "Every touch counts the same.",
    "u_shaped": "Bringing the buyer in and creating the lead matter most (40 % each).",
    "w_shaped": "First touch, lead creation and opportunity creation matter most (30 % each).",
    "full_path": "First touch, lead, opportunity and close matter most (22.5 % each).",
    "time_decay": "Recent touches mattered more: a touch's weight halves every 7 days.",
    "j_shaped": "The last touch matters most (60 %), the first some (20 %).",
    "inverse_j": "The first touch matters most (60 %), the last some (20 %).",
    "markov": "A channel is worth the conversions lost without it: the drop in the chance to "
    "convert when journeys through it are cut (first-order Markov chain, solved exactly).",
    "shapley": "A channel is worth its average addition to the conversion rate over every "
    "order the channels could have come in (Shapley value; journeys that did not convert "
    "count too).",
}
DATA_DRIVEN = ("markov", "shapley")


@dataclass
class Line:
    key: str  # channel, or campaign id ('' for touches without a campaign)
    credit: Decimal = Decimal("0.00")
    deals: int = 0  # deals this channel or campaign touched
    cost: Decimal | None = None

    @property
    def roi(self) -> float | None:
        """(credit - cost) / cost; None without cost."""
        return float((self.credit - self.cost) / self.cost) if self.cost else None

    @property
    def roas(self) -> float | None:
        return float(self.credit / self.cost) if self.cost else None


@dataclass
class AttributionReport:
    model: str
    assumes: str
    milestone: Milestone
    level: Level
    currency: str
    total: Decimal = Decimal("0.00")  # the amounts of the deals counted
    deals: int = 0
    by_channel: list[Line] = field(default_factory=list)
    by_campaign: list[Line] = field(default_factory=list)
    no_touch_deals: int = 0
    no_touch_amount: Decimal = Decimal("0.00")
    after_milestone: int = 0
    truncated: int = 0
    other_currency: dict[str, int] = field(default_factory=dict)  # currency -> deals left out
    unfitted: str = ""  # why a data-driven model could not be fitted


def data_driven_shares(
    workspace: Workspace, *, model: str, start: dt.datetime, end: dt.datetime, order: int = 1
) -> dict[str, float] | str:
    """Each channel's share (summing to 1) under a data-driven model, from the journeys of the
    contacts created in the period — those that converted and those that did not; or the
    reason there is none."""
    found = paths(workspace.pk, start=start, end=end)
    if not found:
        return "no contact with a marketing touch was created in the period"
    if model == "markov":
        result: Any = markov_attribution(found, order=order, value=1.0)
    elif model == "shapley":
        result = shapley(found, value=1.0, worth="rate")
    else:
        raise ValueError(f"unknown data-driven model '{model}'; choose markov or shapley")
    if not hasattr(result, "credits"):
        return str(result.reason)
    return {channel: float(share) for channel, share in result.credits.items()}


def attribution_report(
    workspace: Workspace,
    *,
    model: str,
    start: dt.datetime,
    end: dt.datetime,
    milestone: Milestone = "close",
    level: Level = "contact",
    lookback_days: int = 365,
) -> AttributionReport:
    if model not in MODELS and model not in DATA_DRIVEN:
        choices = ", ".join([*MODELS, *DATA_DRIVEN])
        raise ValueError(f"unknown model '{model}'; choose one of: {choices}")
    shares: dict[str, float] | str | None = None
    if model in DATA_DRIVEN:
        shares = data_driven_shares(workspace, model=model, start=start - dt.timedelta(
            days=lookback_days), end=end)  # fmt: skip
    found = deal_journeys(workspace.pk, start=start, end=end, milestone=milestone, level=level,
                          lookback_days=lookback_days)  # fmt: skip
    report = AttributionReport(model, ASSUMES[model], milestone, level,
                               workspace.default_currency)  # fmt: skip
    report.after_milestone, report.truncated = found.after_milestone, found.truncated
    if isinstance(shares, str):
        report.unfitted = shares
    channels: dict[str, Line] = {}
    campaigns: dict[str, Line] = {}
    for deal in found.journeys:
        if deal.currency != workspace.default_currency:
            report.other_currency[deal.currency] = report.other_currency.get(deal.currency, 0) + 1
            continue
        report.deals += 1
        report.total += deal.amount
        if deal.journey is None:
            report.no_touch_deals += 1
            report.no_touch_amount += deal.amount
            continue
        parts = _parts(model, deal.journey, deal.amount, shares)
        if parts is None:  # no data-driven model could be fitted: nothing credited
            continue
        touched: dict[str, set[str]] = defaultdict(set)
        for touch, part, campaign in zip(deal.journey.touches, parts, deal.campaign_ids,
                                         strict=True):  # fmt: skip
            key = str(campaign or "")
            channels.setdefault(touch.channel, Line(touch.channel)).credit += part
            campaigns.setdefault(key, Line(key)).credit += part
            touched["channel"].add(touch.channel)
            touched["campaign"].add(key)
        for key in touched["channel"]:
            channels[key].deals += 1
        for key in touched["campaign"]:
            campaigns[key].deals += 1
    spend = measure(workspace.pk, MetricSpec(metric="marketing_spend", start=start, end=end,
                                             breakdown="source"))  # fmt: skip
    costs = {v.dimension: v.value for v in spend.values if isinstance(v.value, Decimal)}
    for key, line in channels.items():
        line.cost = costs.get(key)
    report.by_channel = sorted(channels.values(), key=lambda line: (-line.credit, line.key))
    report.by_campaign = sorted(campaigns.values(), key=lambda line: (-line.credit, line.key))
    return report


def _parts(
    model: str, journey: Journey, amount: Decimal, shares: dict[str, float] | str | None
) -> list[Decimal] | None:
    if isinstance(shares, dict):
        return _by_shares(journey, amount, shares)
    if isinstance(shares, str):
        return None
    return attribute(model, journey, amount)


def _by_shares(journey: Journey, amount: Decimal, shares: dict[str, float]) -> list[Decimal]:
    """A deal's amount over its touches by the channels' data-driven shares: each channel in
    the journey weighs its share (negative shares — a channel that lowers the conversion
    rate — weigh nothing), split evenly over that channel's touches; a journey whose channels
    all weigh nothing is shared equally."""
    counts: dict[str, int] = {}
    for touch in journey.touches:
        counts[touch.channel] = counts.get(touch.channel, 0) + 1
    raw = [max(0.0, shares.get(t.channel, 0.0)) / counts[t.channel] for t in journey.touches]
    total = sum(raw)
    if total <= 0:
        raw, total = [1.0] * len(journey.touches), float(len(journey.touches))
    return credit(amount, [w / total for w in raw])
