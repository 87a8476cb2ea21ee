"""Sample size and power: the pooled-variance formula against its closed form computed
here, the arcsine method and the power of means against statsmodels' NormalIndPower,
consistency between sizes and power, bad input, and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from accord.experiments.stats import (
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)

RATES = [(0.10, 0.12), (0.05, 0.055), (0.30, 0.25), (0.02, 0.03), (0.5, 0.6)]


def fleiss(pc: float, pt: float, alpha: float, power: float) -> float:
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    p_bar = (pc + pt) / 2
    numerator = z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(
        pc * (1 - pc) + pt * (1 - pt)
    )
    return numerator**2 / (pt - pc) ** 2


@pytest.mark.parametrize(("pc", "pt"), RATES)
@pytest.mark.parametrize(("alpha", "power"), [(0.05, 0.8), (0.01, 0.9), (0.1, 0.5)])
def test_pooled_sample_size_is_the_closed_form(
    pc: float, pt: float, alpha: float, power: float
) -> None:
    size = sample_size_proportions(pc, pt, alpha=alpha, power=power)
    exact = fleiss(pc, pt, alpha, power)
    assert size.exact_per_arm == pytest.approx(exact, rel=1e-9)
    assert size.per_arm == math.ceil(exact)
    assert size.total == 2 * size.per_arm
    assert size.method == "pooled"


def test_a_familiar_example() -> None:
    # 10 % -> 12 % at alpha 0.05, power 0.8: 3,841 per arm (Fleiss without correction)
    assert sample_size_proportions(0.10, 0.12).per_arm == 3841


@pytest.mark.parametrize(("pc", "pt"), RATES)
@pytest.mark.parametrize("n", [100, 1000, 5000])
def test_arcsine_power_matches_statsmodels(pc: float, pt: float, n: int) -> None:
    effect = proportion_effectsize(pt, pc)
    reference = NormalIndPower().power(effect, nobs1=n, alpha=0.05)
    assert power_proportions(pc, pt, n, method="arcsine") == pytest.approx(reference, abs=1e-10)


@pytest.mark.parametrize(("pc", "pt"), RATES)
def test_arcsine_sample_size_matches_statsmodels(pc: float, pt: float) -> None:
    effect = proportion_effectsize(pt, pc)
    reference = NormalIndPower().solve_power(effect, alpha=0.05, power=0.8)
    size = sample_size_proportions(pc, pt, method="arcsine")
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    assert size.exact_per_arm == pytest.approx(2 * ((z_a + z_b) / effect) ** 2, rel=1e-12)
    # statsmodels solves with both tails; the closed form leaves out the far one, so its
    # power there is the target plus that tail exactly, and the sizes differ by ~1e-6
    far_tail = stats.norm.cdf(-2 * z_a - z_b)
    achieved = NormalIndPower().power(effect, nobs1=size.exact_per_arm, alpha=0.05)
    assert achieved == pytest.approx(0.8 + far_tail, abs=1e-10)
    assert size.exact_per_arm == pytest.approx(reference, rel=1e-5)


@pytest.mark.parametrize(("difference", "sd", "n"), [(50.0, 400.0, 1000), (0.2, 1.0, 100)])
def test_power_of_means_matches_statsmodels(difference: float, sd: float, n: int) -> None:
    reference = NormalIndPower().power(difference / sd, nobs1=n, alpha=0.05)
    assert power_means(difference, sd, n) == pytest.approx(reference, abs=1e-10)
    assert power_means(-difference, sd, n) == pytest.approx(reference, abs=1e-10)


def test_sample_size_of_means_is_the_closed_form() -> None:
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.9)
    size = sample_size_means(25.0, 300.0, treatment_sd=400.0, power=0.9)
    assert size.exact_per_arm == pytest.approx(z**2 * (300**2 + 400**2) / 25**2, rel=1e-12)
    equal = sample_size_means(0.5, 1.0)
    reference = NormalIndPower().solve_power(0.5, alpha=0.05, power=0.8)
    assert equal.exact_per_arm == pytest.approx(reference, rel=1e-5)


def test_pooled_power_by_hand() -> None:
    pc, pt, n = 0.10, 0.12, 3000
    z_a = stats.norm.ppf(0.975)
    null_sd = math.sqrt(2 * 0.11 * 0.89)
    alt_sd = math.sqrt(0.1 * 0.9 + 0.12 * 0.88)
    expected = stats.norm.cdf((0.02 * math.sqrt(n) - z_a * null_sd) / alt_sd) + stats.norm.cdf(
        (-0.02 * math.sqrt(n) - z_a * null_sd) / alt_sd
    )
    assert power_proportions(pc, pt, n) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_size_proportions(0.1, 0.1), "the two rates are equal"),
        (lambda: sample_size_proportions(0.0, 0.1), "control_rate must be strictly between"),
        (lambda: sample_size_proportions(0.1, 1.0), "treatment_rate must be strictly between"),
        (lambda: sample_size_proportions(0.1, 0.12, alpha=0), "alpha must be strictly"),
        (lambda: sample_size_proportions(0.1, 0.12, power=1), "power must be strictly"),
        (lambda: sample_size_proportions(0.1, 0.12, power=0.03), "power must exceed alpha"),
        (lambda: sample_size_proportions(0.1, 0.12, method="exact"), "method must be"),  # type: ignore[arg-type]
        (lambda: power_proportions(0.1, 0.12, 0), "n_per_arm must be positive"),
        (lambda: power_proportions(0.1, 0.12, math.inf), "n_per_arm must be finite"),
        (lambda: sample_size_means(0.0, 1.0), "the difference is 0"),
        (lambda: sample_size_means(1.0, 0.0), "sd must be positive"),
        (lambda: sample_size_means(1.0, 1.0, treatment_sd=-1.0), "treatment_sd must be positive"),
        (lambda: power_means(1.0, 1.0, -5), "n_per_arm must be positive"),
        (lambda: sample_size_means(1e-300, 1e10), "the sample size overflows"),
    ],
)
def test_bad_input(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()


rates = st.floats(1e-4, 1 - 1e-4)


@settings(max_examples=300, deadline=None)
@given(
    pc=rates,
    pt=rates,
    alpha=st.floats(1e-4, 0.2),
    power=st.floats(0.5, 0.99),
    method=st.sampled_from(["pooled", "arcsine"]),
)
def test_the_size_reaches_the_power(
    pc: float, pt: float, alpha: float, power: float, method: str
) -> None:
    if abs(pc - pt) < 1e-3:
        return
    size = sample_size_proportions(pc, pt, alpha=alpha, power=power, method=method)  # type: ignore[arg-type]
    assert size.per_arm >= 1 and math.isfinite(size.exact_per_arm)
    achieved = power_proportions(pc, pt, size.exact_per_arm, alpha=alpha, method=method)  # type: ignore[arg-type]
    # the closed form leaves out the far tail, so it reaches the power (up to that tail)
    assert achieved >= power - 1e-9
    assert achieved <= power + alpha / 2 + 1e-9
    assert 0 <= power_proportions(pc, pt, 1, alpha=alpha, method=method) <= 1  # type: ignore[arg-type]
