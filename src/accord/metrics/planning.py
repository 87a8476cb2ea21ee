"""A stored revenue goal turned into each team's numbers, and paced.

- **History** (`history_for`) comes only from the metrics layer, never from a second definition:
  the stage rates lead → MQL → SAL → SQL → opportunity → customer from the cohort funnel of the
  contacts created in the look-back window (successes and trials: the contacts who reached
  consecutive stages, by now), the average deal size and its sample from `average_deal_size`,
  the cost per lead from `cost_per_lead` and the mean days in each stage from `time_in_stage`,
  all over the same window. A segment goal reads the segment's row of each (the funnel's and the
  metrics' "segment" breakdown); spend is not recorded per segment, so a segment's plan has no
  budget and says why.
- **Plan** (`goal_plan`): `reverse_funnel.plan` of the goal's revenue over that history. The
  look-back window is the `lookback_days` before the goal's period starts (or before today, for a
  goal whose period has not started yet), so a plan does not change while its period runs.
- **Pacing** (`goal_pacing`): each stage's target (the plan's point) against the actual to date
  in the goal's period — contacts who moved into the stage (the stage-count metrics), won deals
  (`won_deals`) for the last stage, and revenue (`revenue`) against the revenue goal — paced by
  `reverse_funnel.pace` (today counts as elapsed).

Periods are calendar days in UTC, like the dashboard's. Missing or unusable history is a
`NotEnoughData` with the reason, never NaN and never an exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accord.core.channels import Channel
from accord.crm.segments import SEGMENTS
from accord.metrics import result_cache
from accord.metrics import reverse_funnel as rf
from accord.metrics.catalogue import MetricSpec, measure
from accord.metrics.engine import EngineChoice
from accord.metrics.funnel import Breakdown, FunnelSpec, funnel
from accord.metrics.goals import goals_containing
from accord.metrics.models import Goal
from accord.metrics.values import Value

PATH = ("lead", "mql", "sal", "sql", "opportunity", "customer")
STAGE_LABELS = {
    "lead": "Leads",
    "mql": "MQLs",
    "sal": "SALs",
    "sql": "SQLs",
    "opportunity": "Opportunities",
    "customer": "Won deals",
    "revenue": "Revenue",
}
# The catalogue metric that counts each stage's actuals in a period.
ACTUAL_METRIC = {
    "lead": "leads",
    "mql": "mqls",
    "sal": "sals",
    "sql": "sqls",
    "opportunity": "opportunities",
    "customer": "won_deals",
    "revenue": "revenue",
}
ENGINE: EngineChoice = "auto"
Status = Literal["ahead", "on track", "behind"]
PacingTeam = Literal["marketing", "sales", "both"]
NO_SEGMENT_BUDGET = (
    "Marketing spend is not recorded per segment, so a segment's goal has no cost per lead and "
    "no budget; the all-segments goal has one."
)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _scope_phrase(segment: str, channels: Sequence[str]) -> str:
    if segment:
        return f" in the {SEGMENTS[segment]} segment"
    if channels:
        names = ", ".join(Channel(c).label if c in Channel.values else c for c in channels)
        return f" from {names}"
    return ""


def _measure(
    workspace_id: int, metric: str, start: dt.datetime, end: dt.datetime, breakdown: str
) -> list[Value]:
    spec = MetricSpec(metric=metric, start=start, end=end, breakdown=breakdown)
    return measure(workspace_id, spec, ENGINE).values


def _mean_over(values: Sequence[Value], keys: set[str]) -> tuple[float, int] | None:
    """The mean over the chosen breakdown values, weighting each value's mean by its count."""
    chosen = [v for v in values if v.dimension in keys and v.value is not None and v.n]
    n = sum(v.n or 0 for v in chosen)
    if not n:
        return None
    total = sum(float(v.value or 0) * (v.n or 0) for v in chosen)
    return total / n, n


# History -----------------------------------------------------------------------------------


def history_for(
    workspace_id: int,
    *,
    end: dt.datetime,
    lookback_days: int,
    segment: str = "",
    channels: Sequence[str] = (),
) -> rf.History | rf.NotEnoughData:
    """The look-back window [end - lookback_days, end)'s rates, deal size, cost per lead and
    days in stage, for the whole workspace, one segment, or a channel mix (the contacts and
    deals whose original source is one of `channels`, pooled: counts summed, means weighted by
    their counts)."""
    if segment and segment not in SEGMENTS:
        return rf.NotEnoughData(f"'{segment}' is not a segment ({', '.join(SEGMENTS)}).")
    if segment and channels:
        return rf.NotEnoughData("A plan draws on one segment or on a channel mix, not both.")
    start = end - dt.timedelta(days=lookback_days)
    if start.year < 1900:  # a goal set before goals were bounded: metrics read from 1900 on
        return rf.NotEnoughData(f"The look-back window starts before 1900 ({start:%Y-%m-%d}).")
    window = f"{start:%d %b %Y} to {end - dt.timedelta(days=1):%d %b %Y}"
    where = _scope_phrase(segment, channels)
    breakdown: Breakdown = "segment" if segment else ("source" if channels else "none")
    keys = {segment} if segment else (set(channels) if channels else {""})

    cohort = funnel(
        workspace_id, FunnelSpec(view="cohort", start=start, end=end, breakdown=breakdown),
        ENGINE,
    )  # fmt: skip
    rows = [r for r in cohort.rows if r.dimension in keys]
    counts = {stage: sum(r.counts.get(stage, 0) for r in rows) for stage in PATH}
    if not counts.get("lead"):
        return rf.NotEnoughData(
            f"No leads were created{where} in the look-back window ({window}), so there are "
            "no stage rates to plan with."
        )
    rates = [
        rf.StageRate(before, after, counts.get(after, 0), counts.get(before, 0))
        for before, after in itertools.pairwise(PATH)
    ]

    # The mean deal size over the scope: its revenue over its won deals (exact, in Decimal).
    won = [v for v in _measure(workspace_id, "revenue", start, end, breakdown)
           if v.dimension in keys and isinstance(v.value, Decimal) and v.n]  # fmt: skip
    won_deals = sum(v.n or 0 for v in won)
    revenue = sum((Decimal(str(v.value)) for v in won), Decimal(0))
    if not won_deals:
        return rf.NotEnoughData(
            f"No deals were won{where} in the look-back window ({window}), so there is no "
            "average deal size to turn revenue into deals."
        )

    cost_per_lead: Decimal | None = None
    if not segment:  # spend is recorded per campaign and channel, never per segment
        spent = sum(
            (v.value for v in _measure(workspace_id, "marketing_spend", start, end, breakdown)
             if v.dimension in keys and isinstance(v.value, Decimal)),
            Decimal(0),
        )  # fmt: skip
        leads = sum(
            v.n or 0
            for v in _measure(workspace_id, "leads", start, end, breakdown)
            if v.dimension in keys
        )
        if spent and leads:
            # Exact, not to the cent: the budget multiplies it by thousands of leads (the
            # presentation rounds what it shows).
            cost_per_lead = spent / leads

    stays = _measure(workspace_id, "time_in_stage", start, end, breakdown)
    days = {}
    for stage in PATH[:-1]:
        mean = _mean_over([v for v in stays if v.item == stage], keys)
        if mean is not None:
            days[stage] = round(mean[0], 2)
    return rf.History(
        average_deal_size=(revenue / won_deals).quantize(Decimal("0.01")),  # to the cent
        deal_sample_size=won_deals,
        stage_rates=rates,
        cost_per_lead=cost_per_lead,
        cycle_days=days,
    )


# Plan --------------------------------------------------------------------------------------


def lookback_end(goal: Goal, today: dt.date) -> dt.datetime:
    """The look-back window ends where the goal's period starts, or today if that is earlier."""
    return midnight(min(goal.period_start, today))


def goal_history(goal: Goal, today: dt.date | None = None) -> rf.History | rf.NotEnoughData:
    end = lookback_end(goal, today or timezone.localdate())
    return history_for(
        goal.workspace_id,
        end=end,
        lookback_days=goal.lookback_days,
        segment=goal.segment,
        channels=goal.channels,
    )


def plan_from(goal: Goal, history: rf.History | rf.NotEnoughData) -> rf.Plan | rf.NotEnoughData:
    if isinstance(history, rf.NotEnoughData):
        return history
    target = rf.Goal(revenue=goal.revenue, period=goal.period,  # type: ignore[arg-type]
                     segment=goal.segment or None)  # fmt: skip
    made = rf.plan(target, history)
    if isinstance(made, rf.Plan) and goal.segment:
        made = dataclasses.replace(made, budget_reason=NO_SEGMENT_BUDGET)
    return made


def goal_plan(goal: Goal, today: dt.date | None = None) -> rf.Plan | rf.NotEnoughData:
    """The goal worked back into every stage's count, with ranges (see the module docstring)."""
    return plan_from(goal, goal_history(goal, today))


# Pacing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PacingRow:
    """One stage's (or the revenue's) pacing in a goal's period."""

    stage: str  # 'lead', 'mql', 'sal', 'sql', 'opportunity', 'customer' (won deals) or 'revenue'
    label: str  # 'Leads' … 'Won deals', 'Revenue'
    team: PacingTeam
    kind: Literal["count", "money"]  # revenue is money, every other row a count
    target: int | Decimal  # the plan's point count, or the revenue goal
    actual: int | Decimal  # to date (today included) in the goal's period
    expected: float | None  # target x the share of the period gone; None before it starts
    projected: float | None  # actual / that share: where the period ends at this pace
    status: Status | None  # ahead / on track (within ±5 %) / behind; None before it starts
    reason: str  # why there is no pacing, when status is None
    link: str  # the records behind `actual` (contacts list or won deals list), '' if none


@dataclass(frozen=True)
class GoalPacing:
    """A goal's pacing on a day: the rows, or why there are none but the revenue's."""

    goal_id: int
    title: str  # 'December 2026 · All segments'
    period: str  # 'month' | 'quarter'
    segment: str  # '' for all segments
    period_start: dt.date
    period_end: dt.date  # inclusive
    today: dt.date
    elapsed: float  # share of the period's days gone, today included (0 before it starts)
    rows: list[PacingRow]  # the plan's stages in path order, then revenue
    not_enough_data: str | None  # why the plan (so every stage row) is missing; revenue stays
    link: str  # the goal's page


def actuals_window(goal: Goal, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[the period's first day, the end of today or of the period's last day), for a `today`
    on or after the period's first day."""
    last = min(today, goal.period_end)
    return midnight(goal.period_start), midnight(last + dt.timedelta(days=1))


def _url(name: str, params: dict[str, str]) -> str:
    try:
        return f"{reverse(name)}?{urlencode(params)}"
    except NoReverseMatch:  # a deployment without the web app
        return ""


def records_link(stage: str, start: dt.datetime, end: dt.datetime) -> str:
    """The list of the records counted as a stage's actual in [start, end)."""
    if stage in ("customer", "revenue"):
        window = {"closed_after": start.isoformat(), "closed_before": end.isoformat()}
        return _url("web:deals", {"status": "won", **window})
    window = {"moved_after": start.isoformat(), "moved_before": end.isoformat()}
    return _url("web:contacts", {"moved_to": stage, **window})


def goal_link(goal: Goal) -> str:
    try:
        return reverse("web:goal", args=[goal.pk])
    except NoReverseMatch:
        return ""


def _actual(goal: Goal, stage: str, start: dt.datetime, end: dt.datetime) -> int | Decimal:
    # Actuals are the goal's own scope: the whole workspace, or its segment (a channel mix
    # says where the plan's history comes from, not which revenue counts).
    breakdown = "segment" if goal.segment else "none"
    values = _measure(goal.workspace_id, ACTUAL_METRIC[stage], start, end, breakdown)
    value = next((v for v in values if v.dimension == goal.segment), None)
    if value is None or value.value is None:
        return Decimal("0.00") if stage == "revenue" else 0
    if stage == "revenue":
        return Decimal(str(value.value))
    return int(value.value)


def _row(
    goal: Goal, stage: str, team: PacingTeam, target: int | Decimal, today: dt.date
) -> PacingRow:
    money = stage == "revenue"
    actual: int | Decimal = Decimal("0.00") if money else 0
    link = ""
    if today >= goal.period_start:  # before the period starts nothing can have happened in it
        start, end = actuals_window(goal, today)
        actual = _actual(goal, stage, start, end)
        link = records_link(stage, start, end)
    # reverse_funnel.pace works in whole numbers: revenue goes in as cents.
    scale = 100 if money else 1
    paced = rf.pace(int(target * scale), int(actual * scale), goal.period_start,
                    goal.period_end, today)  # fmt: skip
    expected = projected = None
    status: Status | None = None
    reason = ""
    if isinstance(paced, rf.NotEnoughData):
        reason = paced.reason
    else:
        expected = round(paced.expected_to_date / scale, 2)
        projected = round(paced.projected / scale, 2)
        status = paced.status
    return PacingRow(
        stage=stage,
        label=STAGE_LABELS[stage],
        team=team,
        kind="money" if money else "count",
        target=target,
        actual=actual,
        expected=expected,
        projected=projected,
        status=status,
        reason=reason,
        link=link,
    )


def goal_pacing(
    goal: Goal, today: dt.date, *, plan: rf.Plan | rf.NotEnoughData | None = None
) -> GoalPacing:
    """Each stage's target against its actual to date (see the module docstring); `plan` is
    the goal's plan when the caller has it already."""
    made = goal_plan(goal, today) if plan is None else plan
    rows = []
    if isinstance(made, rf.Plan):
        rows = [_row(goal, s.name, s.team, s.required.point, today) for s in made.stages]
    rows.append(_row(goal, "revenue", "both", goal.revenue, today))
    total = (goal.period_end - goal.period_start).days + 1
    gone = min(max((today - goal.period_start).days + 1, 0), total)
    return GoalPacing(
        goal_id=goal.pk,
        title=goal.title,
        period=goal.period,
        segment=goal.segment,
        period_start=goal.period_start,
        period_end=goal.period_end,
        today=today,
        elapsed=gone / total,
        rows=rows,
        not_enough_data=made.reason if isinstance(made, rf.NotEnoughData) else None,
        link=goal_link(goal),
    )


# Everything a goal's page, the API and the CLI show ------------------------------------------


@dataclass(frozen=True)
class GoalReport:
    goal: Goal
    today: dt.date
    lookback_start: dt.datetime
    lookback_end: dt.datetime  # exclusive
    history: rf.History | rf.NotEnoughData
    plan: rf.Plan | rf.NotEnoughData
    pacing: GoalPacing


def goal_report(goal: Goal, today: dt.date | None = None) -> GoalReport:
    day = today or timezone.localdate()
    end = lookback_end(goal, day)
    history = history_for(
        goal.workspace_id, end=end, lookback_days=goal.lookback_days, segment=goal.segment
    )
    made = plan_from(goal, history)
    return GoalReport(
        goal=goal,
        today=day,
        lookback_start=end - dt.timedelta(days=goal.lookback_days),
        lookback_end=end,
        history=history,
        plan=made,
        pacing=goal_pacing(goal, day, plan=made),
    )


def dashboard_goals(workspace_id: int, today: dt.date) -> list[GoalPacing]:
    """The pacing of every goal whose month or quarter contains `today` (month goals first,
    then by segment), for the dashboard.

    Returns a list of `GoalPacing` (empty when no goal's period contains today), each with:
    `goal_id`, `title` ('December 2026 · All segments'), `period`, `segment`, `period_start`,
    `period_end` (inclusive), `today`, `elapsed` (0-1), `link` (the goal's page),
    `not_enough_data` (why the plan is missing, else None) and `rows`: a list of `PacingRow`,
    the plan's stages in path order (lead, mql, sal, sql, opportunity, customer = won deals;
    absent when the plan is missing) then 'revenue', each with `stage`, `label`, `team`
    ('marketing' | 'sales' | 'both'), `kind` ('count' | 'money'), `target` (int, or Decimal
    for revenue), `actual` (the same type, to date, today included), `expected` and
    `projected` (floats, None before the period starts), `status` ('ahead' | 'on track' |
    'behind' | None), `reason` (why status is None) and `link` (the contacts or won deals list
    behind the actual). Template: web/goals/pacing_panel.html renders one `GoalPacing`.
    """
    return result_cache.cached(  # the dashboard asks on every view; goals change rarely
        workspace_id, f"goal-pacing|{today.isoformat()}",
        lambda: [goal_pacing(goal, today) for goal in goals_containing(workspace_id, today)],
    )  # fmt: skip
