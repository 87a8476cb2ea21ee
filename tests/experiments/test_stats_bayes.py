"""Bayesian comparisons: chance to beat control against Evan Miller's closed form for integer
Beta parameters (to 1e-8), the expected loss against the closed form built on it, a
2,000,000-draw Monte Carlo as a loose sanity check, the normal model against direct
integration, degenerate data, bad input and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from accord.experiments.stats import (
    SampleSummary,
    bayesian_means,
    bayesian_proportions,
    beta_posterior,
)


def miller_chance(ac: float, bc: float, at: float, bt: float) -> float:
    """P(p_t > p_c), p_t ~ Beta(at, bt) with integer at, p_c ~ Beta(ac, bc) (Evan Miller):
    sum over i < at of B(ac + i, bc + bt) / ((bt + i) B(1 + i, bt) B(ac, bc))."""
    i = np.arange(int(at), dtype=float)
    log_terms = (
        special.betaln(ac + i, bc + bt)
        - np.log(bt + i)
        - special.betaln(1 + i, bt)
        - special.betaln(ac, bc)
    )
    return math.fsum(np.exp(log_terms))


def closed_form_loss(ac: float, bc: float, at: float, bt: float) -> float:
    """E[max(p_c - p_t, 0)] = mu_c P(Beta(ac+1, bc) > p_t) - mu_t P(p_c > Beta(at+1, bt))."""
    mean_c, mean_t = ac / (ac + bc), at / (at + bt)
    return mean_c * miller_chance(at, bt, ac + 1, bc) - mean_t * miller_chance(at + 1, bt, ac, bc)


CASES = [
    (0, 0, 0, 0),
    (0, 10, 0, 10),
    (10, 10, 10, 10),
    (5, 100, 9, 100),
    (100, 1000, 120, 1000),
    (1000, 10_000, 1100, 10_000),
    (4800, 100_000, 5100, 100_000),
    (3, 100_000, 5, 100_000),
    (0, 0, 30, 30),
    (200, 1000, 100, 1000),
    (1, 2, 1000, 2000),
    (400, 10_000, 400, 500),
]


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
def test_chance_and_loss_match_the_closed_forms(xc: int, nc: int, xt: int, nt: int) -> None:
    result = bayesian_proportions(xc, nc, xt, nt)
    ac, bc, at, bt = 1 + xc, 1 + nc - xc, 1 + xt, 1 + nt - xt
    assert result.chance_to_beat_control == pytest.approx(miller_chance(ac, bc, at, bt), abs=1e-8)
    assert result.expected_loss_treatment == pytest.approx(
        closed_form_loss(ac, bc, at, bt), abs=1e-9
    )
    # keeping the control loses what choosing the treatment would have won
    assert result.expected_loss_control == pytest.approx(closed_form_loss(at, bt, ac, bc), abs=1e-9)


def test_a_small_case_by_hand() -> None:
    # Beta(2, 1) against Beta(1, 2): P(p_t > p_c) = ∫ 2x (2x - x²) dx = 4/3 - 1/2 = 5/6
    result = bayesian_proportions(0, 1, 1, 1)
    assert result.chance_to_beat_control == pytest.approx(5 / 6, abs=1e-12)
    # E[max(p_c - p_t, 0)] = ∫∫_{y > x} (y - x) 2x · 2(1 - y) = 1/30
    assert result.expected_loss_treatment == pytest.approx(1 / 30, abs=1e-12)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), [(100, 1000, 120, 1000), (5, 100, 9, 100)])
def test_monte_carlo_sanity_check(xc: int, nc: int, xt: int, nt: int) -> None:
    rng = np.random.default_rng(20240601)
    draws = 2_000_000
    control = rng.beta(1 + xc, 1 + nc - xc, draws)
    treatment = rng.beta(1 + xt, 1 + nt - xt, draws)
    result = bayesian_proportions(xc, nc, xt, nt)
    assert result.chance_to_beat_control == pytest.approx(np.mean(treatment > control), abs=2e-3)
    loss = np.mean(np.maximum(control - treatment, 0))
    assert result.expected_loss_treatment == pytest.approx(loss, rel=0.02, abs=1e-6)


PRIORS = [(0.5, 0.5), (2.5, 40.0), (0.1, 3.0), (0.05, 0.05), (3.0, 0.05)]
ARMS = [(0, 0), (0, 40), (3, 50), (40, 40), (0, 100_000), (100_000, 100_000), (700, 10_000)]


@pytest.mark.parametrize(("prior_alpha", "prior_beta"), PRIORS)
@pytest.mark.parametrize("control", ARMS)
@pytest.mark.parametrize("treatment", ARMS)
def test_any_prior_swapping_arms_gives_the_complement(
    prior_alpha: float, prior_beta: float, control: tuple[int, int], treatment: tuple[int, int]
) -> None:
    # non-integer parameters have no closed form; P(t > c) + P(c > t) = 1 and
    # loss(treatment) - loss(control) = E[p_c - p_t] hold whatever the prior
    prior = {"prior_alpha": prior_alpha, "prior_beta": prior_beta}
    forward = bayesian_proportions(*control, *treatment, **prior)
    backward = bayesian_proportions(*treatment, *control, **prior)
    assert forward.chance_to_beat_control + backward.chance_to_beat_control == pytest.approx(
        1, abs=1e-10
    )
    # loss(treatment) - loss(control) = E[p_c - p_t], from either side
    assert forward.expected_loss_treatment == pytest.approx(
        backward.expected_loss_control, abs=1e-10
    )
    if control == treatment:
        assert forward.chance_to_beat_control == pytest.approx(0.5, abs=1e-10)


def test_non_integer_prior_against_monte_carlo() -> None:
    rng = np.random.default_rng(7)
    control = rng.beta(0.5 + 0, 0.5 + 40, 2_000_000)
    treatment = rng.beta(0.5 + 3, 0.5 + 47, 2_000_000)
    result = bayesian_proportions(0, 40, 3, 50, prior_alpha=0.5, prior_beta=0.5)
    assert (result.control.alpha, result.treatment.beta) == (0.5, 47.5)
    assert result.chance_to_beat_control == pytest.approx(np.mean(treatment > control), abs=2e-3)


def test_credible_intervals_are_equal_tailed_beta_quantiles() -> None:
    posterior = beta_posterior(30, 400, credible_level=0.9)
    assert (posterior.alpha, posterior.beta) == (31, 371)
    assert posterior.mean == pytest.approx(31 / 402)
    low, high = stats.beta.interval(0.9, 31, 371)
    assert posterior.interval.lower == pytest.approx(low, rel=1e-10)
    assert posterior.interval.upper == pytest.approx(high, rel=1e-10)


def test_an_arm_without_traffic_rests_on_the_prior() -> None:
    result = bayesian_proportions(0, 0, 10, 100)
    assert result.control.alpha == result.control.beta == 1
    assert result.status == "partial"
    assert result.reason == "the control has no traffic: its posterior is the prior"
    nothing = bayesian_proportions(0, 0, 0, 0)
    assert nothing.chance_to_beat_control == pytest.approx(0.5, abs=1e-12)


def _arm(n: int, mean: float, variance: float) -> SampleSummary:
    return SampleSummary(n=n, mean=mean, variance=variance)


@pytest.mark.parametrize(
    ("control", "treatment"),
    [
        (_arm(50, 1200.0, 250_000.0), _arm(55, 1350.0, 360_000.0)),
        (_arm(500, 36.5, 144.0), _arm(480, 37.9, 130.0)),
        (_arm(30, 10.0, 1.0), _arm(30, 8.0, 1.5)),
    ],
)
def test_normal_model_against_direct_integration(
    control: SampleSummary, treatment: SampleSummary
) -> None:
    result = bayesian_means(control, treatment, credible_level=0.9)
    m = treatment.mean - control.mean
    s = math.sqrt(control.variance / control.n + treatment.variance / treatment.n)
    posterior = stats.norm(m, s)
    assert result.chance_to_beat_control == pytest.approx(posterior.sf(0), abs=1e-12)
    loss_t, _ = integrate.quad(lambda d: -d * posterior.pdf(d), -np.inf, 0, epsabs=1e-13)
    loss_c, _ = integrate.quad(lambda d: d * posterior.pdf(d), 0, np.inf, epsabs=1e-13)
    assert result.expected_loss_treatment == pytest.approx(loss_t, rel=1e-7, abs=1e-10)
    assert result.expected_loss_control == pytest.approx(loss_c, rel=1e-7, abs=1e-10)
    low, high = posterior.interval(0.9)
    assert result.interval is not None
    assert result.interval.lower == pytest.approx(low, rel=1e-10)
    assert result.interval.upper == pytest.approx(high, rel=1e-10)


def test_normal_model_with_no_variance() -> None:
    result = bayesian_means(_arm(4, 2.0, 0.0), _arm(4, 3.0, 0.0))
    assert result.status == "partial"
    assert result.difference == 1
    assert result.chance_to_beat_control is None
    assert result.expected_loss_treatment is None
    assert result.reason == (
        "both arms have zero variance: the posterior of the difference is degenerate"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"control_conversions": -1}, "control conversions must not be negative"),
        ({"treatment_conversions": 11}, "more conversions"),
        ({"prior_alpha": 0}, "prior_alpha must be positive"),
        ({"prior_beta": -1.0}, "prior_beta must be positive"),
        ({"prior_beta": math.inf}, "prior_beta must be finite"),
        ({"prior_alpha": 0.01}, "prior_alpha must be at least 0.05"),
        ({"credible_level": 1.0}, "credible_level must be strictly between 0 and 1"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "control_conversions": 1,
        "control_trials": 10,
        "treatment_conversions": 1,
        "treatment_trials": 10,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        bayesian_proportions(**arguments)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="credible_level"):
        bayesian_means(_arm(3, 1.0, 1.0), _arm(3, 1.0, 1.0), credible_level=0)


@st.composite
def arms(draw: st.DrawFn) -> tuple[int, int, int, int]:
    nc = draw(st.integers(0, 10**7))
    nt = draw(st.integers(0, 10**7))
    xc = draw(st.one_of(st.just(0), st.just(nc), st.integers(0, nc)))
    xt = draw(st.one_of(st.just(0), st.just(nt), st.integers(0, nt)))
    return xc, nc, xt, nt


@settings(max_examples=150, deadline=None)
@given(
    counts=arms(),
    prior=st.tuples(st.floats(0.05, 50), st.floats(0.05, 50)),
)
def test_properties_on_any_valid_counts(
    counts: tuple[int, int, int, int], prior: tuple[float, float]
) -> None:
    result = bayesian_proportions(*counts, prior_alpha=prior[0], prior_beta=prior[1])
    assert 0 <= result.chance_to_beat_control <= 1
    for loss in (result.expected_loss_treatment, result.expected_loss_control):
        assert math.isfinite(loss) and 0 <= loss <= 1
    for arm in (result.control, result.treatment):
        assert arm.mean in arm.interval
        assert 0 <= arm.interval.lower <= arm.interval.upper <= 1
    # the two losses differ by the difference of posterior means
    assert result.expected_loss_control - result.expected_loss_treatment == pytest.approx(
        result.treatment.mean - result.control.mean, abs=1e-9
    )


summaries = st.builds(
    SampleSummary,
    n=st.integers(2, 10**7),
    mean=st.floats(-1e12, 1e12),
    variance=st.one_of(st.just(0.0), st.floats(0, 1e18)),
)


@settings(max_examples=300, deadline=None)
@given(control=summaries, treatment=summaries, level=st.floats(0.01, 0.999))
def test_normal_model_properties(
    control: SampleSummary, treatment: SampleSummary, level: float
) -> None:
    result = bayesian_means(control, treatment, credible_level=level)
    if result.standard_deviation is None:
        assert result.status == "partial"
        return
    assert result.chance_to_beat_control is not None
    assert 0 <= result.chance_to_beat_control <= 1
    for loss in (result.expected_loss_treatment, result.expected_loss_control):
        assert loss is not None and math.isfinite(loss) and loss >= 0
    assert result.interval is not None and result.difference in result.interval
