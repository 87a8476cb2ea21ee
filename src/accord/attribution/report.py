"""Attributed pipeline and revenue per channel and campaign under the rule-based models, with
spend, ROI and ROAS per channel — the deals without any marketing touch, the touches after the
milestone and the deals in another currency shown, never silently dropped."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from accord.attribution.journeys import Level, Milestone, deal_journeys
from accord.attribution.rules import MODELS, attribute
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
}


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


def rule_report(
    workspace: Workspace,
    *,
    model: str,
    start: dt.datetime,
    end: dt.datetime,
    milestone: Milestone = "close",
    level: Level = "contact",
    lookback_days: int = 365,
) -> AttributionReport:
    if model not in MODELS:
        raise ValueError(f"unknown model '{model}'; choose one of: {', '.join(MODELS)}")
    found = deal_journeys(workspace.pk, start=start, end=end, milestone=milestone, level=level,
                          lookback_days=lookback_days)  # fmt: skip
    report = AttributionReport(model, ASSUMES[model], milestone, level,
                               workspace.default_currency)  # fmt: skip
    report.after_milestone, report.truncated = found.after_milestone, found.truncated
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
        parts = attribute(model, deal.journey, deal.amount)
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
