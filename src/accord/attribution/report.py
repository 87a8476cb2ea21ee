"""Attributed pipeline and revenue per channel, campaign and content under one model — with
marketing-sourced and marketing-influenced amounts, spend, ROI and ROAS per channel and
campaign — and the deals without any marketing touch, the touches after the milestone and the
deals in another currency shown, never silently dropped."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from accord.attribution.batch import JourneyBatch
from accord.attribution.batch_credit import attribute_batch
from accord.attribution.journeys import (
    ACTIVITY_CHANNELS,
    DealJourney,
    JourneySet,
    Level,
    Milestone,
    deal_journeys,
    paths,
)
from accord.attribution.markov import markov_attribution
from accord.attribution.rules import CENT, MODELS, Journey, attribute, credit
from accord.attribution.shapley import shapley
from accord.identity.models import Workspace
from accord.metrics.catalogue import MetricSpec, measure
from accord.metrics.queries import SALES_SOURCES

DATA_DRIVEN = ("markov", "shapley")
SALES_CHANNELS = frozenset(ACTIVITY_CHANNELS.values())


def assumes(model: str, half_life_days: float = 7.0) -> str:
    """What the model assumes, in one plain sentence."""
    if model == "time_decay":
        return (
            f"Recent touches mattered more: a touch's weight halves every {half_life_days:g} days."
        )
    return ASSUMES[model]


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


@dataclass
class Line:
    key: str  # channel, campaign id ('' for touches without a campaign), or content
    label: str = ""
    credit: Decimal = Decimal("0.00")
    deals: int = 0  # deals this channel, campaign or content touched
    influenced: Decimal = Decimal("0.00")  # the amounts of those deals
    sourced: Decimal = Decimal("0.00")  # channels: the amounts of deals with this source
    sourced_deals: int = 0
    cost: Decimal | None = None  # channels and campaigns: spend dated in the period
    channel: str = ""  # campaigns: the campaign's channel
    owner: str = ""  # campaigns: the marketer who runs it

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
    lookback_days: int = 365
    half_life_days: float = 7.0
    include_activities: bool = False
    total: Decimal = Decimal("0.00")  # the amounts of the deals counted
    deals: int = 0
    sourced_deals: int = 0  # the deal's source is a marketing channel (metrics' definition)
    sourced_amount: Decimal = Decimal("0.00")
    influenced_deals: int = 0  # a marketing touch in the journey
    influenced_amount: Decimal = Decimal("0.00")
    marketing_credit: Decimal = Decimal("0.00")  # credited to marketing (not sales) touches
    by_channel: list[Line] = field(default_factory=list)
    by_campaign: list[Line] = field(default_factory=list)
    by_content: list[Line] = field(default_factory=list)
    no_touch_deals: int = 0
    no_touch_amount: Decimal = Decimal("0.00")
    after_milestone: int = 0
    truncated: int = 0
    other_currency: dict[str, int] = field(default_factory=dict)  # currency -> deals left out
    unfitted: str = ""  # why a data-driven model could not be fitted
    fit_note: str = ""  # a data-driven model: what the fit rests on, and its error if sampled
    markov_order: int = 1

    def lines(self, by: str) -> list[Line]:
        """The lines per "channel", "campaign" or "content"."""
        return {"channel": self.by_channel, "campaign": self.by_campaign,
                "content": self.by_content}[by]  # fmt: skip

    @property
    def roi_ranking(self) -> list[Line]:
        """Channels with spend, highest ROI first."""
        return sorted((x for x in self.by_channel if x.cost), key=lambda x: -(x.roi or 0.0))


def data_driven_shares(
    workspace: Workspace,
    *,
    model: str,
    start: dt.datetime,
    end: dt.datetime,
    order: int = 1,
    found: list[tuple[tuple[str, ...], int, int]] | None = None,
    described: list[str] | None = None,
) -> dict[str, float] | str:
    """Each channel's share (summing to 1) under a data-driven model, from the journeys of the
    contacts created in the period — those that converted and those that did not (`found`,
    when the caller has read them already); or the reason there is none. `described` gets a
    sentence on what the fit rests on (and a sampled Shapley value's error)."""
    if found is None:
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
    if described is not None:
        described.append(_fit_note(model, found, result, order))
    return {channel: float(share) for channel, share in result.credits.items()}


def _fit_note(
    model: str, found: list[tuple[tuple[str, ...], int, int]], result: Any, order: int
) -> str:
    journeys = sum(c + n for _, c, n in found)
    converted = sum(c for _, c, _ in found)
    basis = (
        f"Fitted on {journeys:,} journeys ({converted:,} converted) of the contacts created "
        "from the look-back window before the period to the period's end"
    )
    if model == "markov":
        return f"{basis}; a Markov chain of order {order}, solved exactly."
    channels = len(result.credits)
    if result.method == "exact":
        return f"{basis}; exact over every coalition of the {channels} channels."
    error = 1.96 * max(result.standard_errors.values(), default=0.0)
    return (
        f"{basis}; sampled over {result.permutations:,} orders of the {channels} channels, "
        f"each share within ±{error:.2%} (95 %)."
    )


def check_model(model: str) -> None:
    if model not in MODELS and model not in DATA_DRIVEN:
        choices = ", ".join([*MODELS, *DATA_DRIVEN])
        raise ValueError(f"unknown model '{model}'; choose one of: {choices}")


def attribution_report(
    workspace: Workspace,
    *,
    model: str,
    start: dt.datetime,
    end: dt.datetime,
    milestone: Milestone = "close",
    level: Level = "contact",
    lookback_days: int = 365,
    half_life_days: float = 7.0,
    include_activities: bool = False,
    markov_order: int = 1,
) -> AttributionReport:
    """The report under one model."""
    return attribution_reports(
        workspace, models=[model], start=start, end=end, milestone=milestone, level=level,
        lookback_days=lookback_days, half_life_days=half_life_days,
        include_activities=include_activities, markov_order=markov_order,
    )[0]  # fmt: skip


def attribution_reports(
    workspace: Workspace,
    *,
    models: list[str],
    start: dt.datetime,
    end: dt.datetime,
    milestone: Milestone = "close",
    level: Level = "contact",
    lookback_days: int = 365,
    half_life_days: float = 7.0,
    include_activities: bool = False,
    markov_order: int = 1,
) -> list[AttributionReport]:
    """The report under each model, side by side: the journeys, the data-driven models' paths
    and the spend are read once for all of them."""
    for model in models:
        check_model(model)
    if half_life_days <= 0:
        raise ValueError(f"the half-life must be more than 0 days, not {half_life_days}")
    if markov_order not in (1, 2, 3):
        raise ValueError(f"the Markov chain's order is 1, 2 or 3, not {markov_order}")
    found = deal_journeys(workspace.pk, start=start, end=end, milestone=milestone, level=level,
                          lookback_days=lookback_days,
                          include_activities=include_activities)  # fmt: skip
    fitted_on = start - dt.timedelta(days=lookback_days)
    known_paths = (
        paths(workspace.pk, start=fitted_on, end=end)
        if any(m in DATA_DRIVEN for m in models)
        else None
    )
    spend = _spend(workspace, start, end)
    credited = [d for d in found.journeys
                if d.journey is not None and d.currency == workspace.default_currency]  # fmt: skip
    batch = (
        JourneyBatch.from_journeys([d.journey for d in credited if d.journey]) if credited else None
    )
    reports = []
    for model in models:
        shares = None
        parts = None
        described: list[str] = []
        if model in DATA_DRIVEN:
            shares = data_driven_shares(workspace, model=model, start=fitted_on, end=end,
                                        order=markov_order, found=known_paths,
                                        described=described)  # fmt: skip
        elif batch is not None:
            parts = _batch_parts(model, batch, credited, half_life_days)
        report = AttributionReport(
            model, assumes(model, half_life_days), milestone, level, workspace.default_currency,
            lookback_days, half_life_days, include_activities,
        )  # fmt: skip
        report.fit_note, report.markov_order = " ".join(described), markov_order
        _fill(report, found, shares, workspace, spend, parts)
        reports.append(report)
    return reports


def _batch_parts(
    model: str, batch: JourneyBatch, deals: list[DealJourney], half_life_days: float
) -> dict[int, list[Decimal]]:
    """Each deal's credit per touch under a rule-based model, from the vectorised engine (the
    same cents as `rules.attribute`, deal by deal, at a fraction of the time)."""
    amounts = np.array([int(d.amount / CENT) for d in deals], dtype=np.int64)
    cents = attribute_batch(model, batch, amounts, half_life_days=half_life_days).cents.tolist()
    offsets = batch.offsets.tolist()
    return {
        d.deal_id: [Decimal(c) * CENT for c in cents[offsets[i] : offsets[i + 1]]]
        for i, d in enumerate(deals)
    }


def _fill(  # noqa: PLR0917 - one report's inputs, all required
    report: AttributionReport,
    found: JourneySet,
    shares: dict[str, float] | str | None,
    workspace: Workspace,
    spend: dict[str, dict[str, Decimal]],
    batch_parts: dict[int, list[Decimal]] | None = None,
) -> None:
    report.after_milestone, report.truncated = found.after_milestone, found.truncated
    if isinstance(shares, str):
        report.unfitted = shares
    tally = _Tally()
    for deal in found.journeys:
        if deal.currency != report.currency:
            report.other_currency[deal.currency] = report.other_currency.get(deal.currency, 0) + 1
            continue
        _count_deal(report, tally, deal)
        if deal.journey is None:
            continue
        if batch_parts is not None:
            parts: list[Decimal] | None = batch_parts[deal.deal_id]
        else:
            parts = deal_credit(report.model, deal.journey, deal.amount, shares,
                                report.half_life_days)  # fmt: skip
        if parts is not None:  # None: no data-driven model could be fitted, nothing credited
            tally.add(deal, parts)
            report.marketing_credit += sum(
                (p for p, t in zip(parts, deal.journey.touches, strict=True)
                 if t.channel not in SALES_CHANNELS),
                Decimal("0.00"),
            )  # fmt: skip
    for breakdown, lines in (("source", tally.channels), ("campaign_id", tally.campaigns)):
        for key, cost in spend[breakdown].items():
            lines.setdefault(key, Line(key)).cost = cost
    _campaign_labels(workspace, tally.campaigns.values())
    report.by_channel = _ranked(tally.channels)
    report.by_campaign = _ranked(tally.campaigns)
    report.by_content = _ranked(tally.contents)


def _count_deal(report: AttributionReport, tally: _Tally, deal: DealJourney) -> None:
    report.deals += 1
    report.total += deal.amount
    if deal.source not in SALES_SOURCES:
        report.sourced_deals += 1
        report.sourced_amount += deal.amount
        line = tally.channels.setdefault(deal.source, Line(deal.source))
        line.sourced += deal.amount
        line.sourced_deals += 1
    touches = deal.journey.touches if deal.journey else ()
    if any(t.channel not in SALES_CHANNELS for t in touches):
        report.influenced_deals += 1
        report.influenced_amount += deal.amount
    if deal.journey is None:
        report.no_touch_deals += 1
        report.no_touch_amount += deal.amount


@dataclass
class _Tally:
    channels: dict[str, Line] = field(default_factory=dict)
    campaigns: dict[str, Line] = field(default_factory=dict)
    contents: dict[str, Line] = field(default_factory=dict)

    def add(self, deal: DealJourney, parts: list[Decimal]) -> None:
        assert deal.journey is not None
        touched: dict[str, set[str]] = defaultdict(set)
        for touch, part, campaign, content in zip(
            deal.journey.touches, parts, deal.campaign_ids, deal.contents, strict=True
        ):
            for kind, lines, key in (
                ("channel", self.channels, touch.channel),
                ("campaign", self.campaigns, str(campaign or "")),
                ("content", self.contents, content),
            ):
                lines.setdefault(key, Line(key)).credit += part
                touched[kind].add(key)
        for kind, lines in (
            ("channel", self.channels),
            ("campaign", self.campaigns),
            ("content", self.contents),
        ):
            for key in touched[kind]:
                lines[key].deals += 1
                lines[key].influenced += deal.amount


def _ranked(lines: dict[str, Line]) -> list[Line]:
    return sorted(lines.values(), key=lambda line: (-line.credit, -line.sourced, line.key))


def _spend(
    workspace: Workspace, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[str, Decimal]]:
    """Spend dated in the period per channel and per campaign id, from the metrics layer (its
    one definition of spend)."""
    found: dict[str, dict[str, Decimal]] = {}
    for breakdown in ("source", "campaign_id"):
        spec = MetricSpec(metric="marketing_spend", start=start, end=end, breakdown=breakdown)
        found[breakdown] = {
            value.dimension: value.value
            for value in measure(workspace.pk, spec).values
            if isinstance(value.value, Decimal) and value.dimension
        }
    return found


def _campaign_labels(workspace: Workspace, lines: Iterable[Line]) -> None:
    from accord.identity.models import User
    from accord.marketing.models import Campaign

    by_key = {line.key: line for line in lines if line.key}
    ids = [int(key) for key in by_key if key.isdigit()]
    found = list(
        Campaign.objects.for_workspace(workspace)
        .filter(pk__in=ids)
        .values_list("pk", "name", "channel", "owner_id")
    )
    owners = dict(
        User.objects.filter(pk__in={o for *_, o in found if o}).values_list("pk", "full_name")
    )
    for pk, name, channel, owner in found:
        line = by_key[str(pk)]
        line.label, line.channel, line.owner = name, channel, owners.get(owner, "") if owner else ""


def deal_credit(
    model: str,
    journey: Journey,
    amount: Decimal,
    shares: dict[str, float] | str | None,
    half_life_days: float = 7.0,
) -> list[Decimal] | None:
    """A deal's amount per touch: by a rule-based model, or by the channels' data-driven
    shares (None when no data-driven model could be fitted)."""
    if isinstance(shares, dict):
        return _by_shares(journey, amount, shares)
    if isinstance(shares, str):
        return None
    return attribute(model, journey, amount, half_life_days=half_life_days)


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
