"""Always-valid p-values (mSPRT): the mixture likelihood ratio against its closed form, the
look-by-look wrappers against the vectorised path, an A/A simulation with continuous
peeking (the mSPRT keeps its false-positive rate, the naive z-test does not), bad input,
and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from accord.experiments.stats import (
    SampleSummary,
    always_valid_p_value,
    always_valid_p_values,
    sequential_means,
    sequential_proportions,
    tau_for_effect,
)


def closed_form_lr(theta: float, v: float, tau: float) -> float:
    """Λ = sqrt(V / (V + τ²)) · exp(τ² θ² / (2 V (V + τ²)))."""
    return math.sqrt(v / (v + tau**2)) * math.exp(tau**2 * theta**2 / (2 * v * (v + tau**2)))


@pytest.mark.parametrize(
    ("theta", "v", "tau"),
    [
        (0.01, 1e-5, 0.005),
        (0.0, 1e-4, 0.01),
        (-0.03, 2e-4, 0.02),
        (5.0, 4.0, 1.0),
        (1e-3, 1.0, 3.0),
    ],
)
def test_single_look_matches_the_closed_form(theta: float, v: float, tau: float) -> None:
    expected = min(1.0, 1 / closed_form_lr(theta, v, tau))
    assert always_valid_p_value(theta, v, tau) == pytest.approx(expected, rel=1e-12)
    # the path never goes back up
    assert always_valid_p_value(theta, v, tau, previous_p_value=1e-4) == min(1e-4, expected)


def test_proportion_looks_match_the_closed_form_path() -> None:
    looks = [(10, 200, 14, 200), (22, 400, 33, 400), (30, 600, 52, 600), (41, 800, 60, 800)]
    tau = 0.01
    result = sequential_proportions(looks, tau=tau, alpha=0.05)
    p = 1.0
    for (xc, nc, xt, nt), estimate, path_p in zip(
        looks, result.estimates, result.p_values, strict=True
    ):
        pooled = (xc + xt) / (nc + nt)
        theta = xt / nt - xc / nc
        v = pooled * (1 - pooled) * (1 / nc + 1 / nt)
        p = min(p, 1 / closed_form_lr(theta, v, tau))
        assert estimate == pytest.approx(theta, rel=1e-12)
        assert path_p == pytest.approx(min(p, 1.0), rel=1e-10)
    assert result.p_value == result.p_values[-1]
    assert result.rejected == (result.stopped_at is not None)
    if result.stopped_at is not None:
        assert result.p_values[result.stopped_at] <= 0.05
        assert all(p > 0.05 for p in result.p_values[: result.stopped_at])


def test_mean_looks_use_the_welch_variance() -> None:
    looks = [
        (SampleSummary(20, 100.0, 400.0), SampleSummary(22, 112.0, 500.0)),
        (SampleSummary(40, 101.0, 410.0), SampleSummary(45, 113.0, 480.0)),
    ]
    result = sequential_means(looks, baseline=100.0, minimum_relative_effect=0.1)
    assert result.tau == pytest.approx(10.0)
    theta, v = 12.0, 410 / 40 + 480 / 45
    first = min(1.0, 1 / closed_form_lr(12.0, 400 / 20 + 500 / 22, 10.0))
    assert result.p_values[0] == pytest.approx(first, rel=1e-10)
    assert result.p_values[1] == pytest.approx(
        min(first, 1 / closed_form_lr(theta, v, 10.0)), rel=1e-10
    )


def test_looks_without_evidence_keep_the_p_value() -> None:
    looks = [(0, 0, 0, 0), (0, 10, 0, 12), (5, 10, 5, 12), (5, 10, 5, 12)]
    result = sequential_proportions(looks, tau=0.05)
    assert result.estimates[0] is None
    assert result.p_values[:2] == (1.0, 1.0)
    assert all(0 <= p <= 1 for p in result.p_values)


def test_tau_from_the_minimum_relative_effect() -> None:
    assert tau_for_effect(0.05, 0.1) == pytest.approx(0.005)
    assert tau_for_effect(-200.0, 0.05) == pytest.approx(10.0)
    result = sequential_proportions([(5, 100, 9, 100)], baseline=0.05)
    assert result.tau == pytest.approx(0.005)


def test_a_strong_effect_is_eventually_found() -> None:
    rng = np.random.default_rng(3)
    conversions = rng.binomial(500, [0.10, 0.13], size=(40, 2)).cumsum(axis=0)
    looks = [(int(c), 500 * (k + 1), int(t), 500 * (k + 1)) for k, (c, t) in enumerate(conversions)]
    result = sequential_proportions(looks, baseline=0.10, minimum_relative_effect=0.2)
    assert result.rejected
    assert result.stopped_at is not None and result.stopped_at < 39


def test_an_aa_test_peeked_at_50_times() -> None:
    """2,000 A/A experiments at a 10 % rate, 200 leads per arm between looks, 50 looks:
    stopping at the first p ≤ alpha, the mSPRT stays within alpha (binomial noise allowed);
    the fixed-horizon z-test applied at every look does not."""
    rng = np.random.default_rng(20170101)
    experiments, looks, batch, rate, alpha = 2000, 50, 200, 0.10, 0.05
    conversions = rng.binomial(batch, rate, size=(experiments, looks, 2)).cumsum(axis=1)
    trials = batch * np.arange(1, looks + 1)
    control, treatment = conversions[..., 0] / trials, conversions[..., 1] / trials
    pooled = (conversions[..., 0] + conversions[..., 1]) / (2 * trials)
    variance = pooled * (1 - pooled) * (2 / trials)
    estimates = treatment - control

    paths = always_valid_p_values(estimates, variance, tau=tau_for_effect(rate, 0.1))
    msprt_rate = float(np.mean((paths <= alpha).any(axis=1)))

    with np.errstate(divide="ignore", invalid="ignore"):
        naive_p = 2 * stats.norm.sf(np.abs(estimates) / np.sqrt(variance))
    naive_rate = float(np.mean((naive_p < alpha).any(axis=1)))

    noise = 3 * math.sqrt(alpha * (1 - alpha) / experiments)
    print(f"A/A, 50 looks: mSPRT {msprt_rate:.4f}, naive z-test {naive_rate:.4f}")  # noqa: T201
    assert msprt_rate <= alpha + noise
    assert naive_rate > 2 * alpha
    # the paths are what sequential_proportions gives look by look
    one = sequential_proportions(
        [
            (int(conversions[0, k, 0]), int(trials[k]), int(conversions[0, k, 1]), int(trials[k]))
            for k in range(looks)
        ],
        baseline=rate,
    )
    assert np.allclose(one.p_values, paths[0], rtol=1e-12, atol=0)


def test_an_aa_test_of_means_peeked_at_50_times() -> None:
    """The same with amounts per lead (normal, mean 100, sd 40), 20 leads per arm between
    looks, Welch variance estimated at each look."""
    rng = np.random.default_rng(20170102)
    experiments, looks, batch, alpha = 2000, 50, 20, 0.05
    values = rng.normal(100, 40, size=(experiments, looks * batch, 2))
    n = batch * np.arange(1, looks + 1)
    sums = values.cumsum(axis=1)[:, batch - 1 :: batch]
    squares = (values**2).cumsum(axis=1)[:, batch - 1 :: batch]
    means = sums / n[None, :, None]
    variances = (squares - sums**2 / n[None, :, None]) / (n[None, :, None] - 1)
    estimates = means[..., 1] - means[..., 0]
    variance = (variances[..., 0] + variances[..., 1]) / n

    paths = always_valid_p_values(estimates, variance, tau=tau_for_effect(100, 0.05))
    msprt_rate = float(np.mean((paths <= alpha).any(axis=1)))
    naive_p = 2 * stats.norm.sf(np.abs(estimates) / np.sqrt(variance))
    naive_rate = float(np.mean((naive_p < alpha).any(axis=1)))

    print(f"A/A means, 50 looks: mSPRT {msprt_rate:.4f}, naive {naive_rate:.4f}")  # noqa: T201
    assert msprt_rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / experiments)
    assert naive_rate > 2 * alpha


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sequential_proportions([], tau=0.1), "looks must not be empty"),
        (lambda: sequential_proportions([(1, 10, 1, 10)]), "give tau, or a baseline"),
        (lambda: sequential_proportions([(1, 10, 1, 10)], tau=0), "tau must be positive"),
        (lambda: sequential_proportions([(1, 10, 1, 10)], tau=-1.0), "tau must be positive"),
        (lambda: sequential_proportions([(1, 10, 1, 10)], tau=1e200), "tau is too large"),
        (
            lambda: sequential_proportions([(1, 10, 1, 10)], tau=0.1, alpha=0),
            "alpha must be strictly between 0 and 1",
        ),
        (
            lambda: sequential_proportions([(5, 10, 1, 10), (4, 20, 2, 20)], tau=0.1),
            "look 1 has fewer leads or conversions than the look before",
        ),
        (
            lambda: sequential_proportions([(11, 10, 1, 10)], tau=0.1),
            r"look 0: control has more conversions \(11\) than trials \(10\)",
        ),
        (lambda: sequential_proportions([(1, 10, 1)], tau=0.1), "look 0 must be"),  # type: ignore[list-item]
        (
            lambda: sequential_means(
                [
                    (SampleSummary(9, 1.0, 1.0), SampleSummary(9, 1.0, 1.0)),
                    (SampleSummary(8, 1.0, 1.0), SampleSummary(9, 1.0, 1.0)),
                ],
                tau=1.0,
            ),
            "look 1 has fewer observations",
        ),
        (lambda: sequential_means([(1, 2)], tau=1.0), "SampleSummary pair"),  # type: ignore[list-item]
        (lambda: tau_for_effect(0.0, 0.1), "must be positive"),
        (lambda: always_valid_p_value(0.1, -1.0, 0.1), "variance must not be negative"),
        (lambda: always_valid_p_value(math.nan, 1.0, 0.1), "estimate must be finite"),
        (lambda: always_valid_p_value(0.1, 1.0, 0.1, 1.5), "previous_p_value must be between"),
        (lambda: always_valid_p_values([0.1, 0.2], [1.0], tau=0.1), "differ in shape"),
        (lambda: always_valid_p_values([0.1], [-1.0], tau=0.1), "must not be negative"),
        (lambda: always_valid_p_values([np.inf], [1.0], tau=0.1), "must be finite"),
    ],
)
def test_bad_input(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()


@st.composite
def cumulative_looks(draw: st.DrawFn) -> list[tuple[int, int, int, int]]:
    looks, totals = [], [0, 0, 0, 0]
    for _ in range(draw(st.integers(1, 12))):
        extra_c = draw(st.integers(0, 10**6))
        extra_t = draw(st.integers(0, 10**6))
        won_c = draw(st.one_of(st.just(0), st.just(extra_c), st.integers(0, extra_c)))
        won_t = draw(st.one_of(st.just(0), st.just(extra_t), st.integers(0, extra_t)))
        totals = [totals[0] + won_c, totals[1] + extra_c, totals[2] + won_t, totals[3] + extra_t]
        looks.append((totals[0], totals[1], totals[2], totals[3]))
    return looks


@settings(max_examples=300, deadline=None)
@given(looks=cumulative_looks(), tau=st.floats(1e-6, 10.0), alpha=st.floats(1e-6, 0.5))
def test_paths_are_valid_p_values(
    looks: list[tuple[int, int, int, int]], tau: float, alpha: float
) -> None:
    result = sequential_proportions(looks, tau=tau, alpha=alpha)
    assert len(result.p_values) == len(looks)
    assert all(0 <= p <= 1 and math.isfinite(p) for p in result.p_values)
    assert all(a >= b for a, b in zip(result.p_values, result.p_values[1:], strict=False))
    assert all(e is None or math.isfinite(e) for e in result.estimates)
    assert result.rejected == (result.p_value <= alpha)


@settings(max_examples=200, deadline=None)
@given(
    estimate=st.floats(-1e150, 1e150),
    variance=st.one_of(st.just(0.0), st.floats(0, 1e150)),
    tau=st.floats(1e-100, 1e100),
)
def test_single_look_never_gives_nan(estimate: float, variance: float, tau: float) -> None:
    p = always_valid_p_value(estimate, variance, tau)
    assert 0 <= p <= 1
