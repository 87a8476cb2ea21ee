r"""Bayesian comparisons: how likely the treatment is better, and what choosing it could cost.

**Conversion rates (beta-binomial).** With a Beta(a, b) prior (Beta(1, 1), uniform, by
default) an arm with x conversions of n leads has the posterior Beta(a + x, b + n - x).
The credible intervals are equal-tailed. With :math:`f_t` the treatment's posterior density
and :math:`F_c, S_c = 1 - F_c` the control's distribution and survival functions:

- chance to beat control :math:`P(p_t > p_c) = \int_0^1 f_t(x)\,F_c(x)\,dx`;
- expected loss of choosing the treatment
  :math:`E[\max(p_c - p_t, 0)] = \int_0^1 f_t(x)\,E[(p_c - x)^+]\,dx` where
  :math:`E[(p_c - x)^+] = \mu_c\,S_{c+}(x) - x\,S_c(x)`, :math:`\mu_c` the control's posterior
  mean and :math:`S_{c+}` the survival function of Beta(a_c + 1, b_c) (because
  :math:`y f_c(y) = \mu_c f_{c+}(y)`);
- expected loss of keeping the control :math:`E[\max(p_t - p_c, 0)]`, which is the former
  plus :math:`\mu_t - \mu_c` (since :math:`\max(d, 0) - \max(-d, 0) = d`).

Both integrals are one-dimensional and computed by adaptive quadrature (QUADPACK through
``scipy.integrate.quad``, see `_beta_quadrature`), accurate to ~1e-12 from a handful of leads
to millions, for any prior with parameters of at least 0.05 (smaller ones put noticeable
probability within 1e-300 of 0 or 1, beyond what doubles resolve).

**Means (normal model).** With a flat prior and the normal approximation, the difference of
means D = μ_t - μ_c has the posterior N(m, s²), m the observed difference and
:math:`s^2 = s_c^2/n_c + s_t^2/n_t`. Then :math:`P(D > 0) = \Phi(m/s)`, the expected loss of
choosing the treatment :math:`E[\max(-D, 0)] = s\,\varphi(m/s) - m\,\Phi(-m/s)`, of keeping
the control :math:`E[\max(D, 0)] = s\,\varphi(m/s) + m\,\Phi(m/s)`, and the credible interval
:math:`m \pm z\,s`. If both arms have zero variance the posterior is degenerate and those
fields are None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special, stats

from accord.experiments.stats._beta_quadrature import RateFunction, beta_expectation
from accord.experiments.stats._common import (
    Interval,
    Status,
    check_open_unit,
    check_positive,
    check_successes,
    joined,
    status_for,
)
from accord.experiments.stats.means import SampleSummary

MIN_PRIOR = 0.05
# quantiles where quadrature must break its range, so a narrow peak is never stepped over
_BREAKS = (1e-12, 1e-9, 1e-6, 1e-3, 0.02, 0.1, 0.3, 0.5)


@dataclass(frozen=True)
class BetaPosterior:
    """One arm's Beta(alpha, beta) posterior, its mean and equal-tailed credible interval."""

    alpha: float
    beta: float
    mean: float
    interval: Interval


@dataclass(frozen=True)
class BayesianProportionComparison:
    """The posteriors of both rates; chance and losses are about the treatment's rate."""

    control: BetaPosterior
    treatment: BetaPosterior
    chance_to_beat_control: float
    expected_loss_treatment: float
    expected_loss_control: float
    credible_level: float
    status: Status
    reason: str | None


@dataclass(frozen=True)
class BayesianMeanComparison:
    """The normal posterior N(mean, standard_deviation²) of treatment - control."""

    difference: float
    standard_deviation: float | None
    interval: Interval | None
    chance_to_beat_control: float | None
    expected_loss_treatment: float | None
    expected_loss_control: float | None
    credible_level: float
    status: Status
    reason: str | None


def beta_posterior(
    conversions: int,
    trials: int,
    *,
    prior_alpha: float = 1.0,
    prior_beta: float = 1.0,
    credible_level: float = 0.95,
) -> BetaPosterior:
    """The Beta posterior of one conversion rate."""
    return _posterior(
        conversions,
        trials,
        "arm",
        prior_alpha=prior_alpha,
        prior_beta=prior_beta,
        credible_level=credible_level,
    )


def bayesian_proportions(
    control_conversions: int,
    control_trials: int,
    treatment_conversions: int,
    treatment_trials: int,
    *,
    prior_alpha: float = 1.0,
    prior_beta: float = 1.0,
    credible_level: float = 0.95,
) -> BayesianProportionComparison:
    """Beta-binomial posteriors, chance to beat control and expected losses."""
    prior = {"prior_alpha": prior_alpha, "prior_beta": prior_beta, "credible_level": credible_level}
    control = _posterior(control_conversions, control_trials, "control", **prior)
    treatment = _posterior(treatment_conversions, treatment_trials, "treatment", **prior)

    reasons = [
        f"the {arm} has no traffic: its posterior is the prior"
        for arm, trials in (("control", control_trials), ("treatment", treatment_trials))
        if trials == 0
    ]
    chance = chance_to_beat(control, treatment)
    loss_treatment = expected_loss_of_treatment(control, treatment)
    # max(d, 0) = max(-d, 0) + d with d = p_t - p_c, taken in expectation
    loss_control = max(loss_treatment + treatment.mean - control.mean, 0.0)
    return BayesianProportionComparison(
        control=control,
        treatment=treatment,
        chance_to_beat_control=chance,
        expected_loss_treatment=loss_treatment,
        expected_loss_control=loss_control,
        credible_level=float(credible_level),
        status=status_for(reasons),
        reason=joined(reasons),
    )


def chance_to_beat(control: BetaPosterior, treatment: BetaPosterior) -> float:
    """P(p_t > p_c) for independent Beta posteriors."""
    ac, bc = control.alpha, control.beta

    def below(x: float, y: float) -> float:  # P(p_c < x), from the nearer end
        if x <= 0.5:
            return float(special.betainc(ac, bc, x))
        return float(special.betaincc(bc, ac, y))

    return _clip_unit(_treatment_expectation(below, control, treatment))


def expected_loss_of_treatment(control: BetaPosterior, treatment: BetaPosterior) -> float:
    """E[max(p_c - p_t, 0)]: the rate given up, on average, by choosing the treatment."""
    ac, bc = control.alpha, control.beta
    mean_c, mean_yc = ac / (ac + bc), bc / (ac + bc)

    def shortfall(x: float, y: float) -> float:  # E[max(p_c - x, 0)]
        if x <= 0.5:
            above = mean_c * float(special.betaincc(ac + 1, bc, x))
            value = above - x * float(special.betaincc(ac, bc, x))
        else:
            # with y_c = 1 - p_c ~ Beta(b_c, a_c): E[max(y - y_c, 0)]
            value = y * float(special.betainc(bc, ac, y)) - mean_yc * float(
                special.betainc(bc + 1, ac, y)
            )
        return max(value, 0.0)

    return max(_treatment_expectation(shortfall, control, treatment), 0.0)


def bayesian_means(
    control: SampleSummary, treatment: SampleSummary, *, credible_level: float = 0.95
) -> BayesianMeanComparison:
    """Flat-prior normal posterior of the difference of means, its chance and losses."""
    for arm, summary in (("control", control), ("treatment", treatment)):
        if not isinstance(summary, SampleSummary):
            raise ValueError(f"the {arm} must be a SampleSummary, got {type(summary).__name__}")
    level = check_open_unit(credible_level, "credible_level")
    m = treatment.mean - control.mean
    variance = control.variance / control.n + treatment.variance / treatment.n
    if not (math.isfinite(m) and math.isfinite(variance)):
        raise ValueError("the means or variances are too large for floating point")
    if variance == 0:
        return BayesianMeanComparison(
            difference=m,
            standard_deviation=None,
            interval=None,
            chance_to_beat_control=None,
            expected_loss_treatment=None,
            expected_loss_control=None,
            credible_level=level,
            status="partial",
            reason="both arms have zero variance: the posterior of the difference is degenerate",
        )
    s = math.sqrt(variance)
    ratio = m / s
    # beyond 40 standard deviations φ is 0 in doubles; squaring a huge ratio would overflow
    density = float(stats.norm.pdf(ratio)) if abs(ratio) < 40 else 0.0
    half_width = float(stats.norm.isf((1 - level) / 2)) * s
    return BayesianMeanComparison(
        difference=m,
        standard_deviation=s,
        interval=Interval(m - half_width, m + half_width),
        chance_to_beat_control=_clip_unit(float(stats.norm.cdf(ratio))),
        expected_loss_treatment=max(s * density - m * float(stats.norm.cdf(-ratio)), 0.0),
        expected_loss_control=max(s * density + m * float(stats.norm.cdf(ratio)), 0.0),
        credible_level=level,
        status="ok",
        reason=None,
    )


def _posterior(
    conversions: int,
    trials: int,
    arm: str,
    *,
    prior_alpha: float,
    prior_beta: float,
    credible_level: float,
) -> BetaPosterior:
    x, n = check_successes(conversions, trials, arm)
    for name, value in (("prior_alpha", prior_alpha), ("prior_beta", prior_beta)):
        if check_positive(value, name) < MIN_PRIOR:
            raise ValueError(f"{name} must be at least {MIN_PRIOR}, got {value!r}")
    a = float(prior_alpha) + x
    b = float(prior_beta) + (n - x)
    tail = (1 - check_open_unit(credible_level, "credible_level")) / 2
    lower = float(special.betaincinv(a, b, tail))
    upper = float(special.betainccinv(a, b, tail))
    return BetaPosterior(alpha=a, beta=b, mean=a / (a + b), interval=Interval(lower, upper))


def _treatment_expectation(
    function: RateFunction, control: BetaPosterior, treatment: BetaPosterior
) -> float:
    """E[function(p_t, 1 - p_t)], with break points at both posteriors' quantiles."""
    x_breaks, y_breaks = [], []
    for p in (control, treatment):
        for q in _BREAKS:
            # the lower and upper q-quantiles, as rates and as 1 - rate
            x_breaks += [float(special.betaincinv(p.alpha, p.beta, q))]
            x_breaks += [float(special.betainccinv(p.alpha, p.beta, q))]
            y_breaks += [float(special.betaincinv(p.beta, p.alpha, q))]
            y_breaks += [float(special.betainccinv(p.beta, p.alpha, q))]
    return beta_expectation(function, treatment.alpha, treatment.beta, x_breaks, y_breaks)


def _clip_unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
