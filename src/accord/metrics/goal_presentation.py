"""Goals as their readers get them: one JSON document per goal and per plan, the same from the
REST API (`/api/v1/goals`, `/api/v1/goals/{id}/plan`) and the CLI (`accord goal list|plan
--format json`). Money is a string with two decimals, as everywhere in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accord.metrics import reverse_funnel as rf
from accord.metrics.models import Goal
from accord.metrics.planning import STAGE_LABELS, GoalPacing, GoalReport, PacingRow

CENT = Decimal("0.01")


def money(value: Decimal | int | float | None) -> str | None:
    return None if value is None else format(Decimal(value).quantize(CENT), "f")


def _instant(value: dt.datetime) -> str:
    text = value.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def goal_out(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "title": goal.title,
        "period": goal.period,
        "period_start": goal.period_start.isoformat(),
        "period_end": goal.period_end.isoformat(),
        "revenue": money(goal.revenue),
        "segment": goal.segment,
        "segment_label": goal.segment_label,
        "lookback_days": goal.lookback_days,
        "channels": list(goal.channels),
        "note": goal.note,
        "created_by": goal.created_by.email if goal.created_by else None,
        "created_at": _instant(goal.created_at),
        "updated_at": _instant(goal.updated_at),
    }


def _range(r: rf.Range[Any] | None, *, as_money: bool = False) -> dict[str, Any] | None:
    if r is None:
        return None
    if as_money:
        return {"point": money(r.point), "low": money(r.low), "high": money(r.high)}
    return {"point": r.point, "low": r.low, "high": r.high}


def _stage(stage: rf.Stage) -> dict[str, Any]:
    return {
        "stage": stage.name,
        "label": STAGE_LABELS.get(stage.name, stage.name),
        "team": stage.team,
        "required": _range(stage.required),
        "rate_to_next": _range(stage.rate_to_next),
        "cycle_days": stage.cycle_days,
    }


def _history(history: rf.History | rf.NotEnoughData) -> dict[str, Any] | None:
    if isinstance(history, rf.NotEnoughData):
        return None
    return {
        "average_deal_size": money(history.average_deal_size),
        "deal_sample_size": history.deal_sample_size,
        "cost_per_lead": money(history.cost_per_lead),
        "stage_rates": [
            {
                "from_stage": s.from_stage,
                "to_stage": s.to_stage,
                "successes": s.successes,
                "trials": s.trials,
            }
            for s in history.stage_rates
        ],
        "cycle_days": dict(history.cycle_days),
    }


def _plan(plan: rf.Plan | rf.NotEnoughData) -> tuple[dict[str, Any] | None, Any]:
    if isinstance(plan, rf.NotEnoughData):
        return None, None
    budget = _range(plan.budget, as_money=True)
    marketing, sales = plan.for_marketing(), plan.for_sales()
    document = {
        "confidence": plan.confidence,
        "stages": [_stage(s) for s in plan.stages],
        "budget": budget,
        "budget_reason": plan.budget_reason,
        "lead_time_days": plan.lead_time_days,
    }
    teams = {
        "marketing": {"stages": [_stage(s) for s in marketing.stages], "budget": budget},
        "sales": {"stages": [_stage(s) for s in sales.stages], "budget": None},
    }
    return document, teams


def _number(row: PacingRow, value: float | Decimal | int | None) -> Any:
    if value is None:
        return None
    if row.kind == "money":
        return money(value)
    return value if isinstance(value, int) else round(float(value), 2)


def pacing_out(pacing: GoalPacing) -> dict[str, Any]:
    return {
        "today": pacing.today.isoformat(),
        "elapsed": round(pacing.elapsed, 4),
        "rows": [
            {
                "stage": row.stage,
                "label": row.label,
                "team": row.team,
                "kind": row.kind,
                "target": _number(row, row.target),
                "actual": _number(row, row.actual),
                "expected": _number(row, row.expected),
                "projected": _number(row, row.projected),
                "status": row.status,
                "reason": row.reason,
                "link": row.link,
            }
            for row in pacing.rows
        ],
    }


def goal_document(report: GoalReport) -> dict[str, Any]:
    """The goal, the history it was planned from, the plan with ranges, each team's view and
    the pacing: what `GET /api/v1/goals/{id}/plan` answers and `accord goal plan --format
    json` prints."""
    plan, teams = _plan(report.plan)
    reason = None
    if isinstance(report.plan, rf.NotEnoughData):
        reason = report.plan.reason
    return {
        "goal": goal_out(report.goal),
        "lookback": {
            "start": _instant(report.lookback_start),
            "end": _instant(report.lookback_end),
        },
        "history": _history(report.history),
        "plan": plan,
        "teams": teams,
        "pacing": pacing_out(report.pacing),
        "not_enough_data": reason,
    }
