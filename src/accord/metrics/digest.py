"""The weekly digest both teams get by email and in Slack: last week's headline numbers beside
the week before's, goal pacing, lead quality and the SLA on both sides, with the funnel.

The week is the **7 calendar days ending on `week_ending`** (inclusive), as UTC days like the
dashboard's periods, so the digest's link opens the dashboard on the same numbers. The worker
and `accord digest` use Monday-Sunday weeks (`week_ending` a Sunday); another date gives the 7
days ending then. Every number comes from the metrics layer (`metrics.dashboard.headlines` and
`run`, `metrics.funnel`, `metrics.planning.dashboard_goals`), never from a second definition; a
value that cannot be computed is `None` with the reason, never NaN.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from accord.identity.models import Workspace
from accord.metrics.catalogue import CATALOGUE, Metric
from accord.metrics.dashboard import QUALITY_BY, Headline, headlines, run
from accord.metrics.engine import EngineChoice
from accord.metrics.funnel import FunnelSpec, funnel
from accord.metrics.planning import GoalPacing, dashboard_goals
from accord.metrics.presentation import funnel_document, metric_document
from accord.metrics.values import Value

WEEK = dt.timedelta(days=7)
TOP_REASONS = 3
ENGINE: EngineChoice = "auto"  # as the dashboard: the columnar copy for large workspaces
NOT_ENOUGH_DATA = "Not enough data in this period."
# Changes shown as a difference in percentage points rather than a relative change.
POINT_KINDS = frozenset({"rate", "growth"})

Number = int | Decimal | float


@dataclass(frozen=True)
class Week:
    """Calendar days `first` to `last` (inclusive), measured as [first 00:00, last + 1 day
    00:00) in UTC."""

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, day: dt.date) -> Week:
        return cls(day - dt.timedelta(days=6), day)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    @property
    def before(self) -> Week:
        return Week.ending(self.first - dt.timedelta(days=1))

    @property
    def label(self) -> str:
        """'week of 16 Nov 2026'."""
        return f"week of {self.first.day} {self.first:%b %Y}"


def last_complete_week(today: dt.date) -> dt.date:
    """The Sunday that ends the last Monday-Sunday week before `today`."""
    return today - dt.timedelta(days=today.weekday() + 1)


def number(value: Value | None) -> Number | None:
    """A value's number, or None when there is none (or it is not finite)."""
    if value is None or value.value is None:
        return None
    if isinstance(value.value, float) and not math.isfinite(value.value):
        return None
    return value.value


@dataclass(frozen=True)
class HeadlineChange:
    """One headline metric this week and the week before, with the change between them."""

    metric: Metric
    current: Value | None
    previous: Value | None
    reason: str  # why this week has no value ('' when it has one)
    previous_reason: str

    @property
    def value(self) -> Number | None:
        return number(self.current)

    @property
    def previous_value(self) -> Number | None:
        return number(self.previous)

    @property
    def change(self) -> Number | None:
        """This week minus the week before (percentage points as a fraction for rates and
        growth), or None when either has no value."""
        now, before = self.value, self.previous_value
        if now is None or before is None:
            return None
        if isinstance(now, Decimal) or isinstance(before, Decimal):
            return Decimal(str(now)) - Decimal(str(before))
        return now - before

    @property
    def relative(self) -> float | None:
        """(this - before) / before for counts, money and days; None for rates and growth
        (their change is in points) or when the week before was zero."""
        change, before = self.change, self.previous_value
        if change is None or before is None or not before or self.metric.kind in POINT_KINDS:
            return None
        return float(change) / float(before)

    @property
    def change_reason(self) -> str:
        if self.value is None:
            return "no value this week"
        if self.previous_value is None:
            return "no value the week before"
        return ""


@dataclass(frozen=True)
class Measured:
    """One catalogue metric over the week (no breakdown): its values, or why there are none."""

    metric: Metric
    values: list[Value]

    @property
    def first(self) -> Value | None:
        return self.values[0] if self.values else None

    @property
    def reason(self) -> str:
        first = self.first
        if first is None:
            return NOT_ENOUGH_DATA
        return first.reason if first.value is None else ""


@dataclass(frozen=True)
class Digest:
    workspace_id: int
    workspace_name: str
    currency: str
    week: Week
    headlines: list[HeadlineChange]
    goals: list[GoalPacing]  # the goals whose month or quarter contains the week's last day
    acceptance: Measured  # acceptance_rate
    rejection_reasons: Measured  # the top TOP_REASONS of rejection_reasons
    sla_sales: Measured  # first-touch compliance
    sla_marketing: Measured  # lead volume attainment, one value per month or quarter
    funnel: dict[str, Any]  # the period-view funnel document (`funnel_document`)
    mqls_by_source: dict[str, Any]  # `metric_document`s for the charts
    acceptance_by_source: dict[str, Any]
    dashboard_url: str

    @property
    def subject(self) -> str:
        """'Accord weekly: Acme Revenue — week of 16 Nov 2026'."""
        return f"Accord weekly: {self.workspace_name} — {self.week.label}"

    @property
    def empty(self) -> bool:
        """Nothing at all to report this week."""
        return all(h.value is None for h in self.headlines) and not any(
            self.funnel["rows"][0]["counts"].values() if self.funnel["rows"] else ()
        )


def dashboard_link(week: Week) -> str:
    """The dashboard on the digest's week, as an absolute URL (`ACCORD_BASE_URL`)."""
    try:
        path = reverse("web:dashboard")
    except NoReverseMatch:  # a deployment without the web app
        path = "/dashboard/"
    query = urlencode({"start": week.first.isoformat(), "end": week.last.isoformat(),
                       "view": "period"})  # fmt: skip
    return f"{settings.ACCORD_BASE_URL}{path}?{query}"


def _changes(current: list[Headline], previous: list[Headline]) -> list[HeadlineChange]:
    return [
        HeadlineChange(now.metric, now.value, before.value,
                       "" if number(now.value) is not None else now.reason,
                       "" if number(before.value) is not None else before.reason)
        for now, before in zip(current, previous, strict=True)
    ]  # fmt: skip


def _measured(workspace_id: int, key: str, week: Week, *, top: int | None = None) -> Measured:
    result = run(workspace_id, key, week.start, week.end, engine=ENGINE)
    values = [v for v in result.values if v.dimension == ""]
    return Measured(CATALOGUE[key], values[:top] if top is not None else values)


def build_digest(workspace: Workspace, *, week_ending: dt.date) -> Digest:
    """The digest of the 7 days ending on `week_ending` (see the module's docstring)."""
    week = Week.ending(week_ending)
    ws = workspace.pk
    current = headlines(ws, week.start, week.end, ENGINE)
    previous = headlines(ws, week.before.start, week.before.end, ENGINE)
    funnel_spec = FunnelSpec(view="period", start=week.start, end=week.end)

    def by_source(key: str) -> dict[str, Any]:
        return metric_document(run(ws, key, week.start, week.end, breakdown=QUALITY_BY,
                                   engine=ENGINE))  # fmt: skip

    return Digest(
        workspace_id=ws,
        workspace_name=workspace.name,
        currency=workspace.default_currency,
        week=week,
        headlines=_changes(current, previous),
        goals=dashboard_goals(ws, week.last),
        acceptance=_measured(ws, "acceptance_rate", week),
        rejection_reasons=_measured(ws, "rejection_reasons", week, top=TOP_REASONS),
        sla_sales=_measured(ws, "sla_sales", week),
        sla_marketing=_measured(ws, "sla_marketing", week),
        funnel=funnel_document(funnel(ws, funnel_spec, engine=ENGINE)),
        mqls_by_source=by_source("mqls"),
        acceptance_by_source=by_source("acceptance_rate"),
        dashboard_url=dashboard_link(week),
    )
