"""The demo's shared goal: this month's revenue, set by the sales manager, a stretch on the
recent pace — so the dashboard's goal pacing and the Goals page have something to show."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from django.db.models import Sum

from accord.crm.models import Deal
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, TeamKind, Workspace
from accord.metrics.goals import goal_set

STRETCH = Decimal("1.10")


def monthly_revenue_goal(workspace: Workspace, as_of: dt.datetime) -> Decimal:
    """The mean won revenue of the last three full months, +10 %, rounded up to $1,000."""
    this_month = as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (this_month - dt.timedelta(days=85)).replace(day=1)
    won = Deal.objects.for_workspace(workspace).filter(
        status="won", closed_at__gte=start, closed_at__lt=this_month
    )
    total = won.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    goal = total / 3 * STRETCH
    return max(Decimal(1000), (goal / 1000).to_integral_value(ROUND_CEILING) * 1000)


def set_demo_goal(workspace: Workspace, as_of: dt.datetime) -> None:
    manager = (
        Membership.objects.for_workspace(workspace)
        .filter(role=Role.MANAGER, team__kind=TeamKind.SALES)
        .select_related("user", "workspace", "team")
        .order_by("id")
        .first()
    )
    if manager is None:
        return
    goal_set(
        actor=Actor.for_membership(manager, Source.DEMO),
        values={
            "period": "month",
            "period_start": as_of.date().replace(day=1),
            "revenue": monthly_revenue_goal(workspace, as_of),
            "note": "Demo: the last three months' pace, +10 %.",
        },
    )
