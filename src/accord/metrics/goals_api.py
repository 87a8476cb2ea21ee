"""REST endpoints of revenue goals: list, set (create or replace), delete, and the plan — the
goal worked back into each stage's count with ranges, each team's numbers and the pacing. The
plan's document is `accord.metrics.goal_presentation`'s, the same `accord goal plan --format
json` prints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.schemas import InSchema, RecordId, ResultList
from accord.metrics import goals
from accord.metrics.goal_presentation import goal_document, goal_out
from accord.metrics.planning import goal_report

router = Router(tags=["goals"])

MONEY = "Money as a string with two decimals."


class GoalIn(InSchema):
    period: Literal["month", "quarter"] = Field(description="The goal's period.")
    period_start: dt.date = Field(
        description="The first day of the month, or of the quarter (1 Jan, 1 Apr, 1 Jul, 1 Oct)."
    )
    revenue: Decimal | str = Field(description="The revenue goal (> 0), a number or a string.")
    segment: Literal["", "smb", "mid_market", "enterprise"] = Field(
        "", description="'' for the whole workspace, or one company-size segment."
    )
    lookback_days: int = Field(
        365, description="Days of history the plan's rates and deal size come from (30-1095)."
    )
    channels: list[str] = Field(
        default_factory=list,
        description="The channel mix the plan's history comes from (original sources, e.g. "
        "['webinar', 'event']); empty for every channel. Not with a segment.",
    )
    note: str = Field("", description="Why this number (shown next to the goal).")


class GoalOut(Schema):
    id: int
    title: str = Field(description="'December 2026 · All segments'.")
    period: Literal["month", "quarter"]
    period_start: dt.date
    period_end: dt.date = Field(description="The period's last day (inclusive).")
    revenue: str = Field(description=MONEY)
    segment: str = Field(description="'' for all segments, else smb, mid_market or enterprise.")
    segment_label: str
    lookback_days: int
    channels: list[str] = Field(description="The plan's channel mix; [] for every channel.")
    note: str
    created_by: str | None = Field(description="The email of who set the goal first.")
    created_at: dt.datetime
    updated_at: dt.datetime


class CountRangeOut(Schema):
    point: int = Field(description="The count the plan needs at the observed rates.")
    low: int
    high: int


class RateRangeOut(Schema):
    point: float = Field(description="The observed (or given) rate to the next stage.")
    low: float = Field(description="The 95% posterior interval's low end.")
    high: float


class MoneyRangeOut(Schema):
    point: str = Field(description=MONEY)
    low: str
    high: str


class StageOut(Schema):
    stage: str = Field(description="lead, mql, sal, sql, opportunity, customer (won deals).")
    label: str
    team: Literal["marketing", "sales"]
    required: CountRangeOut = Field(description="What the goal needs in its period, 95% range.")
    rate_to_next: RateRangeOut | None = Field(description="null for the last stage.")
    cycle_days: float | None = Field(description="Mean days in this stage (time_in_stage).")


class PlanOut(Schema):
    confidence: float
    stages: list[StageOut] = Field(description="Leads first, won deals last.")
    budget: MoneyRangeOut | None = Field(description="Leads x cost per lead.")
    budget_reason: str | None = Field(description="Why there is no budget, if there is none.")
    lead_time_days: float | None = Field(description="Sum of the stages' mean days.")


class MarketingOut(Schema):
    stages: list[StageOut] = Field(description="Leads and MQLs.")
    budget: MoneyRangeOut | None


class SalesOut(Schema):
    stages: list[StageOut] = Field(description="SALs, SQLs, opportunities and won deals.")
    budget: None = None


class TeamsOut(Schema):
    marketing: MarketingOut
    sales: SalesOut


class StageRateOut(Schema):
    from_stage: str
    to_stage: str
    successes: int = Field(description="Cohort contacts who reached to_stage.")
    trials: int = Field(description="Cohort contacts who reached from_stage.")


class HistoryOut(Schema):
    average_deal_size: str = Field(description=f"From average_deal_size. {MONEY}")
    deal_sample_size: int = Field(description="Won deals the average is taken over.")
    cost_per_lead: str | None = Field(description="From cost_per_lead; null for a segment.")
    stage_rates: list[StageRateOut] = Field(description="From the cohort funnel.")
    cycle_days: dict[str, float] = Field(description="Mean days per stage (time_in_stage).")


class LookbackOut(Schema):
    start: dt.datetime
    end: dt.datetime = Field(description="Exclusive: the period's start, or today if earlier.")


class PacingRowOut(Schema):
    stage: str = Field(description="A plan stage, or 'revenue'.")
    label: str
    team: Literal["marketing", "sales", "both"]
    kind: Literal["count", "money"]
    target: int | str = Field(description="The plan's count, or the revenue goal (money).")
    actual: int | str = Field(description="To date in the period, today included.")
    expected: float | str | None = Field(description="target x the share of the period gone.")
    projected: float | str | None = Field(description="Where the period ends at this pace.")
    status: Literal["ahead", "on track", "behind"] | None = Field(
        description="Projected within ±5% of the target: on track. null before the period."
    )
    reason: str = Field(description="Why there is no status, if so.")
    link: str = Field(description="The web list of the records behind the actual.")


class PacingOut(Schema):
    today: dt.date
    elapsed: float = Field(description="Share of the period's days gone, today included.")
    rows: list[PacingRowOut]


class GoalPlanOut(Schema):
    goal: GoalOut
    lookback: LookbackOut
    history: HistoryOut | None
    plan: PlanOut | None
    teams: TeamsOut | None = Field(description="Each team's own numbers.")
    pacing: PacingOut
    not_enough_data: str | None = Field(description="Why there is no plan, if so.")


@router.get("/goals", response=ResultList[GoalOut])
def list_goals(request: HttpRequest) -> dict[str, Any]:
    """The workspace's revenue goals, latest period first."""
    workspace = request_membership(request).workspace
    return {"results": [goal_out(g) for g in goals.goal_list(workspace)]}


@router.post("/goals", response={200: GoalOut, 201: GoalOut})
def set_goal(request: HttpRequest, payload: GoalIn) -> Status[Any]:
    """Set the revenue goal of a month or quarter (and segment): 201 when it is new, 200 when
    it replaces that period's goal. Managers and admins only (else 403)."""
    actor = request_actor(request)
    goal, created = goals.goal_save(actor=actor, values=payload.to_values())
    return Status(201 if created else 200, goal_out(goal))


@router.delete("/goals/{goal_id}", response={204: None})
def delete_goal(request: HttpRequest, goal_id: RecordId) -> Status[None]:
    """Managers and admins only."""
    goals.goal_delete(actor=request_actor(request), goal_id=goal_id)
    return Status(204, None)


@router.get("/goals/{goal_id}/plan", response=GoalPlanOut)
def get_goal_plan(request: HttpRequest, goal_id: RecordId) -> dict[str, Any]:
    """The goal worked back from the workspace's history into every stage's count (with 95%
    ranges), the budget, each team's numbers, and the pacing to date. Missing history is
    `not_enough_data` with the reason (200), never an error."""
    goal = goals.goal_get(request_membership(request).workspace, goal_id)
    return goal_document(goal_report(goal, timezone.localdate()))
