"""Deals: the list, and the detail page with activities, stage history and the stage form
(move the deal through its pipeline; a won or lost stage closes it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accord.attribution.explain import explain_deal
from accord.core.errors import Conflict, ValidationFailed
from accord.crm.models import Deal, DealOutcome, PipelineStage
from accord.crm.selectors import (
    ActivityFilters,
    DealFilters,
    activity_list,
    deal_get,
    deal_list,
    deal_stage_history,
    pipeline_stages,
)
from accord.crm.services import deals
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.identity.selectors import workspace_users
from accord.web.forms import DealFilterForm
from accord.web.record_forms import DealStageForm
from accord.web.views.access import member_view, web_actor
from accord.web.views.enablement import deal_assets_context
from accord.web.views.listing import render_list
from accord.web.views.records import may_set_sales_terms

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
        context={
            "drill_down": _drill_down(values),
            "filtered": bool(values),
            "can_create": web_actor(membership).can(Action.WRITE_RECORDS),
        },
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


def _stages_of(deal: Deal, membership: Membership) -> QuerySet[PipelineStage]:
    return pipeline_stages(membership.workspace).filter(pipeline_id=deal.pipeline_id)


def _detail_context(
    membership: Membership, deal: Deal, *, stage_form: DealStageForm | None = None
) -> dict[str, Any]:
    workspace = membership.workspace
    actor = web_actor(membership)
    deal_activities = activity_list(workspace, ActivityFilters(deal_id=deal.pk)).order_by(
        "-occurred_at", "-pk"
    )
    if stage_form is None and may_set_sales_terms(actor):
        stage_form = DealStageForm(deal=deal, stages=_stages_of(deal, membership))
    return {
        "deal": deal,
        "activities": deal_activities[:100],
        "stage_history": list(deal_stage_history(workspace, deal.pk)),
        "journey": explain_deal(workspace, deal),
        "can_edit": actor.can(Action.WRITE_RECORDS),
        "stage_form": stage_form,
        **deal_assets_context(membership, deal.pk),
    }


@require_GET
@member_view()
def deal_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    deal = deal_get(membership.workspace, pk)
    return render(request, "web/deals/detail.html", _detail_context(membership, deal))


@require_POST
@member_view(post_requires=Action.WRITE_RECORDS)  # the service refuses a marketer (sales' terms)
def deal_move_stage(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    deal = deal_get(membership.workspace, pk)
    form = DealStageForm(request.POST, deal=deal, stages=_stages_of(deal, membership))
    if form.is_valid():
        previous = deal.stage_id
        try:
            moved = deals.deal_update(
                actor=web_actor(membership), deal_id=deal.pk, values=form.values()
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            if moved.stage_id == previous:
                messages.info(request, f"{moved.name} is already in {moved.stage.label}.")
            elif moved.status == DealOutcome.OPEN:
                messages.success(request, f"Moved {moved.name} to {moved.stage.label}.")
            else:
                outcome = moved.get_status_display().lower()
                messages.success(
                    request, f"Moved {moved.name} to {moved.stage.label}: the deal is {outcome}."
                )
            return redirect("web:deal", pk=deal.pk)
    context = _detail_context(membership, deal, stage_form=form)
    return render(request, "web/deals/detail.html", context, status=400)
