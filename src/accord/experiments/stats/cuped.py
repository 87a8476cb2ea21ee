r"""CUPED (Deng, Xu, Kohavi and Walker, 2013): less noise in a comparison of means, from a
covariate measured before the experiment (last quarter's pipeline of the lead's company,
its engagement score at entry ...).

With outcome Y and pre-experiment covariate X, pooled over both arms:

.. math:: \theta = \frac{\operatorname{cov}(Y, X)}{\operatorname{var}(X)}, \qquad
          Y' = Y - \theta\,(X - \bar X)

θ is the slope of the least-squares line of Y on X. X is fixed before assignment, so
:math:`E[X]` is the same in both arms and the adjustment leaves the expected difference of
means unchanged while removing the part of Y's variance that X explains (a fraction
:math:`\rho^2` within arms). θ comes from the pooled data so both arms get the same
adjustment; with the treatment shifting Y, that is still unbiased because X is independent
of the assignment.

``variance_reduction`` is for the difference of means:
:math:`1 - (s'^2_c/n_c + s'^2_t/n_t)/(s^2_c/n_c + s^2_t/n_t)` — negative if the
adjustment made things worse (possible in small samples when X is unrelated to Y). The
adjusted summaries go straight into `compare_means`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from accord.experiments.stats._common import Status, check_sample
from accord.experiments.stats.means import SampleSummary

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class CupedAdjustment:
    """The adjusted observations of each arm (read-only arrays, in input order) and their
    summaries; theta is None when the covariate is constant (nothing adjusted)."""

    theta: float | None
    covariate_mean: float
    control: FloatArray
    treatment: FloatArray
    control_summary: SampleSummary
    treatment_summary: SampleSummary
    variance_reduction: float | None
    status: Status
    reason: str | None


def cuped_theta(outcome: Iterable[float], covariate: Iterable[float]) -> float | None:
    """cov(Y, X) / var(X); None when the covariate does not vary."""
    y = check_sample(outcome, "outcome")
    x = check_sample(covariate, "covariate")
    if y.size != x.size:
        raise ValueError(f"{y.size} outcomes but {x.size} covariate values: they must pair up")
    return _theta(y, x)


def cuped(
    control_outcome: Iterable[float],
    control_covariate: Iterable[float],
    treatment_outcome: Iterable[float],
    treatment_covariate: Iterable[float],
    *,
    theta: float | None = None,
) -> CupedAdjustment:
    """Adjust both arms' outcomes with θ from the pooled data (or the θ given)."""
    yc, xc = _paired(control_outcome, control_covariate, "control")
    yt, xt = _paired(treatment_outcome, treatment_covariate, "treatment")
    y, x = np.concatenate([yc, yt]), np.concatenate([xc, xt])
    covariate_mean = float(x.mean())
    if theta is not None:
        if (
            isinstance(theta, bool)
            or not isinstance(theta, int | float)
            or not math.isfinite(theta)
        ):
            raise ValueError(f"theta must be a finite number, got {theta!r}")
        slope: float | None = float(theta)
    else:
        slope = _theta(y, x)

    reasons: list[str] = []
    if slope is None:
        reasons.append("the covariate does not vary: CUPED cannot adjust, outcomes are unchanged")
        adjusted_c, adjusted_t = yc.copy(), yt.copy()
    else:
        adjusted_c = yc - slope * (xc - covariate_mean)
        adjusted_t = yt - slope * (xt - covariate_mean)
        if not (np.isfinite(adjusted_c).all() and np.isfinite(adjusted_t).all()):
            raise ValueError("the adjusted outcomes overflow floating point")
    for array in (adjusted_c, adjusted_t):
        array.setflags(write=False)

    before = _difference_variance(yc, yt)
    after = _difference_variance(adjusted_c, adjusted_t)
    reduction: float | None = None
    if before > 0:
        reduction = 1 - after / before
    else:
        reasons.append("the outcome does not vary in either arm: no variance to reduce")

    return CupedAdjustment(
        theta=slope,
        covariate_mean=covariate_mean,
        control=adjusted_c,
        treatment=adjusted_t,
        control_summary=_summary(adjusted_c),
        treatment_summary=_summary(adjusted_t),
        variance_reduction=reduction,
        status="partial" if reasons else "ok",
        reason="; ".join(reasons) or None,
    )


def _paired(
    outcome: Iterable[float], covariate: Iterable[float], arm: str
) -> tuple[FloatArray, FloatArray]:
    y = check_sample(outcome, f"{arm} outcome")
    x = check_sample(covariate, f"{arm} covariate")
    if y.size != x.size:
        raise ValueError(
            f"the {arm} has {y.size} outcomes but {x.size} covariate values: they must pair up"
        )
    return y, x


def _theta(y: FloatArray, x: FloatArray) -> float | None:
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0:
        return None
    theta = float(dx @ (y - y.mean())) / sxx
    if not math.isfinite(theta):
        raise ValueError("the outcome and covariate are too large for floating point")
    return theta


def _difference_variance(control: FloatArray, treatment: FloatArray) -> float:
    value = float(control.var(ddof=1) / control.size + treatment.var(ddof=1) / treatment.size)
    if not math.isfinite(value):
        raise ValueError("the outcomes are too large for floating point")
    return value


def _summary(values: FloatArray) -> SampleSummary:
    return SampleSummary(
        n=values.size, mean=float(values.mean()), variance=float(values.var(ddof=1))
    )
