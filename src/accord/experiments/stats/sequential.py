r"""Always-valid p-values: results that may be looked at every day without inflating the
false-positive rate (the mixture sequential probability ratio test, mSPRT; Johari, Pekelis
and Walsh, "Always valid inference", 2017; Robbins' normal mixture).

At each look the experiment gives an estimate :math:`\hat\theta` of the difference
treatment - control and its variance V. Mixing the likelihood ratio of
:math:`\theta` against 0 over a normal prior :math:`\theta \sim N(0, \tau^2)` gives

.. math:: \Lambda = \sqrt{\frac{V}{V + \tau^2}}\;
          \exp\!\left(\frac{\tau^2\,\hat\theta^2}{2V(V + \tau^2)}\right)

and the always-valid p-value after look n is :math:`p_n = \min(p_{n-1}, 1/\Lambda_n)`,
:math:`p_0 = 1`. Under the null hypothesis, :math:`P(\exists n: p_n \le \alpha) \le \alpha`
however often one looks, so stopping at the first look with :math:`p_n \le \alpha` is valid.
Λ is computed on the log scale (it overflows for strong effects; the p-value just goes to 0).

The estimate and its variance at a look:

- conversion rates: :math:`\hat p_t - \hat p_c` with the *pooled* variance
  :math:`\bar p(1 - \bar p)(1/n_c + 1/n_t)` — the variance under the null hypothesis the
  test guards, as in the fixed-horizon z-test;
- means: the difference of means with the Welch variance :math:`s_c^2/n_c + s_t^2/n_t`.

A look where V is 0 (an arm without traffic; no conversions, or only conversions) carries
no evidence: Λ = 1 and the p-value stays where it was.

**Choosing τ.** τ is the scale of the effects the test is tuned to find quickly: the test is
most powerful for effects of about that size, and still valid for any. A plausible default
is the smallest effect worth acting on, in the units of the difference:
τ = minimum relative effect x baseline (e.g. 10 % of a 5 % conversion rate, τ = 0.005).
``tau_for_effect`` computes it; the functions take ``tau`` explicitly, or a ``baseline``
to apply that rule with ``minimum_relative_effect`` (default 10 %). τ must be fixed before
the data are seen — choosing it from the experiment's own differences voids the guarantee.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from accord.experiments.stats._common import (
    check_alpha,
    check_finite,
    check_non_negative,
    check_positive,
    check_successes,
)
from accord.experiments.stats.means import SampleSummary

DEFAULT_MINIMUM_RELATIVE_EFFECT = 0.1

ProportionLook = tuple[int, int, int, int]
"""Cumulative (control conversions, control trials, treatment conversions, treatment trials)
at one look."""

MeanLook = tuple[SampleSummary, SampleSummary]
"""Cumulative (control, treatment) summaries at one look."""


@dataclass(frozen=True)
class SequentialResult:
    """The always-valid p-value after each look and the decision at ``alpha``.

    ``estimates[i]`` is the difference treatment - control at look i (None if an arm had no
    traffic yet); ``stopped_at`` the index of the first look with p ≤ alpha, if any.
    """

    estimates: tuple[float | None, ...]
    p_values: tuple[float, ...]
    p_value: float
    rejected: bool
    stopped_at: int | None
    alpha: float
    tau: float


def tau_for_effect(
    baseline: float, minimum_relative_effect: float = DEFAULT_MINIMUM_RELATIVE_EFFECT
) -> float:
    """τ = |minimum relative effect x baseline|: the smallest effect worth finding, in the
    units of the difference (a rate for conversions, an amount for means)."""
    baseline = check_finite(baseline, "baseline")
    effect = check_finite(minimum_relative_effect, "minimum_relative_effect")
    tau = abs(effect * baseline)
    if tau == 0:
        raise ValueError(
            "tau from the baseline and the minimum relative effect must be positive, "
            f"got baseline={baseline!r}, minimum_relative_effect={effect!r}"
        )
    return _check_tau(tau)


def always_valid_p_value(
    estimate: float, variance: float, tau: float, previous_p_value: float = 1.0
) -> float:
    """The always-valid p-value after one more look: min(previous, 1/Λ)."""
    estimate = check_finite(estimate, "estimate")
    variance = check_non_negative(variance, "variance")
    tau = _check_tau(tau)
    previous = check_finite(previous_p_value, "previous_p_value")
    if not 0 <= previous <= 1:
        raise ValueError(f"previous_p_value must be between 0 and 1, got {previous!r}")
    log_lr = float(_log_lr(np.array([estimate]), np.array([variance]), tau)[0])
    return min(previous, math.exp(-max(log_lr, 0.0)))


def always_valid_p_values(
    estimates: npt.ArrayLike, variances: npt.ArrayLike, *, tau: float
) -> npt.NDArray[np.float64]:
    """The p-value path along the last axis (the looks), for any number of experiments at
    once: arrays of shape (..., looks) in, the same shape out."""
    tau = _check_tau(tau)
    theta = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    if theta.shape != v.shape:
        raise ValueError(f"estimates {theta.shape} and variances {v.shape} differ in shape")
    if theta.ndim == 0:
        raise ValueError("give the looks as an array, one estimate per look")
    if not (np.isfinite(theta).all() and np.isfinite(v).all()):
        raise ValueError("estimates and variances must be finite")
    if (v < 0).any():
        raise ValueError("variances must not be negative")
    log_lr = _log_lr(theta, v, tau)
    # 1/Λ capped at 1; the running minimum makes the path non-increasing
    per_look = np.exp(-np.clip(log_lr, 0.0, None))
    return np.minimum.accumulate(per_look, axis=-1)


def sequential_proportions(
    looks: Sequence[ProportionLook],
    *,
    tau: float | None = None,
    baseline: float | None = None,
    minimum_relative_effect: float = DEFAULT_MINIMUM_RELATIVE_EFFECT,
    alpha: float = 0.05,
) -> SequentialResult:
    """mSPRT over cumulative conversion counts, one tuple per look."""
    alpha = check_alpha(alpha)
    tau = _resolve_tau(tau, baseline, minimum_relative_effect)
    estimates: list[float | None] = []
    variances: list[float] = []
    previous = (0, 0, 0, 0)
    for index, look in enumerate(_checked_looks(looks)):
        if not isinstance(look, tuple | list) or len(look) != 4:
            raise ValueError(
                f"look {index} must be (control conversions, control trials, treatment "
                f"conversions, treatment trials), got {look!r}"
            )
        xc, nc = check_successes(look[0], look[1], f"look {index}: control")
        xt, nt = check_successes(look[2], look[3], f"look {index}: treatment")
        current = (xc, nc, xt, nt)
        if any(now < before for now, before in zip(current, previous, strict=True)):
            raise ValueError(f"look {index} has fewer leads or conversions than the look before")
        previous = current
        if nc == 0 or nt == 0:
            estimates.append(None)
            variances.append(0.0)
            continue
        pooled = (xc + xt) / (nc + nt)
        estimates.append(xt / nt - xc / nc)
        variances.append(pooled * (1 - pooled) * (1 / nc + 1 / nt))
    return _result(estimates, variances, tau, alpha)


def sequential_means(
    looks: Sequence[MeanLook],
    *,
    tau: float | None = None,
    baseline: float | None = None,
    minimum_relative_effect: float = DEFAULT_MINIMUM_RELATIVE_EFFECT,
    alpha: float = 0.05,
) -> SequentialResult:
    """mSPRT over cumulative (control, treatment) summaries, one pair per look."""
    alpha = check_alpha(alpha)
    tau = _resolve_tau(tau, baseline, minimum_relative_effect)
    estimates: list[float | None] = []
    variances: list[float] = []
    previous_n = (0, 0)
    for index, look in enumerate(_checked_looks(looks)):
        if (
            not isinstance(look, tuple | list)
            or len(look) != 2
            or not all(isinstance(arm, SampleSummary) for arm in look)
        ):
            raise ValueError(f"look {index} must be a (control, treatment) SampleSummary pair")
        control, treatment = look
        if control.n < previous_n[0] or treatment.n < previous_n[1]:
            raise ValueError(f"look {index} has fewer observations than the look before")
        previous_n = (control.n, treatment.n)
        estimate = treatment.mean - control.mean
        variance = control.variance / control.n + treatment.variance / treatment.n
        if not (math.isfinite(estimate) and math.isfinite(variance)):
            raise ValueError(f"look {index}: the means or variances are too large")
        estimates.append(estimate)
        variances.append(variance)
    return _result(estimates, variances, tau, alpha)


def _log_lr(
    theta: npt.NDArray[np.float64], v: npt.NDArray[np.float64], tau: float
) -> npt.NDArray[np.float64]:
    tau2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log Λ = ½ (log V - log(V + τ²)) + τ²/(V + τ²) · θ²/(2V): no product of two small
        # variances that could underflow to 0
        total = v + tau2
        log_lr = 0.5 * (np.log(v) - np.log(total)) + (tau2 / total) * (theta * theta / (2 * v))
    # V = 0 carries no evidence; NaN only comes from overflow at absurd magnitudes (inf - inf),
    # where claiming no evidence is the safe side. +inf is fine: the p-value becomes 0.
    return np.where((v > 0) & ~np.isnan(log_lr), log_lr, 0.0)


def _result(
    estimates: list[float | None], variances: list[float], tau: float, alpha: float
) -> SequentialResult:
    thetas = np.array([0.0 if e is None else e for e in estimates])
    path = always_valid_p_values(thetas, np.array(variances), tau=tau)
    crossed = np.flatnonzero(path <= alpha)
    stopped_at = int(crossed[0]) if crossed.size else None
    return SequentialResult(
        estimates=tuple(estimates),
        p_values=tuple(float(p) for p in path),
        p_value=float(path[-1]),
        rejected=stopped_at is not None,
        stopped_at=stopped_at,
        alpha=alpha,
        tau=tau,
    )


def _checked_looks[T](looks: Sequence[T]) -> Sequence[T]:
    if isinstance(looks, str | bytes) or not isinstance(looks, Sequence):
        raise ValueError("looks must be a sequence, one entry per look")
    if not looks:
        raise ValueError("looks must not be empty: give at least one look")
    return looks


def _check_tau(tau: object) -> float:
    value = check_positive(tau, "tau")
    if not math.isfinite(value * value):
        raise ValueError(f"tau is too large: tau squared overflows, got {value!r}")
    return value


def _resolve_tau(
    tau: float | None, baseline: float | None, minimum_relative_effect: float
) -> float:
    if tau is not None:
        return _check_tau(tau)
    if baseline is None:
        raise ValueError("give tau, or a baseline to derive it from the minimum relative effect")
    return tau_for_effect(baseline, minimum_relative_effect)
