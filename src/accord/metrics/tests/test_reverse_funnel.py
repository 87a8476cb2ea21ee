"""The reverse funnel: the worked example, rounding, ranges against scipy, budget, team views,
pacing, and bad input (never NaN, never an exception)."""

from __future__ import annotations

import itertools
import math
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from accord.metrics.reverse_funnel import (
    DRAWS,
    Goal,
    History,
    NotEnoughData,
    Pacing,
    Plan,
    StageRate,
    pace,
    pace_plan,
    plan,
)

FULL_PATH = ("lead", "mql", "sal", "sql", "opportunity", "customer")


def observed(*counts: tuple[int, int], path: tuple[str, ...] = FULL_PATH) -> list[StageRate]:
    """Observed (successes, trials) for the first len(counts) steps of `path`."""
    pairs = itertools.pairwise(path)
    return [StageRate(a, b, s, n) for (a, b), (s, n) in zip(pairs, counts, strict=False)]


def exact(path: tuple[str, ...], *rates: float) -> list[StageRate]:
    """Exact, hand-given rates along `path`; one rate repeats for every step."""
    steps = list(itertools.pairwise(path))
    chosen = rates * len(steps) if len(rates) == 1 else rates
    return [StageRate.exact(a, b, r) for (a, b), r in zip(steps, chosen, strict=True)]


def make(
    revenue: float = 10_000, deal: float | Decimal = 100, rates: list[StageRate] | None = None,
    **history: object,
) -> Plan:  # fmt: skip
    chain = rates if rates is not None else [StageRate.exact("lead", "customer", 0.1)]
    result = plan(Goal(revenue), History(deal, 30, chain, **history))  # type: ignore[arg-type]
    assert isinstance(result, Plan), result
    return result


def counts(p: Plan) -> list[int]:
    return [s.required.point for s in p.stages]


def collapsed(p: Plan) -> bool:
    return all(s.required.low == s.required.point == s.required.high for s in p.stages)


# --- the worked example -------------------------------------------------------------------------


def test_worked_example_ten_customers_hundred_leads() -> None:
    # The chain "10 customers -> 100 leads" at $100 a customer and an exact 10 % rate.
    # NB the "$10,000 of revenue" does not give 10 customers at $100 (10,000 / 100 = 100);
    # $1,000 at $100 does, and so does $10,000 at $1,000. Both are asserted here; the literal
    # $10,000 at $100 is asserted below (100 customers, 1,000 leads).
    for revenue, deal in ((1_000, 100), (10_000, Decimal(1_000))):
        p = make(revenue, deal)
        assert [s.name for s in p.stages] == ["lead", "customer"]
        assert p.won.point == 10
        assert p.leads.point == 100
        assert collapsed(p)  # exact rates: no uncertainty, low == point == high
        assert p.stages[0].rate_to_next is not None
        assert p.stages[0].rate_to_next.low == p.stages[0].rate_to_next.high == 0.1


def test_worked_example_ten_thousand_at_one_hundred() -> None:
    p = make(10_000, 100)
    assert (p.won.point, p.leads.point) == (100, 1_000)
    assert collapsed(p)


def test_multi_stage_chain_whose_product_is_ten_percent() -> None:
    # 0.5 x 0.4 x 0.5 = 10 %. Backwards from 10 customers, rounding up at each stage:
    # SQLs = ceil(10 / 0.5) = 20, MQLs = ceil(20 / 0.4) = 50, leads = ceil(50 / 0.5) = 100.
    # Every division is whole here, so rounding at each stage still gives exactly 100 leads.
    p = make(1_000, 100, exact(("lead", "mql", "sql", "customer"), 0.5, 0.4, 0.5))
    assert counts(p) == [100, 50, 20, 10]
    assert collapsed(p)


def test_rounding_up_at_each_stage_can_exceed_rounding_once() -> None:
    # 30 % then 30 %: ceil(10 / 0.3) = ceil(33.3) = 34 SQLs, ceil(34 / 0.3) = ceil(113.3) = 114
    # leads. Rounding once at the end would say ceil(10 / 0.09) = 112, two leads short of the
    # 34 SQLs that 10 deals need.
    assert counts(make(1_000, 100, exact(("lead", "sql", "customer"), 0.3))) == [114, 34, 10]


def test_exact_arithmetic_not_float() -> None:
    # In floats 2.1 / 0.3 == 7.000000000000001 (ceil: 8 deals) and 21 / 0.7 == 30.000000000000004
    # (ceil: 31 leads); in exact arithmetic they are 7 and 30.
    assert 2.1 / 0.3 > 7 and 21 / 0.7 > 30  # the float traps are real on this platform
    assert make(2.1, 0.3).won.point == 7
    assert counts(make(2_100, 100, exact(("lead", "customer"), 0.7))) == [30, 21]
    assert collapsed(make(2_100, 100, exact(("lead", "mql", "customer"), 0.7, 1)))


# --- ranges ---------------------------------------------------------------------------------


def test_observed_rates_give_ranges_that_bracket_the_point() -> None:
    p = make(10_000, 100, observed((50, 100), (40, 100), (30, 50), (20, 30), (10, 20)))
    # 100 won; opportunities ceil(100 / 0.5) = 200; SQLs ceil(200 / (2/3)) = 300; SALs
    # ceil(300 / 0.6) = 500; MQLs ceil(500 / 0.4) = 1,250; leads ceil(1,250 / 0.5) = 2,500.
    assert counts(p) == [2_500, 1_250, 500, 300, 200, 100]
    for stage in p.stages[:-1]:
        assert stage.required.low < stage.required.point < stage.required.high
        assert stage.rate_to_next is not None
        assert stage.rate_to_next.low < stage.rate_to_next.point < stage.rate_to_next.high
    assert p.won.low == p.won.point == p.won.high == 100  # the deal size is taken as known
    assert make(10_000, 100, observed((50, 100))) == make(10_000, 100, observed((50, 100)))


def test_beta_quantiles_hand_case_against_scipy() -> None:
    # 20 of 100 observed: posterior Beta(21, 81). 20,000 draws estimate its 2.5 % and 97.5 %
    # quantiles to about +-0.002; scipy's exact ppf is the independent reference.
    p = make(10_000, 100, observed((20, 100), path=("lead", "customer")))
    rate = p.stages[0].rate_to_next
    assert rate is not None
    assert rate.point == 0.2
    assert rate.low == pytest.approx(beta.ppf(0.025, 21, 81), abs=0.003)
    assert rate.high == pytest.approx(beta.ppf(0.975, 21, 81), abs=0.003)
    assert p.leads.point == 500
    assert p.leads.low == pytest.approx(100 / beta.ppf(0.975, 21, 81), abs=8)
    assert p.leads.high == pytest.approx(100 / beta.ppf(0.025, 21, 81), abs=12)


# A sample quantile's CDF value has standard error sqrt(q (1 - q) / DRAWS) ~ 0.0011 at q = 2.5 %;
# five of them is the tolerance, so a failure is a real disagreement, not sampling noise.
TOL = 5 * math.sqrt(0.025 * 0.975 / DRAWS)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5_000).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_single_stage_quantiles_match_scipy(case: tuple[int, int]) -> None:
    s, n = case
    a, b = s + 1, n - s + 1  # uniform prior
    p = make(10_000, 100, observed((s, n), path=("lead", "customer")))
    rate = p.stages[0].rate_to_next
    assert rate is not None
    assert abs(beta.cdf(rate.low, a, b) - 0.025) < TOL
    assert abs(beta.cdf(rate.high, a, b) - 0.975) < TOL
    # The leads' bounds are 100 / (a rate quantile), rounded up, for a quantile within TOL.
    assert math.ceil(100 / beta.ppf(0.975 + TOL, a, b)) <= p.leads.low
    assert p.leads.low <= math.ceil(100 / beta.ppf(0.975 - TOL, a, b))
    assert math.ceil(100 / beta.ppf(0.025 + TOL, a, b)) <= p.leads.high
    assert p.leads.high <= math.ceil(100 / beta.ppf(0.025 - TOL, a, b))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 500).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_ranges_narrow_as_trials_grow(case: tuple[int, int]) -> None:
    s, n = case
    small = make(100_000, 100, observed((s, n), path=("lead", "customer")))
    large = make(100_000, 100, observed((10 * s, 10 * n), path=("lead", "customer")))
    assert small.leads.point == large.leads.point  # the same observed rate
    small_rate, large_rate = small.stages[0].rate_to_next, large.stages[0].rate_to_next
    assert small_rate is not None and large_rate is not None
    assert large_rate.high - large_rate.low < small_rate.high - small_rate.low
    assert large.leads.high - large.leads.low < small.leads.high - small.leads.low


def test_ranges_narrow_hand_sequence() -> None:
    widths = []
    for n in (10, 100, 1_000, 10_000):
        p = make(10_000, 100, observed((n // 5, n), path=("lead", "customer")))
        widths.append(p.leads.high - p.leads.low)
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4


def test_all_successes_range_still_contains_the_point() -> None:
    # 20 of 20: the point rate is 1.0, above every Beta(21, 1) draw, so the range is widened.
    p = make(1_000, 100, observed((20, 20), path=("lead", "customer")))
    assert p.leads.low == p.leads.point == 10 < p.leads.high


def test_confidence_widens_ranges() -> None:
    chain = observed((30, 100), (40, 80), path=("lead", "mql", "customer"))
    narrow = plan(Goal(10_000), History(100, 30, chain), confidence=0.5)
    wide = plan(Goal(10_000), History(100, 30, chain), confidence=0.99)
    assert isinstance(narrow, Plan) and isinstance(wide, Plan)
    assert wide.leads.low < narrow.leads.low <= narrow.leads.high < wide.leads.high


# --- budget, teams, cycle times ---------------------------------------------------------------


def test_budget_is_leads_times_cost_per_lead() -> None:
    p = make(10_000, 100, cost_per_lead=12.5)
    assert p.leads.point == 1_000
    assert p.budget is not None and p.budget_reason is None
    assert p.budget.point == p.budget.low == p.budget.high == Decimal("12500")
    ranged = make(10_000, 100, observed((20, 100), path=("lead", "customer")), cost_per_lead=12.5)
    assert ranged.budget is not None
    for which in ("point", "low", "high"):
        leads = getattr(ranged.leads, which)
        assert getattr(ranged.budget, which) == leads * Decimal("12.5")
    assert make(10_000, 100, cost_per_lead=0).budget.point == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cost", "words"), [(None, "No cost per lead"), (-3, "0 to 1e15"), (math.nan, "0 to 1e15")]
)
def test_missing_cost_per_lead_drops_only_the_budget(cost: float | None, words: str) -> None:
    p = make(10_000, 100, cost_per_lead=cost)
    assert p.budget is None
    assert p.budget_reason is not None and words in p.budget_reason
    assert p.leads.point == 1_000  # the rest of the plan stands


def test_each_team_sees_its_own_numbers() -> None:
    p = make(1_000, 100, exact(FULL_PATH, 0.5), cost_per_lead=2)
    assert counts(p) == [320, 160, 80, 40, 20, 10]
    marketing, sales = p.for_marketing(), p.for_sales()
    assert [s.name for s in marketing.stages] == ["lead", "mql"]
    assert [s.required.point for s in marketing.stages] == [320, 160]
    assert marketing.budget is not None and marketing.budget.point == 640
    assert [s.name for s in sales.stages] == ["sal", "sql", "opportunity", "customer"]
    assert [s.required.point for s in sales.stages] == [80, 40, 20, 10]
    assert sales.budget is None
    assert marketing.goal == sales.goal == p.goal  # both derived from the one shared goal
    assert p.stage("sal") == sales.stages[0] and p.stage("nope") is None


def test_lead_time_is_the_sum_of_median_cycle_times() -> None:
    rates = exact(("lead", "mql", "customer"), 0.5)
    assert make(1_000, 100, rates, cycle_days={"lead": 3, "mql": 21.5}).lead_time_days == 24.5
    assert make(1_000, 100, rates, cycle_days={"lead": 3}).lead_time_days is None


# --- bad input --------------------------------------------------------------------------------

GOOD = observed((50, 100), path=("lead", "customer"))


@pytest.mark.parametrize(
    ("goal", "history", "confidence", "words"),
    [
        (Goal(0), History(100, 30, GOOD), 0.95, "revenue goal"),
        (Goal(-5), History(100, 30, GOOD), 0.95, "revenue goal"),
        (Goal(math.nan), History(100, 30, GOOD), 0.95, "revenue goal"),
        (Goal(math.inf), History(100, 30, GOOD), 0.95, "revenue goal"),
        (Goal(100, "week"), History(100, 30, GOOD), 0.95, "period"),  # type: ignore[arg-type]
        (Goal(100), History(100, 30, GOOD), 1.0, "confidence"),
        (Goal(100), History(100, 30, GOOD), math.nan, "confidence"),
        (Goal(100), History(0, 30, GOOD), 0.95, "deal size"),
        (Goal(100), History(-10, 30, GOOD), 0.95, "deal size"),
        (Goal(100), History(math.nan, 30, GOOD), 0.95, "deal size"),
        (Goal(100), History(100, 0, GOOD), 0.95, "No won deals"),
        (Goal(100), History(100, 30, []), 0.95, "No stage conversion rates"),
        (Goal(100), History(100, 30, observed((40, 100), (0, 0))), 0.95, "mql → sal"),
        (Goal(100), History(100, 30, observed((40, 100), (0, 25))), 0.95, "0 of 25"),
        (Goal(100), History(100, 30, observed((0, 25))), 0.95, "No lead became mql"),
        (Goal(100), History(100, 30, observed((30, 20))), 0.95, "inconsistent"),
        (Goal(100), History(100, 30, observed((-1, 20))), 0.95, "inconsistent"),
        (Goal(100), History(100, 30, [StageRate.exact("lead", "won", 0)]), 0.95, "lead → won"),
        (Goal(100), History(100, 30, [StageRate.exact("lead", "won", 1.5)]), 0.95, "at most 1"),
        (Goal(100), History(100, 30, [*GOOD, *observed((1, 2), path=("sql", "won"))]), 0.95,
         "not consecutive"),
        (Goal(1e15), History(1, 30, GOOD), 0.95, "check the deal size"),
        (Goal(Decimal("1e100000000")), History(100, 30, GOOD), 0.95, "up to 1e15"),
        (Goal(100), History(Decimal("1e-100000000"), 30, GOOD), 0.95, "deal size"),
        (Goal(10**5000), History(100, 30, GOOD), 0.95, "revenue goal"),
    ],
)  # fmt: skip
def test_bad_input_is_not_enough_data(
    goal: Goal, history: History, confidence: float, words: str
) -> None:
    result = plan(goal, history, confidence=confidence)
    assert isinstance(result, NotEnoughData)
    assert words in result.reason, result.reason


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 10**9),
    st.decimals(allow_nan=True, allow_infinity=True),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.integers(-2, 300), st.integers(-2, 300)),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(numbers, numbers, st.integers(-1, 50), steps, st.one_of(st.none(), numbers))
def test_never_nan_never_raises(
    revenue: object, deal: object, sample: int, chain: list[object], cost: object
) -> None:
    rates = [
        StageRate(f"s{i}", f"s{i + 1}", *step) if isinstance(step, tuple)
        else StageRate.exact(f"s{i}", f"s{i + 1}", step)  # type: ignore[arg-type]
        for i, step in enumerate(chain)
    ]  # fmt: skip
    result = plan(Goal(revenue), History(deal, sample, rates, cost_per_lead=cost))  # type: ignore[arg-type]
    if isinstance(result, NotEnoughData):
        assert result.reason
        return
    assert (result.budget is None) == (result.budget_reason is not None)
    for stage in result.stages:
        r = stage.required
        assert all(isinstance(v, int) for v in (r.low, r.point, r.high))
        assert 1 <= r.low <= r.point <= r.high
        if stage.rate_to_next is not None:
            q = stage.rate_to_next
            assert all(math.isfinite(v) for v in (q.low, q.point, q.high))
            assert 0 < q.low <= q.point <= q.high <= 1
    if result.budget is not None:
        b = result.budget
        assert all(v.is_finite() and v >= 0 for v in (b.low, b.point, b.high))


# --- pacing -----------------------------------------------------------------------------------

APRIL = (date(2025, 4, 1), date(2025, 4, 30))  # 30 days, both included


@pytest.mark.parametrize(
    ("actual", "projected", "status"),
    [
        (100, 200.0, "on track"),
        (95, 190.0, "on track"),  # exactly -5 %: inside the band
        (94, 188.0, "behind"),
        (105, 210.0, "on track"),  # exactly +5 %
        (106, 212.0, "ahead"),
        (0, 0.0, "behind"),
    ],
)
def test_pacing_mid_period(actual: int, projected: float, status: str) -> None:
    # 15 April: 15 of 30 days elapsed, today included.
    assert pace(200, actual, *APRIL, date(2025, 4, 15)) == Pacing(
        200,
        actual,
        0.5,
        100.0,
        projected,
        status,  # type: ignore[arg-type]
    )


def test_pacing_edges() -> None:
    first = pace(300, 4, *APRIL, date(2025, 4, 1))
    assert first == Pacing(300, 4, 1 / 30, 10.0, 120.0, "behind")
    after = pace(300, 310, *APRIL, date(2025, 5, 9))  # past the end: the period is done
    assert after == Pacing(300, 310, 1.0, 300.0, 310.0, "on track")
    assert pace(0, 0, *APRIL, date(2025, 4, 10)).status == "on track"  # type: ignore[union-attr]
    assert pace(0, 3, *APRIL, date(2025, 4, 10)).status == "ahead"  # type: ignore[union-attr]
    not_started = pace(300, 0, *APRIL, date(2025, 3, 31))
    assert isinstance(not_started, NotEnoughData) and "not started" in not_started.reason
    backwards = pace(300, 0, date(2025, 4, 30), date(2025, 4, 1), date(2025, 4, 15))
    assert isinstance(backwards, NotEnoughData) and "ends before" in backwards.reason
    negative = pace(-1, 0, *APRIL, date(2025, 4, 15))
    assert isinstance(negative, NotEnoughData) and "negative" in negative.reason


def test_pacing_every_stage_of_a_plan() -> None:
    rates = exact(("lead", "mql", "customer"), 0.5)
    p = make(1_000, 100, rates)  # 40 leads, 20 MQLs, 10 customers
    paced = pace_plan(p, {"lead": 22, "mql": 8}, *APRIL, date(2025, 4, 15))
    assert paced == {
        "lead": Pacing(40, 22, 0.5, 20.0, 44.0, "ahead"),
        "mql": Pacing(20, 8, 0.5, 10.0, 16.0, "behind"),
        "customer": Pacing(10, 0, 0.5, 5.0, 0.0, "behind"),
    }


@given(
    st.integers(0, 10**6), st.integers(0, 10**6), st.dates(), st.integers(-5, 400),
    st.integers(-5, 400),
)  # fmt: skip
def test_pacing_never_nan(target: int, actual: int, start: date, length: int, day: int) -> None:
    from datetime import timedelta

    try:
        end, today = start + timedelta(days=length), start + timedelta(days=day)
    except OverflowError:
        return
    result = pace(target, actual, start, end, today)
    if isinstance(result, NotEnoughData):
        assert result.reason
        return
    assert all(
        math.isfinite(v) for v in (result.elapsed, result.expected_to_date, result.projected)
    )
    assert 0 < result.elapsed <= 1
