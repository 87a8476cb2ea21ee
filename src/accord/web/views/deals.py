"""Deals: the list and the detail page with activities and stage history."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

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
    )
    return render_list(
        request,
        template="web/deals/list.html",
        form=form,
        queryset=deal_list(workspace, filters),
        columns=SORT_COLUMNS,
        default_sort="-created",
    )


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
        },
    )
