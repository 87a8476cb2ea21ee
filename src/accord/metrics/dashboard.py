"""What the joint dashboard and the weekly digest show, chosen once: the headline metrics and
the panels (each a catalogue metric with a breakdown). Both read them through `measure`, so a
number on the dashboard, in the digest, from the API and from `accord report` is the same."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accord.metrics.catalogue import CATALOGUE, Metric, MetricResult, MetricSpec, measure
from accord.metrics.engine import EngineChoice
from accord.metrics.values import Value

# The headline numbers, marketing's first, then the shared ones, then sales'.
HEADLINES = (
    "mqls",
    "lead_velocity",
    "sourced_pipeline",
    "influenced_pipeline",
    "marketing_spend",
    "cac",
    "revenue",
    "won_deals",
    "win_rate",
    "average_deal_size",
    "sales_cycle",
    "acceptance_rate",
    "sla_sales",
)
# The lead quality panel: acceptance and rejection reasons by source.
QUALITY_BY = "source"
# Spend and cost per stage, per channel.
COST_METRICS = ("marketing_spend", "cost_per_lead", "cost_per_mql", "cost_per_sql",
                "cost_per_customer")  # fmt: skip


@dataclass(frozen=True)
class Headline:
    metric: Metric
    value: Value | None  # None: nothing to measure in the period

    @property
    def reason(self) -> str:
        if self.value is None:
            return "Not enough data in this period."
        return self.value.reason


def run(
    workspace_id: int,
    metric: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    breakdown: str = "none",
    engine: EngineChoice = "auto",
) -> MetricResult:
    spec = MetricSpec(metric=metric, start=start, end=end, breakdown=breakdown)
    return measure(workspace_id, spec, engine)


def headlines(
    workspace_id: int, start: dt.datetime, end: dt.datetime, engine: EngineChoice = "auto"
) -> list[Headline]:
    found = []
    for key in HEADLINES:
        result = run(workspace_id, key, start, end, engine=engine)
        found.append(Headline(CATALOGUE[key], result.values[0] if result.values else None))
    return found


def format_value(kind: str, value: object, currency: str = "") -> str:
    """A value as people read it: money with its currency, rates as percentages, days with a
    unit; '—' for none."""
    if value is None:
        return "—"
    if kind == "money":
        return f"{value:,.0f} {currency}".strip()
    if kind == "rate":
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    if kind == "growth":
        return f"{float(value):+.1%}"  # type: ignore[arg-type]
    if kind == "days":
        return f"{float(value):.1f} days"  # type: ignore[arg-type]
    return f"{value:,}"
