"""Deals: the list and the detail page with activities and stage history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.attribution.explain import explain_deal
from accord.crm.selectors import (
    ActivityFilters,
    DealFilters,
    activity_list,
    deal_get,
    deal_list,
    deal_stage_history,
    pipeline_stages,
)
from accord.identity.models import Membership
from accord.identity.selectors import workspace_users
from accord.web.forms import DealFilterForm
from accord.web.views.access import member_view
from accord.web.views.enablement import deal_assets_context
from accord.web.views.listing import render_list

SORT_COLUMNS = {
    "name": ("name",),
    "company": ("company__name",),
    "stage": ("pipeline__name", "stage__position"),
    "amount": ("currency", "amount"),
    "owner": ("owner__full_name", "owner__email"),
    "close": ("expected_close_date",),
    "created": ("created_at",),
}


@require_GET
@member_view()
def deal_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    form = DealFilterForm(
        request.GET, stages=pipeline_stages(workspace), users=workspace_users(workspace)
    )
    values = form.values()
    filters = DealFilters(
        q=values.get("q", ""),
        status=values.get("status", ""),
        stage_id=values.get("stage"),
        owner_id=values.get("owner"),
        source=values.get("source", ""),
        company_id=values.get("company"),
        closed_after=values.get("closed_after"),
        closed_before=values.get("closed_before"),
        created_after=values.get("created_after"),
        created_before=values.get("created_before"),
    )
    return render_list(
        request,
        template="web/deals/list.html",
        form=form,
        queryset=deal_list(workspace, filters),
        columns=SORT_COLUMNS,
        default_sort="-created",
        context={"drill_down": _drill_down(values)},
    )


def _drill_down(values: dict[str, Any]) -> str:
    """The banner over a list opened from the dashboard, in words."""

    def day(key: str) -> str:
        return f"{values[key]:%d %b %Y}" if values.get(key) else "…"

    status = {"won": "won", "lost": "lost", "open": "open"}.get(values.get("status", ""), "")
    if values.get("closed_after") or values.get("closed_before"):
        noun = f"{status} deals" if status else "Deals"
        return f"{noun.capitalize()} closed {day('closed_after')} to {day('closed_before')}."
    if values.get("created_after") or values.get("created_before"):
        noun = f"{status} deals" if status else "Deals"
        return f"{noun.capitalize()} created {day('created_after')} to {day('created_before')}."
    return ""


@require_GET
@member_view()
def deal_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    workspace = membership.workspace
    deal = deal_get(workspace, pk)
    deal_activities = activity_list(workspace, ActivityFilters(deal_id=deal.pk)).order_by(
        "-occurred_at", "-pk"
    )
    return render(
        request,
        "web/deals/detail.html",
        {
            "deal": deal,
            "activities": deal_activities[:100],
            "stage_history": list(deal_stage_history(workspace, deal.pk)),
            "journey": explain_deal(workspace, deal),
            **deal_assets_context(membership, deal.pk),
        },
    )
