"""Welch's t-test: against scipy's ttest_ind_from_stats and statsmodels' ttest_ind and
CompareMeans intervals, the delta-method uplift against its closed form, degenerate data,
bad input, and properties on any valid summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from accord.experiments.stats import (
    Interval,
    MeanComparison,
    SampleSummary,
    compare_means,
    compare_samples,
    summarise,
)

SUMMARIES = [
    # (n, mean, variance) control, then treatment
    ((50, 1200.0, 250_000.0), (55, 1350.0, 360_000.0)),
    ((2, 10.0, 4.0), (3, 7.0, 1.0)),
    ((1000, 36.5, 144.0), (980, 34.9, 130.0)),
    ((30, -2.0, 0.5), (400, -1.7, 9.0)),
    ((12, 5.0, 0.0), (15, 6.0, 2.5)),
]
SCIPY_ALTERNATIVE = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}


def _arm(values: tuple[int, float, float]) -> SampleSummary:
    n, mean, variance = values
    return SampleSummary(n=n, mean=mean, variance=variance)


@pytest.mark.parametrize(("control", "treatment"), SUMMARIES)
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
def test_welch_matches_scipy_from_stats(
    control: tuple[int, float, float], treatment: tuple[int, float, float], alternative: str
) -> None:
    result = compare_means(_arm(control), _arm(treatment), alternative=alternative)  # type: ignore[arg-type]
    reference = stats.ttest_ind_from_stats(
        treatment[1],
        math.sqrt(treatment[2]),
        treatment[0],
        control[1],
        math.sqrt(control[2]),
        control[0],
        equal_var=False,
        alternative=SCIPY_ALTERNATIVE[alternative],
    )
    assert result.t == pytest.approx(reference.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-6, abs=1e-12)


def _samples(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    control = rng.lognormal(7, 1, size=int(rng.integers(5, 300)))
    treatment = rng.lognormal(7.1, 1.2, size=int(rng.integers(5, 300)))
    return control, treatment


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_samples_match_statsmodels_unequal_variances(seed: int, alpha: float) -> None:
    control, treatment = _samples(seed)
    result = compare_samples(control.tolist(), treatment.tolist(), alpha=alpha)
    t, p, df = ttest_ind(treatment, control, usevar="unequal")
    assert result.t == pytest.approx(t, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-6, abs=1e-12)
    assert result.degrees_of_freedom == pytest.approx(df, rel=1e-9)
    low, high = CompareMeans(DescrStatsW(treatment), DescrStatsW(control)).tconfint_diff(
        alpha=alpha, usevar="unequal"
    )
    assert result.difference_interval is not None
    assert result.difference_interval.lower == pytest.approx(low, rel=1e-9)
    assert result.difference_interval.upper == pytest.approx(high, rel=1e-9)
    assert result.difference == pytest.approx(treatment.mean() - control.mean(), rel=1e-12)


def test_uplift_interval_is_the_delta_method_closed_form() -> None:
    control, treatment = _arm((50, 1200.0, 250_000.0)), _arm((55, 1350.0, 360_000.0))
    result = compare_means(control, treatment, alpha=0.1)
    ratio = 1350 / 1200
    # Var(R) ≈ R² (se_t² / m_t² + se_c² / m_c²)
    se = ratio * math.sqrt(360_000 / 55 / 1350**2 + 250_000 / 50 / 1200**2)
    z = stats.norm.ppf(0.95)
    assert result.relative_uplift == pytest.approx(ratio - 1, rel=1e-12)
    assert result.relative_uplift_interval is not None
    assert result.relative_uplift_interval.lower == pytest.approx(ratio - 1 - z * se, rel=1e-9)
    assert result.relative_uplift_interval.upper == pytest.approx(ratio - 1 + z * se, rel=1e-9)


def test_welch_satterthwaite_degrees_of_freedom_by_hand() -> None:
    # a = 4/2 = 2, b = 1/3: df = (7/3)² / (2²/1 + (1/3)²/2) = (49/9) / (73/18) = 98/73
    result = compare_means(_arm((2, 10.0, 4.0)), _arm((3, 7.0, 1.0)))
    assert result.degrees_of_freedom == pytest.approx(98 / 73, rel=1e-12)
    assert result.standard_error == pytest.approx(math.sqrt(7 / 3), rel=1e-12)


def test_summarise_uses_the_sample_variance() -> None:
    summary = summarise([1.0, 2.0, 3.0, 4.0])
    assert summary == SampleSummary(n=4, mean=2.5, variance=5 / 3)


def test_both_arms_without_variance() -> None:
    same = compare_means(_arm((5, 3.0, 0.0)), _arm((8, 3.0, 0.0)))
    assert same.status == "partial"
    assert same.reason == (
        "both arms have zero variance and the same mean: no difference can be measured"
    )
    assert (same.t, same.p_value, same.difference_interval) == (None, None, None)
    assert same.difference == 0
    assert same.relative_uplift == 0
    apart = compare_means(_arm((5, 3.0, 0.0)), _arm((8, 4.0, 0.0)))
    assert apart.reason == "both arms have zero variance: the t statistic is undefined"
    assert apart.relative_uplift_interval is None


def test_a_control_mean_of_zero_has_no_uplift() -> None:
    result = compare_means(_arm((20, 0.0, 1.0)), _arm((20, 0.5, 1.0)))
    assert result.relative_uplift is None
    assert result.reason == "the control mean is 0: the relative uplift is undefined"
    assert result.p_value is not None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SampleSummary(n=1, mean=1.0, variance=0.0), "at least 2 observations"),
        (lambda: SampleSummary(n=0, mean=1.0, variance=0.0), "at least 2 observations"),
        (lambda: SampleSummary(n=-3, mean=1.0, variance=0.0), "n must not be negative"),
        (lambda: SampleSummary(n=5, mean=1.0, variance=-1.0), "variance must not be negative"),
        (lambda: SampleSummary(n=5, mean=math.nan, variance=1.0), "mean must be finite"),
        (lambda: SampleSummary(n=5, mean=1.0, variance=math.inf), "variance must be finite"),
        (lambda: summarise([1.0]), "at least 2 observations"),
        (lambda: summarise([1.0, math.nan]), "not finite"),
        (lambda: summarise(["a", "b"]), "numbers only"),  # type: ignore[list-item]
        (lambda: summarise([[1.0, 2.0], [3.0, 4.0]]), "one-dimensional"),  # type: ignore[list-item]
        (lambda: compare_samples([1, 2], [3]), "treatment needs at least 2 observations"),
        (
            lambda: compare_means(_arm((5, 1.0, 1.0)), _arm((5, 1.0, 1.0)), alpha=1.0),
            "alpha must be strictly between 0 and 1",
        ),
        (
            lambda: compare_means(_arm((5, 1.0, 1.0)), (5, 1.0, 1.0)),  # type: ignore[arg-type]
            "the treatment must be a SampleSummary",
        ),
    ],
)
def test_bad_input(make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match=message):
        make()


def _numbers(result: MeanComparison) -> list[float]:
    values: list[float] = []
    for value in vars(result).values():
        if isinstance(value, float):
            values.append(value)
        elif isinstance(value, Interval):
            values.extend([value.lower, value.upper])
    return values


summaries = st.builds(
    SampleSummary,
    n=st.integers(2, 10**7),
    mean=st.one_of(st.just(0.0), st.floats(-1e12, 1e12)),
    variance=st.one_of(st.just(0.0), st.floats(0, 1e18), st.floats(0, 1e-200)),
)


@settings(max_examples=400, deadline=None)
@given(
    control=summaries,
    treatment=summaries,
    alpha=st.floats(1e-9, 0.999_999),
    alternative=st.sampled_from(["two-sided", "larger", "smaller"]),
)
def test_properties_on_any_valid_summaries(
    control: SampleSummary, treatment: SampleSummary, alpha: float, alternative: str
) -> None:
    result = compare_means(control, treatment, alpha=alpha, alternative=alternative)  # type: ignore[arg-type]
    assert all(math.isfinite(value) for value in _numbers(result))
    if result.p_value is not None:
        assert 0 <= result.p_value <= 1
    if result.difference_interval is not None:
        assert result.difference in result.difference_interval
    if result.relative_uplift_interval is not None:
        assert result.relative_uplift in result.relative_uplift_interval
    assert (result.status == "ok") == (result.reason is None)


@settings(max_examples=100, deadline=None)
@given(
    control=st.lists(st.floats(-1e9, 1e9), min_size=2, max_size=40),
    treatment=st.lists(st.one_of(st.just(3.0), st.floats(-1e9, 1e9)), min_size=2, max_size=40),
)
def test_samples_never_give_nan(control: list[float], treatment: list[float]) -> None:
    result = compare_samples(control, treatment)
    assert all(math.isfinite(value) for value in _numbers(result))


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(-(10**6), 10**6),
    variance=st.floats(-1e6, 1e6),
    mean=st.one_of(st.floats(-1e6, 1e6), st.just(math.nan), st.just(math.inf)),
)
def test_invalid_summaries_raise(n: int, variance: float, mean: float) -> None:
    if n >= 2 and variance >= 0 and math.isfinite(mean):
        assert SampleSummary(n=n, mean=mean, variance=variance).n == n
    else:
        with pytest.raises(ValueError):
            SampleSummary(n=n, mean=mean, variance=variance)
