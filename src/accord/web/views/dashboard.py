"""The joint dashboard both teams open: the headline numbers, the funnel, pipeline by stage, the
SLA on both sides, lead quality by source, goal pacing, spend and cost per stage — each with its
written definition, each number and chart segment a link to the records behind it. The numbers
come from the metrics layer (`metrics.dashboard`, `metrics.funnel`), the same the API and
`accord report` give."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from accord.core.intervals import Rate
from accord.core.periods import in_range
from accord.crm.models import PipelineStage
from accord.crm.selectors import BREAKDOWNS as LISTED_BREAKDOWNS
from accord.identity.models import Membership, Workspace
from accord.metrics import charts
from accord.metrics.catalogue import CATALOGUE
from accord.metrics.dashboard import COST_METRICS, QUALITY_BY, Headline, headlines, run
from accord.metrics.funnel import MAIN_PATH, FunnelSpec, funnel
from accord.metrics.presentation import dimension_labels
from accord.metrics.values import Value
from accord.web.figures import figures_of
from accord.web.views.access import member_view
from accord.web.views.stages import StageCatalogue

BREAKDOWNS = {"none": "No breakdown", "source": "Source", "campaign": "Campaign",
              "owner": "Owner", "team": "Team", "segment": "Segment",
              "definition_version": "Definition version"}  # fmt: skip
STAGE_OF = {"mqls": "mql", "leads": "lead", "sals": "sal", "sqls": "sql",
            "opportunities": "opportunity", "customers": "customer"}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    count: int
    link: str
    conversion: Rate | None  # into this stage from the previous one (cohort view)


@dataclass(frozen=True)
class Line:
    label: str
    cells: list[Cell]


@dataclass(frozen=True)
class Tile:
    headline: Headline
    link: str


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime

    def window(self, prefix: str) -> dict[str, str]:
        return {f"{prefix}_after": self.start.isoformat(), f"{prefix}_before": self.end.isoformat()}


DEFAULT_DAYS = 90  # the last 90 days, today included: the SLA and dispositions pages' default


def _day(text: str | None, default: dt.date) -> dt.date:
    """The day given, or the default for one that is not a date Accord reports on."""
    try:
        day = dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default
    return day if in_range(day) else default


def _url(name: str, params: dict[str, Any]) -> str:
    return f"{reverse(name)}?{urlencode({k: v for k, v in params.items() if v != ''})}"


def _funnel_link(spec: FunnelSpec, stage: str, breakdown_key: str) -> str:
    """The contacts behind a cell, in its breakdown's row ('' for a breakdown the contact list
    cannot show: the definition version lives on ledger entries, not on contacts)."""
    period = Period(spec.start, spec.end)
    if spec.view == "cohort":
        params: dict[str, Any] = {"reached": stage, **period.window("created")}
    else:
        params = {"moved_to": stage, **period.window("moved")}
    if spec.breakdown in LISTED_BREAKDOWNS:
        params |= {"breakdown": spec.breakdown, "breakdown_value": breakdown_key}
    elif spec.breakdown != "none":
        return ""
    return _url("web:contacts", params)


# The list behind each metric: (URL name, filters, the period's window on the list, if any).
_RECORDS: dict[str, tuple[str, dict[str, str], str]] = {
    **{key: ("web:contacts", {"moved_to": stage}, "moved") for key, stage in STAGE_OF.items()},
    "lead_velocity": ("web:contacts", {"moved_to": "mql"}, "moved"),
    **{key: ("web:deals", {"status": "won"}, "closed")
       for key in ("revenue", "won_deals", "average_deal_size", "sales_cycle")},
    "win_rate": ("web:deals", {}, "closed"),
    "sourced_pipeline": ("web:deals", {}, "created"),
    "influenced_pipeline": ("web:deals", {}, "created"),
    "acceptance_rate": ("web:dispositions", {}, ""),
    "rejection_reasons": ("web:dispositions", {}, ""),
    "sla_sales": ("web:sla_report", {}, ""),
    "sla_marketing": ("web:sla_report", {}, ""),
    **{key: ("web:campaigns", {}, "") for key in ("marketing_spend", "cac", *COST_METRICS)},
}  # fmt: skip


def _metric_link(key: str, period: Period) -> str:
    """The records behind a metric's value, where a list can show them."""
    if key not in _RECORDS:
        return ""
    name, filters, window = _RECORDS[key]
    return _url(name, {**filters, **(period.window(window) if window else {})})


def _funnel_section(workspace: Workspace, spec: FunnelSpec) -> tuple[list[Line], str, Any]:
    workspace_id = workspace.pk
    result = funnel(workspace_id, spec, engine="auto")
    labels = dimension_labels(spec.breakdown, [row.dimension for row in result.rows], workspace_id)
    lines = []
    for row in result.rows:
        cells = []
        for i, stage in enumerate(MAIN_PATH):
            conversion = row.conversions.get(f"{MAIN_PATH[i - 1]}→{stage}") if i else None
            link = _funnel_link(spec, stage, row.dimension)
            cells.append(Cell(row.counts.get(stage, 0), link, conversion))
        lines.append(Line(labels[row.dimension], cells))
    chart = None
    if len(result.rows) == 1 or spec.breakdown == "none":
        total = lines[0] if lines else None
        rows = [
            {"stage": label, "contacts": cell.count, "href": cell.link}
            for (_, label), cell in zip(_stage_headers(workspace, spec.view), total.cells,
                                        strict=True)
        ] if total else []  # fmt: skip
        chart = charts.funnel(rows, stage_field="stage", count_field="contacts",
                              href_field="href", title="")  # fmt: skip
    return lines, result.definition, chart


def _stage_headers(workspace: Workspace, view: str) -> list[tuple[str, str]]:
    catalogue = StageCatalogue.of(workspace)
    # In the cohort view the first step counts every contact created in the period.
    return [
        (s, "Created" if view == "cohort" and i == 0 else catalogue.labels.get(s, s))
        for i, s in enumerate(MAIN_PATH)
    ]


def _pipeline_section(workspace_id: int, period: Period) -> dict[str, Any]:
    result = run(workspace_id, "open_pipeline", period.start, period.end)
    stage_ids: dict[str, int] = {}
    for stage in PipelineStage.objects.for_workspace(workspace_id).order_by("position"):
        stage_ids.setdefault(stage.label, stage.pk)
    rows = []
    for v in result.values:
        link = _url("web:deals", {"status": "open", "stage": stage_ids.get(v.item, "")})
        rows.append({"stage": v.item, "amount": float(v.value or 0), "deals": v.n, "href": link,
                     "value": v})  # fmt: skip
    chart = charts.bars(
        [{k: r[k] for k in ("stage", "amount", "href")} for r in rows],
        x="stage", y="amount", href_field="href", title="", x_title="Stage",
        y_title="Amount", value_format="$,.0f",
    )  # fmt: skip
    return {"metric": result.metric, "rows": rows, "chart": chart}


def _quality_section(workspace_id: int, period: Period) -> dict[str, Any]:
    acceptance = run(workspace_id, "acceptance_rate", period.start, period.end,
                     breakdown=QUALITY_BY)  # fmt: skip
    reasons = run(workspace_id, "rejection_reasons", period.start, period.end,
                  breakdown=QUALITY_BY)  # fmt: skip
    labels = dimension_labels(QUALITY_BY, [v.dimension for v in acceptance.values], workspace_id)
    top: dict[str, list[Value]] = defaultdict(list)
    for v in reasons.values:
        if len(top[v.dimension]) < 2:
            top[v.dimension].append(v)
    link = reverse("web:dispositions")
    href = f"{link}?{urlencode({'by': QUALITY_BY})}"
    ordered = sorted(acceptance.values, key=lambda v: -(v.n or 0))
    rows = [
        {"label": labels[v.dimension], "value": v, "reasons": top.get(v.dimension, []),
         "href": href}
        for v in ordered
    ]  # fmt: skip
    chart = charts.interval_bars(
        [{"source": labels[v.dimension], "rate": v.value, "low": v.low, "high": v.high,
          "href": href} for v in ordered if v.value is not None],
        category="source", value="rate", low="low", high="high", href_field="href", title="",
    )  # fmt: skip
    return {"acceptance": acceptance.metric, "reasons": reasons.metric, "rows": rows,
            "chart": chart}  # fmt: skip


def _sla_section(workspace_id: int, period: Period) -> dict[str, Any]:
    sales = run(workspace_id, "sla_sales", period.start, period.end)
    marketing = run(workspace_id, "sla_marketing", period.start, period.end)
    return {
        "sales": sales.metric,
        "sales_value": sales.values[0] if sales.values else None,
        "marketing": marketing.metric,
        "volume": marketing.values,
        "link": reverse("web:sla_report"),
    }


def _cost_section(workspace_id: int, period: Period) -> dict[str, Any]:
    by_metric = {
        key: {v.dimension: v for v in run(workspace_id, key, period.start, period.end,
                                          breakdown="source").values}
        for key in COST_METRICS
    }  # fmt: skip
    channels = sorted(set().union(*(set(values) for values in by_metric.values())))
    labels = dimension_labels("source", channels, workspace_id)
    rows = [
        {"label": labels[c], "cells": [by_metric[key].get(c) for key in COST_METRICS],
         "href": _url("web:campaigns", {"channel": c})}
        for c in channels
    ]  # fmt: skip
    chart = charts.bars(
        [{"channel": labels[c], "cost": float(v.value), "href": _url("web:campaigns",
                                                                      {"channel": c})}
         for c, v in by_metric["cost_per_mql"].items() if v.value is not None],
        x="channel", y="cost", href_field="href", title="", x_title="Channel",
        y_title="Cost per MQL", value_format="$,.0f",
    )  # fmt: skip
    return {"metrics": [CATALOGUE[key] for key in COST_METRICS], "rows": rows, "chart": chart}


def _goals_section(workspace_id: int, today: dt.date) -> list[Any]:
    try:
        from accord.metrics.planning import dashboard_goals
    except ImportError:  # goals are optional in this build
        return []
    return list(dashboard_goals(workspace_id, today))


@require_GET
@member_view()
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    today = timezone.localdate()
    start = _day(request.GET.get("start"), today - dt.timedelta(days=DEFAULT_DAYS - 1))
    end = _day(request.GET.get("end"), today)
    view = request.GET.get("view", "cohort")
    breakdown = request.GET.get("by", "none")
    error = ""
    context: dict[str, Any] = {}
    try:
        spec = FunnelSpec(
            view=view,  # type: ignore[arg-type]
            start=dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC),
            end=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
            breakdown=breakdown,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        error = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    else:
        period = Period(spec.start, spec.end)
        lines, definition, funnel_chart = _funnel_section(workspace, spec)
        context = {
            "tiles": [
                Tile(h, _metric_link(h.metric.key, period))
                for h in headlines(workspace.pk, spec.start, spec.end)
            ],
            "lines": lines,
            "definition": definition,
            "funnel_chart": funnel_chart,
            "pipeline": _pipeline_section(workspace.pk, period),
            "sla": _sla_section(workspace.pk, period),
            "quality": _quality_section(workspace.pk, period),
            "costs": _cost_section(workspace.pk, period),
            "goals": _goals_section(workspace.pk, today),
        }
    figures = figures_of(request)
    if figures is not None and figures.oldest is not None:  # some results from before a change
        context["figures_as_of"] = dt.datetime.fromtimestamp(figures.oldest, tz=dt.UTC)
        context["figures_within"] = round(figures.seconds)
    return render(
        request,
        "web/dashboard.html",
        {
            **context,
            "stages": _stage_headers(workspace, view),
            "currency": workspace.default_currency,
            "view": view,
            "by": breakdown,
            "breakdowns": BREAKDOWNS,
            "start": start,
            "end": end,
            "error": error,
        },
        status=400 if error else 200,
    )
