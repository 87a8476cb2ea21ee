"""Campaigns: the list and the detail page with spend, reach and cost entries."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.identity.models import Membership
from accord.marketing.selectors import (
    CampaignFilters,
    TouchpointFilters,
    campaign_costs,
    campaign_get,
    campaign_list,
    campaign_summary,
    touchpoint_list,
)
from accord.web.forms import CampaignFilterForm
from accord.web.views.access import member_view
from accord.web.views.listing import render_list

SORT_COLUMNS = {
    "name": ("name",),
    "channel": ("channel",),
    "type": ("type",),
    "start": ("start_date",),
    "end": ("end_date",),
    "budget": ("currency", "budget"),
}
RECENT_TOUCHPOINTS = 20


@require_GET
@member_view()
def campaign_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = CampaignFilterForm(request.GET)
    values = form.values()
    filters = CampaignFilters(
        q=values.get("q", ""), channel=values.get("channel", ""), type=values.get("type", "")
    )
    return render_list(
        request,
        template="web/campaigns/list.html",
        form=form,
        queryset=campaign_list(membership.workspace, filters),
        columns=SORT_COLUMNS,
        default_sort="-start",
    )


@require_GET
@member_view()
def campaign_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    workspace = membership.workspace
    campaign = campaign_get(workspace, pk)
    summary = campaign_summary(workspace, campaign.pk)
    touchpoints = touchpoint_list(workspace, TouchpointFilters(campaign_id=campaign.pk)).order_by(
        "-occurred_at", "-pk"
    )
    budget_used = (
        round(summary.spend / campaign.budget * 100)
        if campaign.budget and campaign.budget > 0
        else None
    )
    return render(
        request,
        "web/campaigns/detail.html",
        {
            "campaign": campaign,
            "summary": summary,
            "budget_used": budget_used,
            "costs": list(campaign_costs(workspace, campaign.pk)),
            "touchpoints": touchpoints[:RECENT_TOUCHPOINTS],
        },
    )
