r"""How many leads per arm an experiment needs, and the power a given size achieves.

All tests are two-sided at level alpha, with equal arms. :math:`z_a = \Phi^{-1}(1-\alpha/2)`,
:math:`z_b = \Phi^{-1}(\text{power})`, :math:`\delta` the difference to detect.

**Conversion rates**, ``method="pooled"`` (default; the normal approximation matching
`compare_proportions`' z-test, whose standard error is pooled under the null hypothesis —
Fleiss' formula without continuity correction), :math:`\bar p = (p_c + p_t)/2`:

.. math:: n = \frac{\bigl(z_a\sqrt{2\bar p(1-\bar p)} + z_b\sqrt{p_c(1-p_c) + p_t(1-p_t)}\bigr)^2}
               {\delta^2}

``method="arcsine"``: Cohen's effect size :math:`h = 2\arcsin\sqrt{p_t} - 2\arcsin\sqrt{p_c}`
(the variance-stabilised scale), :math:`n = 2\,(z_a + z_b)^2 / h^2` — what statsmodels'
``NormalIndPower`` gives with ``proportion_effectsize``.

**Means** with standard deviations :math:`\sigma_c, \sigma_t` (one sd for both by default):
:math:`n = (z_a + z_b)^2(\sigma_c^2 + \sigma_t^2)/\delta^2`.

The sample sizes use the usual closed forms, which leave out the chance of rejecting in the
wrong direction (below alpha/2, and negligible at useful power); the power functions
include both tails, so the power at the rounded-up size is at least the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from accord.experiments.stats._common import (
    check_alpha,
    check_finite,
    check_open_unit,
    check_positive,
)

ProportionMethod = Literal["pooled", "arcsine"]


@dataclass(frozen=True)
class SampleSize:
    """Leads needed per arm (rounded up) and in total, with the unrounded value."""

    per_arm: int
    total: int
    exact_per_arm: float
    alpha: float
    power: float
    method: str


def sample_size_proportions(
    control_rate: float,
    treatment_rate: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    method: ProportionMethod = "pooled",
) -> SampleSize:
    """Leads per arm to detect control_rate → treatment_rate."""
    pc, pt = _checked_rates(control_rate, treatment_rate)
    alpha, power = _checked_levels(alpha, power)
    z_a, z_b = _z(alpha), float(stats.norm.ppf(power))
    if method == "pooled":
        null_sd, alternative_sd = _pooled_sds(pc, pt)
        exact = _squared((z_a * null_sd + z_b * alternative_sd) / (pt - pc))
    elif method == "arcsine":
        exact = 2 * _squared((z_a + z_b) / _arcsine_effect(pc, pt))
    else:
        raise ValueError(f"method must be 'pooled' or 'arcsine', got {method!r}")
    return _sample_size(exact, alpha, power, method)


def power_proportions(
    control_rate: float,
    treatment_rate: float,
    n_per_arm: float,
    *,
    alpha: float = 0.05,
    method: ProportionMethod = "pooled",
) -> float:
    """Power of the two-sided test with n_per_arm leads in each arm."""
    pc, pt = _checked_rates(control_rate, treatment_rate)
    alpha = check_alpha(alpha)
    n = check_positive(n_per_arm, "n_per_arm")
    z_a = _z(alpha)
    if method == "pooled":
        null_sd, alternative_sd = _pooled_sds(pc, pt)
        shift = abs(pt - pc) * math.sqrt(n)
        critical = z_a * null_sd
        return _clip(
            float(stats.norm.cdf((shift - critical) / alternative_sd))
            + float(stats.norm.cdf((-shift - critical) / alternative_sd))
        )
    if method == "arcsine":
        return _two_tailed_power(abs(_arcsine_effect(pc, pt)) * math.sqrt(n / 2), z_a)
    raise ValueError(f"method must be 'pooled' or 'arcsine', got {method!r}")


def sample_size_means(
    difference: float,
    sd: float,
    *,
    treatment_sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> SampleSize:
    """Observations per arm to detect a difference of means; ``sd`` is the control's (and
    the treatment's too unless ``treatment_sd`` is given)."""
    delta = _checked_difference(difference)
    variance_sum = _variance_sum(sd, treatment_sd)
    alpha, power = _checked_levels(alpha, power)
    z_sum = _z(alpha) + float(stats.norm.ppf(power))
    exact = _squared(z_sum * math.sqrt(variance_sum) / delta)
    return _sample_size(exact, alpha, power, "normal")


def power_means(
    difference: float,
    sd: float,
    n_per_arm: float,
    *,
    treatment_sd: float | None = None,
    alpha: float = 0.05,
) -> float:
    """Power of the two-sided test of means with n_per_arm observations in each arm."""
    delta = _checked_difference(difference)
    variance_sum = _variance_sum(sd, treatment_sd)
    alpha = check_alpha(alpha)
    n = check_positive(n_per_arm, "n_per_arm")
    return _two_tailed_power(abs(delta) * math.sqrt(n / variance_sum), _z(alpha))


def _checked_rates(control_rate: float, treatment_rate: float) -> tuple[float, float]:
    pc = check_open_unit(control_rate, "control_rate")
    pt = check_open_unit(treatment_rate, "treatment_rate")
    if pc == pt:
        raise ValueError("the two rates are equal: there is no difference to detect")
    return pc, pt


def _checked_levels(alpha: float, power: float) -> tuple[float, float]:
    alpha = check_alpha(alpha)
    power = check_open_unit(power, "power")
    # the test rejects with probability alpha even with no data at all
    if power <= alpha:
        raise ValueError(f"power must exceed alpha ({alpha!r}), got {power!r}")
    return alpha, power


def _checked_difference(difference: float) -> float:
    delta = check_finite(difference, "difference")
    if delta == 0:
        raise ValueError("the difference is 0: there is no difference to detect")
    return delta


def _variance_sum(sd: float, treatment_sd: float | None) -> float:
    control = check_positive(sd, "sd")
    treatment = control if treatment_sd is None else check_positive(treatment_sd, "treatment_sd")
    total = control * control + treatment * treatment  # overflows to inf, ** would raise
    if not math.isfinite(total):
        raise ValueError("the standard deviations are too large for floating point")
    return total


def _pooled_sds(pc: float, pt: float) -> tuple[float, float]:
    """√(2 p̄(1 - p̄)) under the null, √(p_c(1 - p_c) + p_t(1 - p_t)) under the alternative."""
    mean = (pc + pt) / 2
    return math.sqrt(2 * mean * (1 - mean)), math.sqrt(pc * (1 - pc) + pt * (1 - pt))


def _arcsine_effect(pc: float, pt: float) -> float:
    effect = 2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc))
    if effect == 0:
        raise ValueError("the two rates are too close to tell apart on the arcsine scale")
    return effect


def _z(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2))


def _two_tailed_power(shift: float, z_a: float) -> float:
    return _clip(float(stats.norm.cdf(shift - z_a)) + float(stats.norm.cdf(-shift - z_a)))


def _sample_size(exact: float, alpha: float, power: float, method: str) -> SampleSize:
    if not math.isfinite(exact):
        raise ValueError("the difference is too small: the sample size overflows")
    # round before ceil so 100.00000000000001 from floating point does not become 101
    per_arm = max(math.ceil(round(exact, 9)), 1)
    return SampleSize(
        per_arm=per_arm,
        total=2 * per_arm,
        exact_per_arm=exact,
        alpha=alpha,
        power=power,
        method=method,
    )


def _squared(ratio: float) -> float:
    # the ratio is squared, not the difference alone (delta**2 can underflow to 0), and by
    # multiplication, which overflows to inf where ** would raise
    return ratio * ratio


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)
