"""REST endpoints of the metrics layer: the catalogue of metrics with their written definitions,
and the funnel. The document is `accord.metrics.presentation`'s, the same the CLI prints with
`accord report funnel --format json`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from accord.api.auth import request_membership
from accord.definitions.api import RateOut
from accord.metrics.funnel import Breakdown, Engine, funnel
from accord.metrics.presentation import funnel_document, funnel_spec, metric_catalogue

router = Router(tags=["metrics"])
DEFAULT_DAYS = 90


class MetricViewOut(Schema):
    view: str
    definition: str


class MetricOut(Schema):
    name: str
    title: str
    path: str
    command: str
    views: list[MetricViewOut] = Field(description="Each view with its written definition.")
    breakdowns: list[str]


class MetricsOut(Schema):
    metrics: list[MetricOut]


class FunnelParams(Schema):
    view: Literal["cohort", "period"] = Field(
        "cohort", description="cohort: contacts created in the period; period: transitions in it."
    )
    start: dt.datetime | None = Field(
        None, description=f"Inclusive, with a UTC offset; default {DEFAULT_DAYS} days before end."
    )
    end: dt.datetime | None = Field(None, description="Exclusive, with a UTC offset; default now.")
    breakdown: Breakdown = "none"
    engine: Literal["auto", "record_store", "columnar"] = Field(
        "auto", description="auto: the record store for small workspaces, else the columnar copy."
    )


class FunnelRowOut(Schema):
    dimension: str = Field(description="The breakdown's value ('' for all contacts or none).")
    label: str
    counts: dict[str, int] = Field(description="Contacts (cohort) or transitions (period).")
    conversions: dict[str, RateOut] = Field(
        description="Cohort view: 'lead→mql' … with a 95% Wilson interval; period view: {}."
    )


class FunnelOut(Schema):
    definition: str
    view: Literal["cohort", "period"]
    start: dt.datetime
    end: dt.datetime
    breakdown: Breakdown
    engine: Engine = Field(description="The engine that answered.")
    stages: list[str]
    rows: list[FunnelRowOut]


@router.get("/metrics", response=MetricsOut)
def list_metrics(request: HttpRequest) -> dict[str, Any]:
    """The metrics available here, each with its written definition."""
    request_membership(request)
    return {"metrics": metric_catalogue()}


@router.get("/metrics/funnel", response=FunnelOut)
def get_funnel(request: HttpRequest, params: Query[FunnelParams]) -> dict[str, Any]:
    """How many contacts reached each lifecycle stage (cohort view) or moved into it (period
    view), overall or by source, owner or lead definition version."""
    workspace = request_membership(request).workspace
    end = params.end or timezone.now()
    # The default start follows end; a naive end is reported on its own, not on start too.
    anchor = end if end.tzinfo is not None else timezone.now()
    start = params.start or anchor - dt.timedelta(days=DEFAULT_DAYS)
    spec = funnel_spec(
        {"view": params.view, "start": start, "end": end, "breakdown": params.breakdown}
    )
    return funnel_document(funnel(workspace.pk, spec, engine=params.engine))
