"""CUPED: theta is the least-squares slope (numpy.polyfit and statsmodels OLS), the
adjustment reduces variance on correlated data by about rho², a seeded simulation shows the
effect estimate stays unbiased with a smaller spread, degenerate data, bad input, and
properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.experiments.stats import compare_means, cuped, cuped_theta, summarise


def _arms(
    rng: np.random.Generator, n: int, effect: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Last quarter's pipeline X and this quarter's Y, correlated (rho ≈ 0.8)."""
    x = rng.gamma(4.0, 250.0, size=(2, n))
    y = 0.9 * x + rng.normal(0, 300.0, size=(2, n))
    y[1] += effect
    return y[0], x[0], y[1], x[1]


def test_theta_is_the_least_squares_slope() -> None:
    yc, xc, yt, xt = _arms(np.random.default_rng(1), 500, 40.0)
    y, x = np.concatenate([yc, yt]), np.concatenate([xc, xt])
    result = cuped(yc, xc, yt, xt)
    slope = np.polyfit(x, y, 1)[0]
    ols = sm.OLS(y, sm.add_constant(x)).fit().params[1]
    assert result.theta == pytest.approx(slope, rel=1e-9)
    assert result.theta == pytest.approx(ols, rel=1e-9)
    assert cuped_theta(y, x) == pytest.approx(slope, rel=1e-9)
    assert result.covariate_mean == pytest.approx(x.mean(), rel=1e-12)
    assert np.allclose(result.control, yc - slope * (xc - x.mean()), rtol=1e-10)
    assert np.allclose(result.treatment, yt - slope * (xt - x.mean()), rtol=1e-10)


def test_variance_falls_by_about_rho_squared() -> None:
    yc, xc, yt, xt = _arms(np.random.default_rng(2), 4000, 40.0)
    result = cuped(yc, xc, yt, xt)
    rho = np.corrcoef(np.concatenate([yc, yt]), np.concatenate([xc, xt]))[0, 1]
    assert result.variance_reduction is not None
    assert result.variance_reduction == pytest.approx(rho**2, abs=0.02)
    assert result.variance_reduction > 0.5
    before = yc.var(ddof=1) / yc.size + yt.var(ddof=1) / yt.size
    after = result.control.var(ddof=1) / yc.size + result.treatment.var(ddof=1) / yt.size
    assert result.variance_reduction == pytest.approx(1 - after / before, rel=1e-12)
    # the adjusted summaries go straight into the t-test, with a narrower interval
    adjusted = compare_means(result.control_summary, result.treatment_summary)
    raw = compare_means(summarise(yc), summarise(yt))
    assert adjusted.difference_interval is not None and raw.difference_interval is not None
    assert adjusted.difference_interval.width < raw.difference_interval.width


def test_the_effect_estimate_stays_unbiased() -> None:
    """1,000 seeded experiments of 200 leads per arm, true effect 40: the CUPED estimates
    centre on 40 (within 3 standard errors of the simulation) and vary less."""
    rng = np.random.default_rng(2013)
    effect, runs = 40.0, 1000
    raw, adjusted = np.empty(runs), np.empty(runs)
    for run in range(runs):
        yc, xc, yt, xt = _arms(rng, 200, effect)
        result = cuped(yc, xc, yt, xt)
        raw[run] = yt.mean() - yc.mean()
        adjusted[run] = result.treatment.mean() - result.control.mean()
    assert abs(adjusted.mean() - effect) < 3 * adjusted.std(ddof=1) / math.sqrt(runs)
    assert abs(raw.mean() - effect) < 3 * raw.std(ddof=1) / math.sqrt(runs)
    assert adjusted.var() < 0.5 * raw.var()


def test_a_constant_covariate_adjusts_nothing() -> None:
    result = cuped([1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [2.0, 4.0], [5.0, 5.0])
    assert result.theta is None
    assert result.status == "partial"
    assert result.reason == (
        "the covariate does not vary: CUPED cannot adjust, outcomes are unchanged"
    )
    assert result.variance_reduction == 0
    assert list(result.control) == [1.0, 2.0, 3.0]
    assert cuped_theta([1.0, 2.0], [3.0, 3.0]) is None


def test_an_outcome_without_variance() -> None:
    result = cuped([4.0, 4.0], [1.0, 2.0], [4.0, 4.0, 4.0], [3.0, 1.0, 2.0])
    assert result.theta == 0
    assert result.variance_reduction is None
    assert result.reason == "the outcome does not vary in either arm: no variance to reduce"


def test_the_adjusted_arrays_are_read_only() -> None:
    result = cuped([1.0, 2.0, 4.0], [1.0, 2.0, 3.0], [2.0, 3.0], [1.0, 3.0])
    with pytest.raises(ValueError, match="read-only"):
        result.control[0] = 0.0


def test_a_given_theta_is_used() -> None:
    result = cuped([1.0, 2.0, 4.0], [1.0, 2.0, 3.0], [2.0, 3.0], [1.0, 3.0], theta=0.5)
    assert result.theta == 0.5
    mean_x = (1 + 2 + 3 + 1 + 3) / 5
    assert result.treatment[1] == pytest.approx(3.0 - 0.5 * (3.0 - mean_x))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cuped([1.0, 2.0], [1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0]), "must pair up"),
        (lambda: cuped([1.0], [1.0], [1.0, 2.0], [1.0, 2.0]), "at least 2 observations"),
        (lambda: cuped([1.0, math.nan], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0]), "not finite"),
        (lambda: cuped([1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, math.inf]), "not finite"),
        (
            lambda: cuped([1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0], theta=math.nan),
            "theta must be a finite number",
        ),
        (lambda: cuped_theta([1.0, 2.0, 3.0], [1.0, 2.0]), "must pair up"),
        (lambda: cuped_theta("ab", [1.0, 2.0]), "got a string"),
    ],
)
def test_bad_input(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()


values = st.floats(-1e6, 1e6)


@st.composite
def paired(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    n = draw(st.integers(2, 30))
    outcome = draw(st.lists(st.one_of(st.just(0.0), values), min_size=n, max_size=n))
    covariate = draw(st.lists(st.one_of(st.just(1.0), values), min_size=n, max_size=n))
    return outcome, covariate


@settings(max_examples=300, deadline=None)
@given(control=paired(), treatment=paired())
def test_never_nan(
    control: tuple[list[float], list[float]], treatment: tuple[list[float], list[float]]
) -> None:
    result = cuped(*control, *treatment)
    assert np.isfinite(result.control).all() and np.isfinite(result.treatment).all()
    assert result.theta is None or math.isfinite(result.theta)
    if result.variance_reduction is not None:
        assert math.isfinite(result.variance_reduction) and result.variance_reduction <= 1
    summary = result.control_summary
    assert math.isfinite(summary.mean) and math.isfinite(summary.variance)
    # theta is the pooled least-squares slope: over both arms together, the adjusted
    # outcomes never vary more than the raw ones
    raw = np.var(np.concatenate([control[0], treatment[0]]))
    adjusted = np.var(np.concatenate([result.control, result.treatment]))
    assert adjusted <= raw * (1 + 1e-9) + 1e-9
