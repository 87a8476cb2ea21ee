"""What both teams read about the handoff: the SLA report (each side's compliance) and
marketing's view of dispositions with their reasons, where a rejection can be disputed once and
a manager resolves it."""

from __future__ import annotations

import datetime as dt
from typing import get_args

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import AccordError
from accord.core.periods import last_days
from accord.handoff import dispositions as decisions
from accord.handoff.api_queries import HandoffFilters, handoff_list
from accord.handoff.models import DisputeOutcome, HandoffStatus
from accord.handoff.reports import Dimension, dispositions, sla_report
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.web.views.access import member_view, web_actor

PERIODS = {"30": 30, "90": 90, "180": 180, "365": 365}
DIMENSIONS: dict[str, str] = {
    "campaign": "Campaign",
    "source": "Source",
    "definition_version": "Definition version",
    "owner": "Owner",
}


def _period(request: HttpRequest) -> tuple[str, dt.datetime, dt.datetime]:
    """The last N days, today included, as whole UTC days: the dashboard's window, so that the
    same default period gives the same numbers on both."""
    days = request.GET.get("days", "90")
    if days not in PERIODS:
        days = "90"
    start, end = last_days(PERIODS[days])
    return days, start, end


@require_GET
@member_view()
def sla_report_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    days, start, end = _period(request)
    report = sla_report(membership.workspace, start, end)
    return render(
        request,
        "web/handoff/sla_report.html",
        {"report": report, "days": days, "periods": PERIODS},
    )


@require_GET
@member_view()
def disposition_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    days, start, end = _period(request)
    by = request.GET.get("by", "campaign")
    if by not in get_args(Dimension):
        by = "campaign"
    rows = dispositions(membership.workspace, by, start, end)  # type: ignore[arg-type]
    rejected = handoff_list(
        membership.workspace,
        HandoffFilters(status=HandoffStatus.REJECTED, assigned_after=start),
    ).order_by("-decided_at")[:100]
    actor = web_actor(membership)
    return render(
        request,
        "web/handoff/dispositions.html",
        {
            "rows": rows,
            "by": by,
            "dimensions": DIMENSIONS,
            "days": days,
            "periods": PERIODS,
            "rejected": list(rejected),
            "can_dispute": actor.can(Action.DISPUTE_HANDOFFS),
            "can_resolve": actor.can(Action.RESOLVE_DISPUTES),
            "pending": DisputeOutcome.PENDING,
        },
    )


@require_POST
@member_view(post_requires=Action.DISPUTE_HANDOFFS)
def handoff_dispute(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    try:
        decisions.handoff_dispute(
            actor=web_actor(membership), handoff_id=pk, comment=request.POST.get("comment", "")
        )
    except AccordError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Dispute raised; the sales manager has been told.")
    return redirect("web:dispositions")


@require_POST
@member_view(post_requires=Action.RESOLVE_DISPUTES)
def dispute_resolve(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    try:
        dispute = decisions.dispute_resolve(
            actor=web_actor(membership),
            handoff_id=pk,
            outcome=request.POST.get("outcome", ""),
            resolution=request.POST.get("resolution", ""),
        )
    except AccordError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Dispute resolved: {dispute.get_outcome_display().lower()}.")
    return redirect("web:dispositions")
