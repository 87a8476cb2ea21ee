"""Goals: the workspace's revenue goals with a form to set one (managers and admins; everyone
else reads), and a goal's page — the plan stage by stage with its ranges, the budget, each
team's own numbers side by side, and the pacing with every actual linked to its records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.channels import Channel
from accord.core.errors import ValidationFailed
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.metrics import goals
from accord.metrics import reverse_funnel as rf
from accord.metrics.goals import LOOKBACK_DEFAULT, LOOKBACK_MAX, LOOKBACK_MIN, can_set_goals
from accord.metrics.models import GoalPeriod, GoalSegment
from accord.metrics.planning import STAGE_LABELS, goal_report
from accord.web.views.access import member_view, web_actor

FORM_FIELDS = ("period", "period_start", "revenue", "segment", "lookback_days", "note")


def _next_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


# Goals set on this page and read by every member: the service checks who may set one.
@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.READ)
def goal_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    actor = web_actor(membership)
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {
        "period": GoalPeriod.MONTH,
        "period_start": _next_month(timezone.localdate()).isoformat(),
        "revenue": "",
        "segment": "",
        "lookback_days": str(LOOKBACK_DEFAULT),
        "channels": [],
        "note": "",
    }
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in FORM_FIELDS}
        form["channels"] = request.POST.getlist("channels")
        try:
            goal = goals.goal_set(actor=actor, values=form)
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f"Goal set: {goal.title}.")
            return redirect("web:goal", pk=goal.pk)
    today = timezone.localdate()
    return render(
        request,
        "web/goals/index.html",
        {
            "goals": list(goals.goal_list(workspace)),
            "today": today,
            "can_set": can_set_goals(actor),
            "form": form,
            "errors": errors,
            "periods": GoalPeriod.choices,
            "segments": GoalSegment.choices,
            "channels": Channel.choices,
            "lookback_min": LOOKBACK_MIN,
            "lookback_max": LOOKBACK_MAX,
            "currency": workspace.default_currency,
        },
        status=400 if errors else 200,
    )


def _team_rows(plan: rf.Plan) -> dict[str, list[rf.Stage]]:
    return {"marketing": list(plan.for_marketing().stages), "sales": list(plan.for_sales().stages)}


@require_GET
@member_view()
def goal_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    workspace = membership.workspace
    goal = goals.goal_get(workspace, pk)
    report = goal_report(goal, timezone.localdate())
    plan = report.plan if isinstance(report.plan, rf.Plan) else None
    return render(
        request,
        "web/goals/detail.html",
        {
            "goal": goal,
            "report": report,
            "plan": plan,
            "history": report.history if isinstance(report.history, rf.History) else None,
            "not_enough_data": report.plan.reason
            if isinstance(report.plan, rf.NotEnoughData)
            else "",
            "teams": _team_rows(plan) if plan else None,
            "pacing": report.pacing,
            "labels": STAGE_LABELS,
            "can_set": can_set_goals(web_actor(membership)),
            "currency": workspace.default_currency,
        },
    )


@require_POST
@member_view(post_requires=Action.READ)  # who may delete is checked by the service
def goal_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    goal = goals.goal_get(membership.workspace, pk)
    title = goal.title
    goals.goal_delete(actor=web_actor(membership), goal_id=pk)
    messages.success(request, f"Goal deleted: {title}.")
    return redirect("web:goals")
