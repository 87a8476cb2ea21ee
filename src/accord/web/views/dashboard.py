"""The joint dashboard: the funnel both teams read (cohort or period view, a date range, a
breakdown), each number a link to the contacts behind it. The numbers come from the metrics
layer's funnel spec, the same the API and `accord report` run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from accord.core.intervals import Rate
from accord.identity.models import Membership
from accord.metrics.funnel import MAIN_PATH, FunnelSpec, funnel
from accord.metrics.presentation import dimension_labels
from accord.web.views.access import member_view
from accord.web.views.stages import StageCatalogue

BREAKDOWNS = {"none": "No breakdown", "source": "Source", "owner": "Owner",
              "definition_version": "Definition version"}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    count: int
    link: str
    conversion: Rate | None  # into this stage from the previous one (cohort view)


@dataclass(frozen=True)
class Line:
    label: str
    cells: list[Cell]


def _day(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _link(spec: FunnelSpec, stage: str, breakdown_key: str) -> str:
    params: dict[str, str] = {}
    if spec.view == "cohort":
        params |= {"reached": stage, "created_after": spec.start.isoformat(),
                   "created_before": spec.end.isoformat()}  # fmt: skip
    else:
        params |= {"moved_to": stage, "moved_after": spec.start.isoformat(),
                   "moved_before": spec.end.isoformat()}  # fmt: skip
    if spec.breakdown == "source" and breakdown_key:
        params["source"] = breakdown_key
    if spec.breakdown == "owner" and breakdown_key:
        params["owner"] = breakdown_key
    return f"{reverse('web:contacts')}?{urlencode(params)}"


@require_GET
@member_view()
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    today = timezone.localdate()
    start = _day(request.GET.get("start"), today - dt.timedelta(days=90))
    end = _day(request.GET.get("end"), today)
    view = request.GET.get("view", "cohort")
    breakdown = request.GET.get("by", "none")
    error = ""
    lines: list[Line] = []
    definition = ""
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
        result = funnel(workspace.pk, spec, engine="auto")
        definition = result.definition
        labels = dimension_labels(breakdown, [row.dimension for row in result.rows], workspace.pk)
        for row in result.rows:
            cells = []
            for i, stage in enumerate(MAIN_PATH):
                conversion = row.conversions.get(f"{MAIN_PATH[i - 1]}→{stage}") if i else None
                cells.append(
                    Cell(row.counts.get(stage, 0), _link(spec, stage, row.dimension), conversion)
                )
            lines.append(Line(labels[row.dimension], cells))
    catalogue = StageCatalogue.of(workspace)
    return render(
        request,
        "web/dashboard.html",
        {
            "lines": lines,
            # In the cohort view the first step counts every contact created in the period.
            "stages": [
                (s, "Created" if view == "cohort" and i == 0 else catalogue.labels.get(s, s))
                for i, s in enumerate(MAIN_PATH)
            ],
            "view": view,
            "by": breakdown,
            "breakdowns": BREAKDOWNS,
            "start": start,
            "end": end,
            "error": error,
            "definition": definition,
        },
        status=400 if error else 200,
    )
