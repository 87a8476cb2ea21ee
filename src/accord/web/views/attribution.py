"""Attribution pages: marketing's part in won revenue and pipeline per channel, campaign and
content under one model or all twelve side by side, with spend, ROI and ROAS; the workspace's
chosen model (managers and admins change it); the recognition feed of won deals; and the panel
the joint dashboard shows. The numbers are `attribution.report`'s, the same the API and
`accord attribution` give."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accord.attribution import services
from accord.attribution.models import AttributionModel, AttributionSettings
from accord.attribution.presentation import line_label, recognition_document
from accord.attribution.report import (
    ASSUMES,
    DATA_DRIVEN,
    AttributionReport,
    Line,
    assumes,
    attribution_reports,
)
from accord.attribution.rules import MODELS
from accord.attribution.selectors import recognition_feed
from accord.core.errors import ValidationFailed
from accord.core.periods import in_range, last_days
from accord.identity.models import Membership, Workspace
from accord.identity.permissions import Action
from accord.metrics import charts
from accord.web.views.access import member_view, web_actor

EVERY_MODEL = [*MODELS, *DATA_DRIVEN]
BY = {"channel": "Channel", "campaign": "Campaign", "content": "Content"}
MILESTONES = {"close": "Won revenue", "opportunity": "Pipeline created"}
LEVELS = {"contact": "Contact", "account": "Account"}
DAYS = (30, 90, 180, 365, 730)
FEED_PAGE = 25


def _choice(value: str | None, allowed: Any, default: str) -> str:
    return value if value is not None and value in allowed else default


def _filters(request: HttpRequest, chosen: AttributionSettings) -> dict[str, Any]:
    days = request.GET.get("days", "")
    return {
        "model": _choice(request.GET.get("model"), [*EVERY_MODEL, "all"], chosen.model),
        "by": _choice(request.GET.get("by"), BY, "channel"),
        "milestone": _choice(request.GET.get("milestone"), MILESTONES, "close"),
        "level": _choice(request.GET.get("level"), LEVELS, "contact"),
        "days": int(days) if (days.isascii() and days.isdigit()) and int(days) in DAYS else 365,
    }


def _records_link(line: Line, by: str) -> str:
    """The deals list for a channel (by source); a campaign's own page."""
    if by == "channel" and line.key:
        return f"{reverse('web:deals')}?{urlencode({'source': line.key})}"
    if by == "campaign" and (line.key.isascii() and line.key.isdigit()):
        return reverse("web:campaign", args=[int(line.key)])
    return ""


def _rows(report: AttributionReport, by: str) -> list[dict[str, Any]]:
    return [
        {"label": line_label(line, by), "line": line, "href": _records_link(line, by)}
        for line in report.lines(by)
    ]


CHARTED = 12  # the most lines a credit chart shows


def _charted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["line"].credit > 0][:CHARTED]


def _credit_chart(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    shown = _charted(rows)
    return charts.bars(
        [{"name": r["label"], "credit": float(r["line"].credit), "href": r["href"]}
         for r in shown],
        x="name", y="credit", href_field="href", title=title, x_title=None,
        y_title="Credit", value_format="$,.0f",
    )  # fmt: skip


def _comparison(reports: list[AttributionReport], by: str) -> list[dict[str, Any]]:
    """One row per channel (campaign, content): its credit under each model."""
    labels: dict[str, str] = {}
    credit: dict[tuple[str, str], Any] = {}
    for report in reports:
        for line in report.lines(by):
            labels.setdefault(line.key, line_label(line, by))
            credit[(report.model, line.key)] = line.credit
    ordered = sorted(labels, key=lambda k: -float(credit.get((reports[0].model, k), 0)))
    return [
        {"label": labels[k], "cells": [credit.get((r.model, k)) for r in reports]} for k in ordered
    ]


def _settings_form(chosen: AttributionSettings) -> dict[str, Any]:
    return {
        "model": chosen.model,
        "lookback_days": chosen.lookback_days,
        "half_life_days": f"{chosen.half_life_days:g}",
        "include_activities": chosen.include_activities,
    }


def _page(
    request: HttpRequest,
    membership: Membership,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    workspace = membership.workspace
    chosen = services.settings_for(workspace)
    filters = _filters(request, chosen)
    start, end = last_days(filters["days"])
    models = EVERY_MODEL if filters["model"] == "all" else [filters["model"]]
    reports = attribution_reports(
        workspace, models=models, start=start, end=end,
        milestone=filters["milestone"], level=filters["level"],
        lookback_days=chosen.lookback_days, half_life_days=chosen.half_life_days,
        include_activities=chosen.include_activities,
    )  # fmt: skip
    first = reports[0]
    rows = _rows(first, filters["by"])
    context: dict[str, Any] = {
        "filters": filters,
        "report": first,
        "reports": reports,
        "rows": rows,
        "comparison": _comparison(reports, filters["by"]) if len(reports) > 1 else None,
        "chart": _credit_chart(rows, "") if len(reports) == 1 else None,
        "costed": filters["by"] != "content",
        "settings": chosen,
        "can_choose": web_actor(membership).can(Action.CHOOSE_ATTRIBUTION),
        "form": form
        or {
            "model": chosen.model,
            "lookback_days": chosen.lookback_days,
            "half_life_days": f"{chosen.half_life_days:g}",
            "include_activities": chosen.include_activities,
        },
        "errors": errors or {},
        "models": [(m, AttributionModel(m).label, ASSUMES[m]) for m in EVERY_MODEL],
        "by_choices": BY,
        "milestones": MILESTONES,
        "levels": LEVELS,
        "day_choices": DAYS,
        "currency": workspace.default_currency,
        "chosen_assumes": assumes(chosen.model, chosen.half_life_days),
    }
    return render(request, "web/attribution/index.html", context, status=400 if errors else 200)


@require_GET
@member_view()
def attribution_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


@require_POST
@member_view(post_requires=Action.CHOOSE_ATTRIBUTION)
def attribution_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = {
        "model": request.POST.get("model", ""),
        "lookback_days": request.POST.get("lookback_days", ""),
        "half_life_days": request.POST.get("half_life_days", ""),
        "include_activities": request.POST.get("include_activities") == "on",
    }
    try:
        chosen = services.settings_update(actor=web_actor(membership), values=form)
    except ValidationFailed as exc:
        return _page(request, membership, form=form,
                     errors=exc.fields or {"__all__": [exc.message]})  # fmt: skip
    messages.success(
        request, f"The workspace now credits marketing with the {chosen.get_model_display()} model."
    )
    return redirect(reverse("web:attribution") + "#settings")


@require_GET
@member_view()
def recognition_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    page = Paginator(recognition_feed(workspace), FEED_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/attribution/feed.html",
        {
            "page": page,
            "entries": [recognition_document(e) for e in page.object_list],
            "settings": services.settings_for(workspace),
            "currency": workspace.default_currency,
        },
    )


@require_GET
@member_view()
def attribution_panel_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The dashboard's panel alone, fetched once the dashboard has shown (in a large workspace
    crediting a quarter's deals takes a second or two; the rest of the dashboard need not
    wait). `start` and `end` are the dashboard's days, both included."""
    today = timezone.localdate()
    first = _date(request.GET.get("start"), today - dt.timedelta(days=89))  # 90 days
    last = _date(request.GET.get("end"), today)
    if last < first:
        first, last = last, first
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return render(
        request,
        "web/attribution/panel.html",
        {
            "attribution": attribution_panel(membership.workspace, start, end),
            "currency": membership.workspace.default_currency,
        },
    )


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if in_range(day) else default


def attribution_panel(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The dashboard's panel: won revenue credited per channel in the period under the
    workspace's model, and the latest recognised wins."""
    chosen = services.settings_for(workspace)
    report = attribution_reports(
        workspace, models=[chosen.model], start=start, end=end,
        lookback_days=chosen.lookback_days, half_life_days=chosen.half_life_days,
        include_activities=chosen.include_activities,
    )[0]  # fmt: skip
    rows = _rows(report, "channel")
    shown = _charted(rows)  # the table lists what the chart draws
    return {
        "report": report,
        "rows": shown,
        "more": len(rows) - len(shown),
        "chart": _credit_chart(rows, ""),
        "model_label": AttributionModel(chosen.model).label,
        "recent": [recognition_document(e) for e in recognition_feed(workspace)[:3]],
    }
