"""Two conversion rates: the z-test against statsmodels' proportions_ztest, the intervals
against confint_proportions_2indep (Wald difference, log ratio), degenerate data, bad input
and properties on any valid counts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from accord.experiments.stats import Interval, ProportionComparison, compare_proportions

CASES = [
    # control conversions, control trials, treatment conversions, treatment trials
    (120, 1000, 150, 1000),
    (45, 2000, 30, 1800),
    (3, 17, 9, 21),
    (5000, 100_000, 5200, 100_500),
    (1, 500, 0, 480),
    (0, 300, 12, 310),
    (40, 40, 38, 40),
]


def _numbers(result: ProportionComparison) -> list[float]:
    values: list[float] = []
    for value in vars(result).values():
        if isinstance(value, float):
            values.append(value)
        elif isinstance(value, Interval):
            values.extend([value.lower, value.upper])
    return values


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
def test_z_test_matches_statsmodels(xc: int, nc: int, xt: int, nt: int, alternative: str) -> None:
    result = compare_proportions(xc, nc, xt, nt, alternative=alternative)  # type: ignore[arg-type]
    # statsmodels compares the first sample with the second: treatment first
    z, p = proportions_ztest([xt, xc], [nt, nc], alternative=alternative)
    assert result.z == pytest.approx(z, rel=1e-9, abs=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-6, abs=1e-12)
    assert result.difference == pytest.approx(xt / nt - xc / nc, abs=1e-15)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
def test_difference_interval_is_statsmodels_wald(
    xc: int, nc: int, xt: int, nt: int, alpha: float
) -> None:
    result = compare_proportions(xc, nc, xt, nt, alpha=alpha)
    assert result.difference_interval is not None
    low, high = confint_proportions_2indep(xt, nt, xc, nc, method="wald", alpha=alpha)
    assert result.difference_interval.lower == pytest.approx(low, abs=1e-12)
    assert result.difference_interval.upper == pytest.approx(high, abs=1e-12)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), [c for c in CASES if c[0] and c[2]])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_uplift_interval_is_statsmodels_log_ratio(
    xc: int, nc: int, xt: int, nt: int, alpha: float
) -> None:
    result = compare_proportions(xc, nc, xt, nt, alpha=alpha)
    assert result.relative_uplift == pytest.approx((xt / nt) / (xc / nc) - 1, rel=1e-12)
    assert result.relative_uplift_interval is not None
    low, high = confint_proportions_2indep(
        xt, nt, xc, nc, compare="ratio", method="log", alpha=alpha
    )
    assert result.relative_uplift_interval.lower == pytest.approx(low - 1, rel=1e-9, abs=1e-12)
    assert result.relative_uplift_interval.upper == pytest.approx(high - 1, rel=1e-9, abs=1e-12)


def test_a_worked_example() -> None:
    # 10 % against 12 % of 2,000 leads each: pooled 11 %, se = sqrt(.11 * .89 * 2/2000),
    # two-sided p = erfc(|z| / sqrt 2)
    result = compare_proportions(200, 2000, 240, 2000)
    z = 0.02 / math.sqrt(0.11 * 0.89 / 1000)
    assert result.z == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert result.significant is True
    assert result.relative_uplift == pytest.approx(0.2)
    assert result.status == "ok"
    assert result.reason is None


def test_one_sided_p_values_split_the_two_sided_one() -> None:
    two = compare_proportions(200, 2000, 240, 2000).p_value
    larger = compare_proportions(200, 2000, 240, 2000, alternative="larger").p_value
    smaller = compare_proportions(200, 2000, 240, 2000, alternative="smaller").p_value
    assert two is not None and larger is not None and smaller is not None
    assert larger == pytest.approx(two / 2)
    assert larger + smaller == pytest.approx(1)


@pytest.mark.parametrize(
    ("counts", "reason"),
    [
        ((0, 0, 5, 100), "not enough data: the control has no traffic"),
        ((5, 100, 0, 0), "not enough data: the treatment has no traffic"),
        ((0, 0, 0, 0), "not enough data: neither arm has any traffic"),
    ],
)
def test_an_arm_without_traffic(counts: tuple[int, int, int, int], reason: str) -> None:
    result = compare_proportions(*counts)
    assert result.status == "insufficient"
    assert result.reason == reason
    assert result.p_value is None
    assert result.difference is None
    assert result.significant is None


def test_both_arms_converted_every_lead() -> None:
    result = compare_proportions(50, 50, 70, 70)
    assert result.status == "partial"
    assert result.reason == "both arms converted every lead: no difference can be measured"
    assert result.difference == 0
    assert result.relative_uplift == 0
    assert (result.z, result.p_value, result.difference_interval) == (None, None, None)
    assert result.relative_uplift_interval is None


def test_no_conversions_at_all() -> None:
    result = compare_proportions(0, 50, 0, 70)
    assert result.reason == "neither arm converted any lead: no difference can be measured"
    assert result.relative_uplift is None
    assert result.p_value is None


def test_all_against_nothing_has_a_test_but_no_wald_interval() -> None:
    result = compare_proportions(0, 50, 50, 50)
    assert result.p_value is not None and result.p_value < 1e-10
    assert result.difference_interval is None
    assert result.reason is not None and "Wald interval" in result.reason
    assert "the control has no conversions" in result.reason


def test_treatment_without_conversions_has_an_uplift_but_no_log_interval() -> None:
    result = compare_proportions(10, 100, 0, 100)
    assert result.relative_uplift == -1
    assert result.relative_uplift_interval is None
    assert result.reason is not None and "log-ratio" in result.reason


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1, 10, 1, 10), {}, "control conversions must not be negative"),
        ((1, -10, 1, 10), {}, "control trials must not be negative"),
        ((11, 10, 1, 10), {}, "the control has more conversions (11) than trials (10)"),
        ((1, 10, 12, 10), {}, "the treatment has more conversions"),
        ((1.5, 10, 1, 10), {}, "must be a whole number"),
        ((True, 10, 1, 10), {}, "must be a whole number"),
        (("1", 10, 1, 10), {}, "must be a whole number"),
        ((1, 10, 1, 10), {"alpha": 0}, "alpha must be strictly between 0 and 1"),
        ((1, 10, 1, 10), {"alpha": 1.5}, "alpha must be strictly between 0 and 1"),
        ((1, 10, 1, 10), {"alpha": math.nan}, "alpha must be finite"),
        ((1, 10, 1, 10), {"alternative": "greater"}, "alternative must be one of"),
        ((1, 2**60, 1, 10), {}, "too large"),
    ],
)
def test_bad_input(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare_proportions(*args, **kwargs)  # type: ignore[arg-type]


@st.composite
def arms(draw: st.DrawFn) -> tuple[int, int, int, int]:
    nc = draw(st.integers(0, 10**9))
    nt = draw(st.integers(0, 10**9))
    # boundary counts (0 and all) are drawn often, they are the degenerate cases
    xc = draw(st.one_of(st.just(0), st.just(nc), st.integers(0, nc)))
    xt = draw(st.one_of(st.just(0), st.just(nt), st.integers(0, nt)))
    return xc, nc, xt, nt


@settings(max_examples=400, deadline=None)
@given(
    counts=arms(),
    alpha=st.floats(1e-12, 0.999_999),
    alternative=st.sampled_from(["two-sided", "larger", "smaller"]),
)
def test_properties_on_any_valid_counts(
    counts: tuple[int, int, int, int], alpha: float, alternative: str
) -> None:
    result = compare_proportions(*counts, alpha=alpha, alternative=alternative)  # type: ignore[arg-type]
    assert all(math.isfinite(value) for value in _numbers(result))
    if result.p_value is not None:
        assert 0 <= result.p_value <= 1
        assert result.significant == (result.p_value < alpha)
    if result.difference_interval is not None:
        assert result.difference in result.difference_interval
    if result.relative_uplift_interval is not None:
        assert result.relative_uplift in result.relative_uplift_interval
        assert result.relative_uplift_interval.lower >= -1
    assert (result.status == "ok") == (result.reason is None)


@settings(max_examples=200, deadline=None)
@given(
    xc=st.integers(-(10**6), 10**6),
    nc=st.integers(-(10**6), 10**6),
    xt=st.integers(-(10**6), 10**6),
    nt=st.integers(-(10**6), 10**6),
)
def test_invalid_counts_raise(xc: int, nc: int, xt: int, nt: int) -> None:
    valid = 0 <= xc <= nc and 0 <= xt <= nt
    if valid:
        compare_proportions(xc, nc, xt, nt)
    else:
        with pytest.raises(ValueError):
            compare_proportions(xc, nc, xt, nt)
