"""The catalogue: every metric both teams read, defined once, with its written definition.

A `MetricSpec` (metric, period, breakdown) → `measure()` → a `MetricResult` of `Value`s, the
same for the dashboard, the API (`/api/v1/metrics/{key}`) and the CLI (`accord report KEY`).
Counts come as integers, money as `Decimal` to the cent, rates with a 95 % Wilson interval,
averages with a 95 % t interval and growth with an interval from the two counts; a value that
cannot be computed is `None` with the reason, never NaN.

The queries are in `metrics.queries` (SQL written once, run on either engine). The handoff's
measures (SLA compliance, acceptance, rejection reasons) read the handoff's live records,
defined once in `handoff.reports`, on the record store: their rows change state (clocks run,
leads get decided) and are one per handoff, small next to the facts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from accord.core.periods import ReportedInstant, utc_days
from accord.metrics import queries, result_cache
from accord.metrics.engine import Engine, EngineChoice, resolve, run
from accord.metrics.values import (
    Value,
    growth_value,
    in_days,
    mean_value,
    money,
    money_mean,
    rate_value,
)

Kind = Literal["count", "money", "rate", "days", "growth"]
Team = Literal["marketing", "sales", "both"]


class MetricSpec(BaseModel):
    """What to measure: the same spec serves the dashboard, the API and the CLI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    start: ReportedInstant
    end: ReportedInstant
    breakdown: str = "none"

    @model_validator(mode="after")
    def _valid(self) -> MetricSpec:
        if self.metric not in CATALOGUE:
            raise ValueError(f"unknown metric '{self.metric}'; see `accord report list`")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a time zone (e.g. 2026-01-01T00:00:00Z)")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        allowed = CATALOGUE[self.metric].breakdowns
        if self.breakdown not in allowed:
            raise ValueError(
                f"{self.metric} cannot be broken down by '{self.breakdown}'; "
                f"choose one of: {', '.join(allowed)}"
            )
        return self


@dataclass(frozen=True)
class MetricResult:
    workspace_id: int
    spec: MetricSpec
    metric: Metric
    engine: Engine
    values: list[Value]

    @property
    def empty(self) -> bool:
        return not self.values


@dataclass
class Query:
    workspace_id: int
    spec: MetricSpec
    engine: Engine
    answered_by: Engine | None = None  # the record store, when the copy was busy

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        found, self.answered_by = run(sql, params, self.engine)
        return found

    @property
    def window(self) -> tuple[Any, ...]:
        return (self.workspace_id, self.spec.start, self.spec.end)

    @property
    def days(self) -> tuple[Any, ...]:
        """The period as dates (first day, day after), for facts dated by day (costs)."""
        return (self.workspace_id, *utc_days(self.spec.start, self.spec.end))


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    kind: Kind
    team: Team
    definition: str
    breakdowns: tuple[str, ...]
    compute: Callable[[Query], list[Value]]
    items: str = ""  # what `item` names, when the metric lists several things
    engines: Literal["both", "record_store"] = "both"


def _by_dimension(rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {str(row[0] or ""): tuple(row[1:]) for row in rows}


# The metrics -----------------------------------------------------------------------------------


def _stage_count(stage: str) -> Callable[[Query], list[Value]]:
    def compute(q: Query) -> list[Value]:
        ws, start, end = q.window
        rows = q.rows(queries.stage_entries(q.spec.breakdown), ws, stage, start, end)
        return [Value(str(d or ""), int(n), n=int(n)) for d, n in rows if n]

    return compute


def _won(kind: Literal["count", "revenue", "average"]) -> Callable[[Query], list[Value]]:
    def compute(q: Query) -> list[Value]:
        values = []
        for d, deals, amount, squares in q.rows(queries.won_deals(q.spec.breakdown), *q.window):
            if not deals:
                continue
            key = str(d or "")
            if kind == "count":
                values.append(Value(key, int(deals), n=int(deals)))
            elif kind == "revenue":
                values.append(Value(key, money(amount), n=int(deals)))
            else:
                mean = mean_value(key, int(deals), float(amount), float(squares))
                values.append(money_mean(mean))
        return values

    return compute


def _win_rate(q: Query) -> list[Value]:
    rows = q.rows(queries.closed_deals(q.spec.breakdown), *q.window)
    return [rate_value(str(d or ""), int(won), int(closed)) for d, won, closed in rows if closed]


def _sales_cycle(q: Query) -> list[Value]:
    rows = q.rows(queries.sales_cycle(q.spec.breakdown), *q.window)
    return [
        in_days(mean_value(str(d or ""), int(n), float(days), float(squares)))
        for d, n, days, squares in rows
        if n
    ]


def _pipeline(kind: Literal["sourced", "influenced"]) -> Callable[[Query], list[Value]]:
    def compute(q: Query) -> list[Value]:
        values = []
        for d, deals, _amount, n, amount in q.rows(
            queries.pipeline(q.spec.breakdown, kind), *q.window
        ):
            if deals:
                share = rate_value(str(d or ""), int(n or 0), int(deals))
                values.append(replace(share, value=money(amount)))
        return values

    return compute


def _open_pipeline(q: Query) -> list[Value]:
    rows = q.rows(queries.open_pipeline(q.spec.breakdown), q.workspace_id, q.spec.end)
    ordered = sorted(rows, key=lambda r: (str(r[0] or ""), int(r[3]), str(r[1])))
    return [Value(str(d or ""), money(amount), item=str(label), n=int(deals))
            for d, _key, label, _position, deals, amount in ordered]  # fmt: skip


def _time_in_stage(q: Query) -> list[Value]:
    from accord.metrics.funnel import MAIN_PATH

    order = {stage: i for i, stage in enumerate(MAIN_PATH)}
    rows = q.rows(queries.time_in_stage(q.spec.breakdown), *q.window)
    rows.sort(key=lambda r: (str(r[0] or ""), order.get(str(r[1]), 99), str(r[1])))
    return [
        in_days(mean_value(str(d or ""), int(n), float(days), float(squares), item=str(stage)))
        for d, stage, n, days, squares in rows
    ]


def _retention(churn: bool) -> Callable[[Query], list[Value]]:
    def compute(q: Query) -> list[Value]:
        ws, start, end = q.window
        rows = q.rows(queries.retention(q.spec.breakdown), ws, start, ws, start, end)
        values = []
        for d, customers, churned in rows:
            if not customers:
                continue
            kept = int(customers) - int(churned or 0)
            values.append(rate_value(str(d or ""), int(churned or 0) if churn else kept,
                                     int(customers)))  # fmt: skip
        return values

    return compute


def _spend_by(q: Query) -> dict[str, Decimal]:
    rows = q.rows(queries.spend(q.spec.breakdown), *q.days)
    return {str(d or ""): money(amount) for d, amount in rows if amount}


def _spend(q: Query) -> list[Value]:
    return [Value(d, amount) for d, amount in _spend_by(q).items() if amount]


def _cost_per(stage: str) -> Callable[[Query], list[Value]]:
    def compute(q: Query) -> list[Value]:
        ws, start, end = q.window
        counts = _by_dimension(q.rows(queries.stage_entries(q.spec.breakdown), ws, stage, start,
                                      end))  # fmt: skip
        values = []
        for d, amount in _spend_by(q).items():
            n = int(counts.get(d, (0,))[0])
            if not n:
                values.append(Value(d, None, n=0, reason=f"spend of {amount} but no {stage}s"))
            else:
                values.append(Value(d, money(amount / n), n=n))
        return values

    return compute


def _cac(q: Query) -> list[Value]:
    spent = sum(_spend_by(q).values(), Decimal(0))
    ((_, accounts),) = q.rows(queries.NEW_ACCOUNTS, *q.window) or [("", 0)]
    if not spent and not accounts:
        return []
    if not spent:
        return [Value("", None, n=int(accounts), reason="no marketing spend recorded")]
    if not accounts:
        return [Value("", None, n=0, reason="no new customer accounts in the period")]
    return [Value("", money(spent / int(accounts)), n=int(accounts))]


def _lead_velocity(q: Query) -> list[Value]:
    ws, start, end = q.window
    sql = queries.stage_entries(q.spec.breakdown)
    current = _by_dimension(q.rows(sql, ws, "mql", start, end))
    previous = _by_dimension(q.rows(sql, ws, "mql", start - (end - start), start))
    counts = {
        d: (int(current.get(d, (0,))[0]), int(previous.get(d, (0,))[0]))
        for d in set(current) | set(previous)
    }
    return [growth_value(d, now, before) for d, (now, before) in counts.items() if now or before]


# The handoff's measures, defined once in handoff.reports -------------------------------------


def _workspace(q: Query) -> Any:
    from accord.identity.models import Workspace

    return Workspace.objects.get(pk=q.workspace_id)


def sla_report_of(workspace_id: int, start: dt.datetime, end: dt.datetime) -> Any:
    """The period's SLA report, built once for the two metrics (and both teams' scorecards)
    that read it."""
    from accord.handoff.reports import sla_report
    from accord.identity.models import Workspace

    return result_cache.cached(
        workspace_id,
        f"sla-report|{start.isoformat()}|{end.isoformat()}",
        lambda: sla_report(Workspace.objects.get(pk=workspace_id), start, end),
    )


def _sla_report(q: Query) -> Any:
    return sla_report_of(q.workspace_id, q.spec.start, q.spec.end)


def _sla_sales(q: Query) -> list[Value]:
    report = _sla_report(q)
    rows = report.first_touch if q.spec.breakdown == "owner" else report.first_touch[-1:]
    values = []
    for row in rows:
        key = "" if q.spec.breakdown == "none" or row.owner_id is None else str(row.owner_id)
        if q.spec.breakdown == "owner" and row.owner == "Everyone":
            continue
        r = row.compliance
        values.append(rate_value(key, r.successes, r.n, empty="no first-touch clock resolved"))
    return values if any(v.n for v in values) else []


def _sla_marketing(q: Query) -> list[Value]:
    report = _sla_report(q)
    return [
        Value(row.segment or "", row.attainment, item=row.period, successes=row.mqls, n=row.target)
        for row in report.volume
    ]


def _dispositions(q: Query) -> Any:
    """The period's dispositions by the breakdown, read once for the acceptance rate and the
    rejection reasons."""
    from accord.handoff.reports import dispositions

    spec = q.spec
    return result_cache.cached(
        q.workspace_id,
        f"dispositions|{spec.breakdown}|{spec.start.isoformat()}|{spec.end.isoformat()}",
        lambda: dispositions(_workspace(q), spec.breakdown, spec.start, spec.end),  # type: ignore[arg-type]
    )


def _acceptance(q: Query) -> list[Value]:
    rows = _dispositions(q)
    if q.spec.breakdown == "none":
        accepted = sum(r.accepted for r in rows)
        decided = sum(r.accepted + r.rejected + r.recycled for r in rows)
        return [rate_value("", accepted, decided)] if decided else []
    return [
        rate_value(r.key, r.acceptance.successes, r.acceptance.n) for r in rows if r.acceptance.n
    ]


def _rejection_reasons(q: Query) -> list[Value]:
    rows = _dispositions(q)
    groups: dict[str, Counter[str]] = {}
    for r in rows:
        key = "" if q.spec.breakdown == "none" else r.key
        groups.setdefault(key, Counter()).update(r.reasons)
    values = []
    for key, reasons in groups.items():
        total = sum(reasons.values())
        values += [rate_value(key, n, total, item=reason) for reason, n in reasons.most_common()]
    return values


# The catalogue ---------------------------------------------------------------------------------

_C = queries.CONTACT_BREAKDOWNS
_D = queries.DEAL_BREAKDOWNS
_S = queries.SPEND_BREAKDOWNS
_H = ("none", "source", "campaign", "definition_version", "owner")


def _stage_metric(key: str, stage: str, title: str, team: Team) -> Metric:
    return Metric(key, title, "count", team,
                  f"Contacts who moved into the '{stage}' stage in the period (a transition in "
                  f"the lifecycle ledger), each counted once.",
                  _C, _stage_count(stage))  # fmt: skip


def _cost_metric(key: str, stage: str, title: str) -> Metric:
    return Metric(key, title, "money", "marketing",
                  f"Marketing spend dated in the period (campaign costs) divided by the contacts "
                  f"who moved into '{stage}' in the period. By source: each channel's spend over "
                  f"the contacts whose original source it is; by campaign: the campaign's spend "
                  f"over the contacts it brought (their first-touch UTM campaign).",
                  _S, _cost_per(stage))  # fmt: skip


METRICS: tuple[Metric, ...] = (
    _stage_metric("leads", "lead", "Leads", "marketing"),
    _stage_metric("mqls", "mql", "MQLs", "marketing"),
    _stage_metric("sals", "sal", "SALs", "sales"),
    _stage_metric("sqls", "sql", "SQLs", "sales"),
    _stage_metric("opportunities", "opportunity", "Opportunities", "sales"),
    _stage_metric("customers", "customer", "Customers", "both"),
    Metric("won_deals", "Won deals", "count", "sales",
           "Deals marked won with a close date in the period.", _D, _won("count")),
    Metric("revenue", "Revenue", "money", "both",
           "The amounts of the deals won in the period.", _D, _won("revenue")),
    Metric("average_deal_size", "Average deal size", "money", "sales",
           "The mean amount of the deals won in the period, with a 95% t interval.",
           _D, _won("average")),
    Metric("win_rate", "Win rate", "rate", "sales",
           "Of the deals closed in the period (won or lost), the share won.", _D, _win_rate),
    Metric("sales_cycle", "Sales cycle", "days", "sales",
           "The mean days from a deal's creation to its close, for the deals won in the period.",
           _D, _sales_cycle),
    Metric("sourced_pipeline", "Marketing-sourced pipeline", "money", "marketing",
           "The amount of the deals created in the period whose source is a marketing channel "
           "(every source but sales outbound and unknown). The interval is for the share of "
           "deals.", _D, _pipeline("sourced")),
    Metric("influenced_pipeline", "Marketing-influenced pipeline", "money", "marketing",
           "The amount of the deals created in the period whose primary contact had a "
           "marketing touch before the deal was created (sourced deals included). The interval "
           "is for the share of deals.", _D, _pipeline("influenced")),
    Metric("open_pipeline", "Open pipeline by stage", "money", "sales",
           "The deals open when the period ended (their latest stage change before then went "
           "to an open stage), by that stage: their amount at the time (and count).",
           _D, _open_pipeline, items="pipeline stage"),
    Metric("time_in_stage", "Time in stage", "days", "both",
           "For each lifecycle stage, the mean days contacts spent in it before their next "
           "transition, over the stays that ended in the period.", _C, _time_in_stage,
           items="lifecycle stage"),
    Metric("lead_velocity", "Lead velocity", "growth", "marketing",
           "Growth in MQLs: MQLs in the period against the period of the same length just "
           "before it, (this - previous) / previous.", _C, _lead_velocity),
    Metric("retention", "Customer retention", "rate", "both",
           "Of the contacts who were customers when the period began, the share still "
           "customers at its end (no transition out of customer in the ledger).",
           tuple(b for b in _C if b != "definition_version"), _retention(churn=False)),
    Metric("churn", "Customer churn", "rate", "both",
           "Of the contacts who were customers when the period began, the share who moved out "
           "of customer during it.",
           tuple(b for b in _C if b != "definition_version"), _retention(churn=True)),
    Metric("marketing_spend", "Marketing spend", "money", "marketing",
           "Campaign costs dated in the period.", (*_S, "campaign_id"), _spend),
    _cost_metric("cost_per_lead", "lead", "Cost per lead"),
    _cost_metric("cost_per_mql", "mql", "Cost per MQL"),
    _cost_metric("cost_per_sql", "sql", "Cost per SQL"),
    _cost_metric("cost_per_customer", "customer", "Cost per customer"),
    Metric("cac", "Customer acquisition cost (CAC)", "money", "both",
           "Marketing spend dated in the period divided by the new customer accounts won in "
           "it (companies, or contacts without one, whose first won deal closed in the "
           "period).", ("none",), _cac),
    Metric("sla_sales", "SLA: sales' first touch", "rate", "sales",
           "Of the timed handoffs assigned in the period whose first-touch clock has resolved, "
           "the share touched in time (met, against breached), per the SLA agreement.",
           ("none", "owner"), _sla_sales, engines="record_store"),
    Metric("sla_marketing", "SLA: marketing's lead volume", "rate", "marketing",
           "MQLs delivered in each month or quarter of the period against the active SLA "
           "agreement's target: the attainment (MQLs / target).", ("none",), _sla_marketing,
           items="period", engines="record_store"),
    Metric("acceptance_rate", "Lead acceptance rate", "rate", "both",
           "Of the leads handed to sales in the period and decided, the share accepted "
           "(against rejected or recycled).", _H, _acceptance, engines="record_store"),
    Metric("rejection_reasons", "Rejection reasons", "rate", "both",
           "Of the leads sales rejected (handed over in the period), the share per reason.",
           _H, _rejection_reasons, items="reason", engines="record_store"),
)  # fmt: skip
CATALOGUE: dict[str, Metric] = {m.key: m for m in METRICS}


def measure(
    workspace_id: int, spec: MetricSpec, engine: EngineChoice = "record_store"
) -> MetricResult:
    metric = CATALOGUE[spec.metric]
    chosen = "record_store" if metric.engines == "record_store" else resolve(workspace_id, engine)

    def compute() -> tuple[list[Value], Engine]:
        query = Query(workspace_id, spec, chosen)
        # Breakdown values in a stable order (the engines return groups in any order); the
        # items within one keep the order the metric gave them (stages in path order, …).
        values = sorted(metric.compute(query), key=lambda v: v.dimension)
        return values, query.answered_by or chosen

    what = f"metric|{spec.model_dump_json()}|{chosen}"
    values, answered_by = result_cache.cached(workspace_id, what, compute)
    return MetricResult(workspace_id, spec, metric, answered_by, list(values))
