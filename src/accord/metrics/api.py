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
from accord.api.schemas import in_range_or_400
from accord.core.periods import last_days
from accord.definitions.api import RateOut
from accord.metrics.catalogue import measure
from accord.metrics.funnel import Breakdown, Engine, funnel
from accord.metrics.presentation import (
    funnel_document,
    funnel_spec,
    metric_catalogue,
    metric_document,
    metric_spec,
)

router = Router(tags=["metrics"])
DEFAULT_DAYS = 90


class MetricViewOut(Schema):
    view: str
    definition: str


class MetricOut(Schema):
    name: str
    title: str
    kind: str = Field(description="count, money, rate, days, growth or funnel.")
    team: str = Field(description="Whose number it chiefly is: marketing, sales or both.")
    path: str
    command: str
    views: list[MetricViewOut] = Field(description="Each view with its written definition.")
    breakdowns: list[str]


class MetricsOut(Schema):
    metrics: list[MetricOut]


class PeriodParams(Schema):
    """The period a report reads; see `_period` for the defaults."""

    start: dt.datetime | None = Field(
        None,
        description=f"Inclusive, with a UTC offset; default {DEFAULT_DAYS} days before end, "
        f"or with neither bound the last {DEFAULT_DAYS} whole UTC days, today included.",
    )
    end: dt.datetime | None = Field(
        None,
        description="Exclusive, with a UTC offset; default now (or midnight UTC "
        "after today, with neither bound).",
    )


class FunnelParams(PeriodParams):
    view: Literal["cohort", "period"] = Field(
        "cohort", description="cohort: contacts created in the period; period: transitions in it."
    )
    breakdown: Breakdown = "none"
    engine: Literal["auto", "record_store", "columnar", "analytics"] = Field(
        "auto",
        description="auto: the record store for small workspaces, else ClickHouse when "
        "ACCORD_ANALYTICS_URL is set, else the columnar copy; analytics: ClickHouse (400 when "
        "it is not configured).",
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


def _period(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """With neither bound, the last 90 days as the dashboard reads them (whole UTC days, today
    included); otherwise the bounds given, a missing one 90 days from the other or now."""
    if start is None and end is None:
        return last_days(DEFAULT_DAYS)
    end = end or timezone.now()
    # The default start follows end; a naive end is reported on its own, not on start too.
    anchor = end if end.tzinfo is not None else timezone.now()
    return start or anchor - dt.timedelta(days=DEFAULT_DAYS), end


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
    in_range_or_400(start=params.start, end=params.end)
    start, end = _period(params.start, params.end)
    spec = funnel_spec(
        {"view": params.view, "start": start, "end": end, "breakdown": params.breakdown}
    )
    return funnel_document(funnel(workspace.pk, spec, engine=params.engine))


class MetricParams(PeriodParams):
    breakdown: str = Field(
        "none",
        description="none, source, campaign, owner, team, segment or definition_version — "
        "the metric's own list is in GET /metrics.",
    )
    engine: Literal["auto", "record_store", "columnar", "analytics"] = Field(
        "auto",
        description="auto: the record store for small workspaces, else ClickHouse when "
        "ACCORD_ANALYTICS_URL is set, else the columnar copy; analytics: ClickHouse (400 when "
        "it is not configured).",
    )


class ValueOut(Schema):
    dimension: str = Field(description="The breakdown's value ('' without a breakdown).")
    label: str
    item: str = Field(description="The stage, reason or period the value is for, if any.")
    item_label: str
    value: int | float | str | None = Field(
        description="Money as a decimal string; rates 0-1; days; null with a reason."
    )
    low: float | str | None = Field(description="95% interval, low (rates, averages, growth).")
    high: float | str | None
    successes: int | None
    n: int | None = Field(description="The count the value rests on.")
    reason: str


class MetricDocumentOut(Schema):
    metric: str
    title: str
    kind: str
    team: str
    definition: str
    items: str
    start: dt.datetime
    end: dt.datetime
    breakdown: str
    engine: Engine
    values: list[ValueOut]
    not_enough_data: str | None = Field(description="Why there are no values, if so.")


@router.get("/metrics/{name}", response=MetricDocumentOut)
def get_metric(request: HttpRequest, name: str, params: Query[MetricParams]) -> dict[str, Any]:
    """One metric of the catalogue (see GET /metrics) for a period, overall or broken down."""
    workspace = request_membership(request).workspace
    in_range_or_400(start=params.start, end=params.end)
    start, end = _period(params.start, params.end)
    spec = metric_spec({"metric": name, "start": start, "end": end, "breakdown": params.breakdown})
    return metric_document(measure(workspace.pk, spec, engine=params.engine))
