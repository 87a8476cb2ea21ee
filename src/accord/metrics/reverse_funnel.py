"""The reverse funnel: a revenue goal worked backwards, from the workspace's own history, into
the won deals, SQLs, SALs, MQLs, leads and budget it needs. Plain Python and numpy, no Django.

- **Rounding.** Won deals = ceil(revenue / average deal size); every earlier stage =
  ceil(next stage / rate). Counts are whole people and deals, rounded up at each stage working
  backwards, in exact rational arithmetic (Decimal/Fraction, never float): 10 customers at an
  exact 10 % lead-to-customer rate is exactly 100 leads, and 2.1 / 0.3 is 7 deals, not 8.
- **Ranges.** An observed rate (successes of trials in the look-back window) has the posterior
  Beta(successes + 1, trials - successes + 1), i.e. the uniform (Bayes-Laplace) prior Beta(1, 1).
  We draw 20,000 rates per stage from a seeded numpy Generator, push every draw through the same
  backwards rounding, and report the equal-tailed `confidence` quantiles of the resulting counts.
  Sampling gives the joint interval for the whole chain rather than the much wider product of
  per-stage extremes. A range is widened, if needed, to contain its point value (20 of 20
  observed: the point rate 1.0 lies above every posterior draw). An exact rate (given by hand,
  not observed) has no uncertainty. The deal size is taken as known; ranges come from rates only.
- **Bad input** returns `NotEnoughData(reason)`, never NaN and never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

Number = int | float | Decimal
Team = Literal["marketing", "sales"]
MARKETING_STAGES = frozenset({"subscriber", "lead", "mql"})  # SAL onwards: sales has accepted
DRAWS = 20_000
SEED = 20_240_601
MAX_COUNT = 10**12  # more leads or deals than this in one period is a data error, not a plan
_CEILING = 1e300  # sampled counts are clipped here so a freak draw near 0 cannot give inf
ON_TRACK_BAND = Fraction(5, 100)


@dataclass(frozen=True)
class NotEnoughData:
    reason: str


@dataclass(frozen=True)
class StageRate:
    """Conversion from one stage to the next: observed counts, or an exact hand-given `rate`."""

    from_stage: str
    to_stage: str
    successes: int = 0
    trials: int = 0
    rate: Number | None = None  # when given, the counts are ignored and there is no uncertainty

    @classmethod
    def exact(cls, from_stage: str, to_stage: str, rate: Number) -> StageRate:
        return cls(from_stage, to_stage, rate=rate)


@dataclass(frozen=True)
class History:
    """The look-back window's numbers, for one segment and channel mix chosen by the caller."""

    average_deal_size: Number
    deal_sample_size: int  # won deals the average was taken over
    stage_rates: Sequence[StageRate]  # consecutive, from the first stage (lead) to won
    cost_per_lead: Number | None = None
    cycle_days: Mapping[str, float] = field(default_factory=dict)  # median days, stage to next
    marketing_stages: frozenset[str] = MARKETING_STAGES


@dataclass(frozen=True)
class Goal:
    revenue: Number
    period: Literal["month", "quarter"] = "month"
    segment: str | None = None


@dataclass(frozen=True)
class Range[T]:
    point: T
    low: T
    high: T


@dataclass(frozen=True)
class Stage:
    name: str
    team: Team
    required: Range[int]
    rate_to_next: Range[float] | None  # None for the last (won) stage
    cycle_days: float | None  # median days to the next stage, when known


@dataclass(frozen=True)
class TeamView:
    team: Team
    goal: Goal
    stages: tuple[Stage, ...]
    budget: Range[Decimal] | None


@dataclass(frozen=True)
class Plan:
    goal: Goal
    confidence: float
    stages: tuple[Stage, ...]  # first stage (leads) first, won last
    budget: Range[Decimal] | None
    budget_reason: str | None  # why there is no budget, when there is none
    lead_time_days: float | None  # sum of the median cycle times; None if any is unknown

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    @property
    def won(self) -> Range[int]:
        return self.stages[-1].required

    @property
    def leads(self) -> Range[int]:
        return self.stages[0].required

    def for_marketing(self) -> TeamView:
        stages = tuple(s for s in self.stages if s.team == "marketing")
        return TeamView("marketing", self.goal, stages, self.budget)

    def for_sales(self) -> TeamView:
        stages = tuple(s for s in self.stages if s.team == "sales")
        return TeamView("sales", self.goal, stages, None)


def _decimal(value: object) -> Decimal | None:
    """A Decimal from an int, float (via its shortest repr, so 0.1 is 0.1) or Decimal; None when
    it is not finite or its magnitude is outside 1e-12..1e15 (zero aside), where exact fractions
    would grow without bound and no real goal, deal, rate or cost lies."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or (number and not -12 <= number.adjusted() <= 15):
        return None
    return number


def _show(value: object) -> str:
    """A user-given value for a message, never raising (huge ints cannot become strings)."""
    try:
        text = repr(value) if isinstance(value, str) else str(value)
    except ValueError:
        text = "a number too large to show"
    return text if len(text) <= 40 else text[:37] + "..."


def _problem(goal: Goal, history: History, confidence: float) -> str | None:
    """Why the goal and history cannot make a plan, if they cannot (checked in this order)."""
    revenue, deal = _decimal(goal.revenue), _decimal(history.average_deal_size)
    checks = [
        (revenue is None or revenue <= 0,
         f"The revenue goal must be a positive amount up to 1e15, not {_show(goal.revenue)}."),
        (goal.period not in ("month", "quarter"),
         f"The period must be 'month' or 'quarter', not {_show(goal.period)}."),
        (not (isinstance(confidence, float | int) and 0 < confidence < 1),
         f"The confidence must be between 0 and 1, not {_show(confidence)}."),
        (deal is None or deal <= 0, "The average deal size must be positive to turn revenue "
         f"into deals, not {_show(history.average_deal_size)}."),
        (history.deal_sample_size < 1,
         "No won deals in the look-back window to take an average deal size from."),
        (not history.stage_rates, "No stage conversion rates in the look-back window."),
    ]  # fmt: skip
    return next((reason for failed, reason in checks if failed), None)


def _rate(step: StageRate, before: StageRate | None) -> Fraction | NotEnoughData:
    name = f"{step.from_stage} → {step.to_stage}"
    s, n = step.successes, step.trials
    if before is not None and before.to_stage != step.from_stage:
        reason = f"The stages are not consecutive: {before.to_stage}, then {step.from_stage}."
    elif step.rate is not None:
        given = _decimal(step.rate)
        if given is not None and 0 < given <= 1:
            return Fraction(given)
        reason = f"The {name} rate must be above 0 and at most 1, not {_show(step.rate)}."
    elif not (isinstance(s, int) and isinstance(n, int)) or not 0 <= s <= n <= MAX_COUNT:
        reason = f"The {name} counts are inconsistent: {s} successes of {n} trials."
    elif n == 0:
        reason = f"No {step.from_stage} was decided in the look-back window ({name}: 0 trials)."
    elif s == 0:
        reason = (f"No {step.from_stage} became {step.to_stage} in the look-back window "
                  f"(0 of {n}), so there is no {name} rate to plan with.")  # fmt: skip
    else:
        return Fraction(s, n)
    return NotEnoughData(reason)


def _ceil_div(counts: npt.NDArray[np.float64], rate: Fraction) -> npt.NDArray[np.float64]:
    """ceil(count / rate) for an exact rate, exactly, on whole-number float counts."""
    values, inverse = np.unique(counts, return_inverse=True)
    exact = [min(-(-int(v) * rate.denominator // rate.numerator), int(_CEILING)) for v in values]
    return np.array(exact, dtype=np.float64)[inverse]


def _range[T: (int, float)](point: T, low: T, high: T) -> Range[T]:
    return Range(point, min(low, point), max(high, point))


def _sample(
    steps: list[StageRate], rates: list[Fraction], won: int
) -> tuple[list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]]]:
    """Rate draws per step and the required counts per stage that each joint draw implies."""
    rng = np.random.default_rng(SEED)
    draws = [
        np.full(DRAWS, float(rate))
        if step.rate is not None
        else rng.beta(step.successes + 1, step.trials - step.successes + 1, DRAWS)
        for step, rate in zip(steps, rates, strict=True)
    ]
    counts = [np.full(DRAWS, float(won))]
    with np.errstate(divide="ignore", over="ignore"):
        for step, rate, drawn in reversed(list(zip(steps, rates, draws, strict=True))):
            now = np.ceil(counts[0] / drawn) if step.rate is None else _ceil_div(counts[0], rate)
            counts.insert(0, np.minimum(now, _CEILING))
    return draws, counts


def plan(goal: Goal, history: History, *, confidence: float = 0.95) -> Plan | NotEnoughData:
    """Work `goal` backwards through `history` (see the module docstring for the method)."""
    problem = _problem(goal, history, confidence)
    revenue, deal = _decimal(goal.revenue), _decimal(history.average_deal_size)
    if problem is not None or revenue is None or deal is None:
        return NotEnoughData(problem or "The revenue goal and the deal size must be numbers.")
    steps, rates = list(history.stage_rates), []
    for before, step in zip([None, *steps], steps, strict=False):
        rate = _rate(step, before)
        if isinstance(rate, NotEnoughData):
            return rate
        rates.append(rate)
    names = [s.from_stage for s in steps] + [steps[-1].to_stage]
    points = [math.ceil(Fraction(revenue) / Fraction(deal))]
    for rate in reversed(rates):
        points.insert(0, math.ceil(points[0] / rate))
    if points[0] > MAX_COUNT:  # the first stage is the largest: rates are at most 1
        return NotEnoughData(f"The goal needs {points[0]} {names[0]}s in one period: check the "
                             "deal size and the rates.")  # fmt: skip

    draws, sampled = _sample(steps, rates, points[-1])
    tail = (1 - confidence) / 2
    stages = []
    for i, (name, point, counts) in enumerate(zip(names, points, sampled, strict=True)):
        low, high = np.quantile(counts, [tail, 1 - tail], method="inverted_cdf")
        rate_range = None
        if i < len(steps):
            r_low, r_high = np.quantile(draws[i], [tail, 1 - tail], method="inverted_cdf")
            rate_range = _range(float(rates[i]), float(r_low), float(r_high))
        team: Team = "marketing" if name.lower() in history.marketing_stages else "sales"
        days = history.cycle_days.get(name) if i < len(steps) else None
        days = float(days) if isinstance(days, int | float) and 0 <= days < math.inf else None
        stages.append(Stage(name, team, _range(point, int(low), int(high)), rate_range, days))

    budget, budget_reason, cost = None, None, _decimal(history.cost_per_lead)
    if history.cost_per_lead is None:
        budget_reason = "No cost per lead in the look-back window, so no budget."
    elif cost is None or cost < 0:
        budget_reason = f"The cost per lead must be 0 to 1e15, not {_show(history.cost_per_lead)}."
    else:
        leads = stages[0].required
        budget = Range(leads.point * cost, leads.low * cost, leads.high * cost)
    known = [s.cycle_days for s in stages[:-1]]
    lead_time = None if None in known else sum(d for d in known if d is not None)
    return Plan(goal, float(confidence), tuple(stages), budget, budget_reason, lead_time)


@dataclass(frozen=True)
class Pacing:
    target: int
    actual: int
    elapsed: float  # fraction of the period's days gone, today included
    expected_to_date: float  # target x elapsed
    projected: float  # actual / elapsed: where the period ends at this pace
    status: Literal["ahead", "on track", "behind"]  # projected within ±5 % of target: on track


def pace(
    target: int, actual_to_date: int, period_start: date, period_end: date, today: date
) -> Pacing | NotEnoughData:
    """Pace against a target over [period_start, period_end], both days included; today counts
    as elapsed (actuals to date include today's). Before the period starts nothing has elapsed."""
    if target < 0 or actual_to_date < 0:
        return NotEnoughData("The target and the actual to date cannot be negative.")
    if period_end < period_start:
        return NotEnoughData("The period ends before it starts.")
    if today < period_start:
        return NotEnoughData("The period has not started, so nothing can be projected yet.")
    total = (period_end - period_start).days + 1
    elapsed = Fraction(min((today - period_start).days + 1, total), total)
    projected = actual_to_date / elapsed
    status: Literal["ahead", "on track", "behind"] = "on track"
    if projected > target * (1 + ON_TRACK_BAND):
        status = "ahead"
    elif projected < target * (1 - ON_TRACK_BAND):
        status = "behind"
    return Pacing(target, actual_to_date, float(elapsed), float(target * elapsed),
                  float(projected), status)  # fmt: skip


def pace_plan(
    plan: Plan, actuals: Mapping[str, int], period_start: date, period_end: date, today: date
) -> dict[str, Pacing | NotEnoughData]:
    """Pacing for every stage of a plan whose period is [period_start, period_end]."""
    return {
        s.name: pace(s.required.point, actuals.get(s.name, 0), period_start, period_end, today)
        for s in plan.stages
    }
