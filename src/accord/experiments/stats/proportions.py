r"""Two conversion rates compared: the treatment's rate against the control's.

With :math:`\hat p_c = x_c/n_c` and :math:`\hat p_t = x_t/n_t`:

- **test** — the two-proportion z-test with the *pooled* standard error (the rates are equal
  under the null hypothesis, so one rate :math:`\bar p = (x_c + x_t)/(n_c + n_t)` describes
  both arms):

  .. math:: z = \frac{\hat p_t - \hat p_c}{\sqrt{\bar p (1 - \bar p)(1/n_c + 1/n_t)}}

  The p-value is two-sided by default; ``alternative="larger"`` tests treatment > control,
  ``"smaller"`` treatment < control.

- **absolute difference** :math:`\hat p_t - \hat p_c` with the *unpooled* Wald interval
  (no null hypothesis to lean on when estimating):
  :math:`\pm z_{1-\alpha/2}\sqrt{\hat p_c(1-\hat p_c)/n_c + \hat p_t(1-\hat p_t)/n_t}`.

- **relative uplift** :math:`\hat p_t/\hat p_c - 1` with a delta-method interval on the *log*
  of the ratio (Katz): :math:`\operatorname{Var}\log(\hat p_t/\hat p_c) \approx
  (1-\hat p_t)/x_t + (1-\hat p_c)/x_c`, the interval exponentiated back, minus 1. On the log
  scale the interval respects that an uplift cannot go below -100 % and is asymmetric like
  the ratio's sampling distribution; it is statsmodels'
  ``confint_proportions_2indep(compare="ratio", method="log")``.

Intervals are always two-sided at level 1 - alpha; ``alternative`` changes the p-value only.

Degenerate data give None fields and a ``reason`` instead of NaN or infinity: an arm without
traffic, no conversions at all or conversions only (no difference can be measured), a control
without conversions (no ratio), a treatment without conversions (no log-ratio interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accord.experiments.stats._common import (
    Alternative,
    Interval,
    Status,
    check_alpha,
    check_alternative,
    check_successes,
    joined,
    normal_p_value,
    status_for,
    z_two_sided,
)


@dataclass(frozen=True)
class ProportionComparison:
    """Treatment against control on a conversion rate; differences are treatment - control."""

    control_rate: float | None
    treatment_rate: float | None
    difference: float | None
    difference_interval: Interval | None
    relative_uplift: float | None
    relative_uplift_interval: Interval | None
    z: float | None
    p_value: float | None
    significant: bool | None
    alpha: float
    alternative: Alternative
    status: Status
    reason: str | None


def compare_proportions(
    control_conversions: int,
    control_trials: int,
    treatment_conversions: int,
    treatment_trials: int,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> ProportionComparison:
    """Z-test, absolute difference and relative uplift of two conversion rates."""
    xc, nc = check_successes(control_conversions, control_trials, "control")
    xt, nt = check_successes(treatment_conversions, treatment_trials, "treatment")
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)

    if nc == 0 or nt == 0:
        return _without_traffic(xc, nc, xt, nt, alpha=alpha, alternative=alternative)

    pc, pt = xc / nc, xt / nt
    difference = pt - pc
    z_crit = z_two_sided(alpha)
    reasons: list[str] = []

    z: float | None = None
    p_value: float | None = None
    total_conversions, total_trials = xc + xt, nc + nt
    if 0 < total_conversions < total_trials:
        pooled = total_conversions / total_trials
        z = difference / math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt))
        p_value = normal_p_value(z, alternative)
    elif total_conversions == 0:
        reasons.append("neither arm converted any lead: no difference can be measured")
    else:
        reasons.append("both arms converted every lead: no difference can be measured")

    difference_interval: Interval | None = None
    wald_variance = pc * (1 - pc) / nc + pt * (1 - pt) / nt
    if wald_variance > 0:
        half_width = z_crit * math.sqrt(wald_variance)
        difference_interval = Interval(difference - half_width, difference + half_width)
    elif z is not None:
        # e.g. 0 of 50 against 50 of 50: the Wald interval collapses to a point, which would
        # claim a certainty the data cannot give
        reasons.append(
            "each arm converted none or all of its leads: the Wald interval would have zero "
            "width, so none is given"
        )

    relative_uplift: float | None = None
    uplift_interval: Interval | None = None
    if xc == 0:
        if total_conversions > 0:
            reasons.append("the control has no conversions: the relative uplift is undefined")
    else:
        ratio = pt / pc
        relative_uplift = ratio - 1
        if xt == 0:
            reasons.append(
                "the treatment has no conversions: the log-ratio interval of the uplift is "
                "undefined"
            )
        else:
            log_variance = (nt - xt) / (xt * nt) + (nc - xc) / (xc * nc)
            if log_variance > 0:
                half_log = z_crit * math.sqrt(log_variance)
                log_ratio = math.log(ratio)
                uplift_interval = Interval(
                    math.exp(log_ratio - half_log) - 1, math.exp(log_ratio + half_log) - 1
                )

    return ProportionComparison(
        control_rate=pc,
        treatment_rate=pt,
        difference=difference,
        difference_interval=difference_interval,
        relative_uplift=relative_uplift,
        relative_uplift_interval=uplift_interval,
        z=z,
        p_value=p_value,
        significant=None if p_value is None else p_value < alpha,
        alpha=alpha,
        alternative=alternative,
        status=status_for(reasons),
        reason=joined(reasons),
    )


def _without_traffic(
    xc: int, nc: int, xt: int, nt: int, *, alpha: float, alternative: Alternative
) -> ProportionComparison:
    if nc == nt == 0:
        reason = "not enough data: neither arm has any traffic"
    elif nc == 0:
        reason = "not enough data: the control has no traffic"
    else:
        reason = "not enough data: the treatment has no traffic"
    return ProportionComparison(
        control_rate=xc / nc if nc else None,
        treatment_rate=xt / nt if nt else None,
        difference=None,
        difference_interval=None,
        relative_uplift=None,
        relative_uplift_interval=None,
        z=None,
        p_value=None,
        significant=None,
        alpha=alpha,
        alternative=alternative,
        status="insufficient",
        reason=reason,
    )
