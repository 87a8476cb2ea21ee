r"""Two means compared (pipeline or revenue per lead, hours to first touch): Welch's t-test.

From each arm's summary (n, mean, sample variance with n - 1 in the denominator), with
:math:`a = s_c^2/n_c` and :math:`b = s_t^2/n_t`:

- standard error of the difference :math:`\sqrt{a + b}`, statistic
  :math:`t = (\bar y_t - \bar y_c)/\sqrt{a+b}`;
- Welch-Satterthwaite degrees of freedom
  :math:`\nu = (a+b)^2 / \bigl(a^2/(n_c-1) + b^2/(n_t-1)\bigr)`, computed with a and b scaled
  by a + b so tiny variances cannot underflow to 0/0;
- the difference's interval :math:`\pm t_{\nu,1-\alpha/2}\sqrt{a+b}`;
- relative uplift :math:`R - 1` with :math:`R = \bar y_t/\bar y_c`, and a delta-method
  interval on the ratio itself (not its log: means may be zero or negative):
  :math:`\operatorname{se}(R) \approx \sqrt{b + R^2 a}\,/\,|\bar y_c|`, with the normal
  quantile since the delta method is a large-sample approximation.

Fewer than two observations in an arm is a ValueError (there is no variance to estimate).
Both arms with zero variance, or a control mean of 0, give None fields and a ``reason``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import stats

from accord.experiments.stats._common import (
    Alternative,
    Interval,
    Status,
    check_alpha,
    check_alternative,
    check_count,
    check_finite,
    check_non_negative,
    check_sample,
    finite_or_none,
    interval_or_none,
    joined,
    status_for,
    z_two_sided,
)

OVERFLOW = "the values are too large for floating point"


@dataclass(frozen=True)
class SampleSummary:
    """One arm's observations summarised: count, mean and sample variance (ddof = 1)."""

    n: int
    mean: float
    variance: float

    def __post_init__(self) -> None:
        n = check_count(self.n, "n")
        if n < 2:
            raise ValueError(
                f"a mean needs at least 2 observations to estimate a variance, got {n}"
            )
        # frozen: the normalised values are written through object.__setattr__
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "mean", check_finite(self.mean, "mean"))
        object.__setattr__(self, "variance", check_non_negative(self.variance, "variance"))


def summarise(values: Iterable[float], name: str = "sample") -> SampleSummary:
    """Count, mean and sample variance of observations (all finite, at least two)."""
    array = check_sample(values, name)
    return SampleSummary(n=array.size, mean=float(array.mean()), variance=float(array.var(ddof=1)))


@dataclass(frozen=True)
class MeanComparison:
    """Treatment against control on a mean; differences are treatment - control."""

    control_mean: float
    treatment_mean: float
    difference: float | None
    difference_interval: Interval | None
    standard_error: float | None
    degrees_of_freedom: float | None
    relative_uplift: float | None
    relative_uplift_interval: Interval | None
    t: float | None
    p_value: float | None
    significant: bool | None
    alpha: float
    alternative: Alternative
    status: Status
    reason: str | None


def compare_means(
    control: SampleSummary,
    treatment: SampleSummary,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> MeanComparison:
    """Welch's t-test, difference and relative uplift from the two arms' summaries."""
    for arm, summary in (("control", control), ("treatment", treatment)):
        if not isinstance(summary, SampleSummary):
            raise ValueError(f"the {arm} must be a SampleSummary, got {type(summary).__name__}")
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    reasons: list[str] = []

    difference = finite_or_none(treatment.mean - control.mean)
    a = control.variance / control.n
    b = treatment.variance / treatment.n
    variance = a + b

    standard_error = df = t = p_value = None
    difference_interval: Interval | None = None
    if difference is None:
        reasons.append(OVERFLOW)
    elif variance > 0 and math.isfinite(variance):
        standard_error = math.sqrt(variance)
        df = 1 / ((a / variance) ** 2 / (control.n - 1) + (b / variance) ** 2 / (treatment.n - 1))
        t = finite_or_none(difference / standard_error)
        if t is None:
            reasons.append(OVERFLOW)
        else:
            p_value = _t_p_value(t, df, alternative)
        half_width = float(stats.t.isf(alpha / 2, df)) * standard_error
        difference_interval = interval_or_none(difference - half_width, difference + half_width)
        if difference_interval is None and t is not None:
            reasons.append(OVERFLOW)
    elif variance == 0:
        reasons.append(
            "both arms have zero variance and the same mean: no difference can be measured"
            if difference == 0
            else "both arms have zero variance: the t statistic is undefined"
        )
    else:
        reasons.append(OVERFLOW)

    relative_uplift, uplift_interval, uplift_problem = _relative_uplift(control, treatment, alpha)
    if uplift_problem:
        reasons.append(uplift_problem)

    return MeanComparison(
        control_mean=control.mean,
        treatment_mean=treatment.mean,
        difference=difference,
        difference_interval=difference_interval,
        standard_error=standard_error,
        degrees_of_freedom=df,
        relative_uplift=relative_uplift,
        relative_uplift_interval=uplift_interval,
        t=t,
        p_value=p_value,
        significant=None if p_value is None else p_value < alpha,
        alpha=alpha,
        alternative=alternative,
        status=status_for(reasons),
        reason=joined(reasons),
    )


def compare_samples(
    control: Iterable[float],
    treatment: Iterable[float],
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> MeanComparison:
    """Welch's t-test straight from the observations of each arm."""
    return compare_means(
        summarise(control, "control"),
        summarise(treatment, "treatment"),
        alpha=alpha,
        alternative=alternative,
    )


def _relative_uplift(
    control: SampleSummary, treatment: SampleSummary, alpha: float
) -> tuple[float | None, Interval | None, str | None]:
    """R - 1 and its delta-method interval, or why there is none."""
    if control.mean == 0:
        return None, None, "the control mean is 0: the relative uplift is undefined"
    ratio = treatment.mean / control.mean
    a = control.variance / control.n
    b = treatment.variance / treatment.n
    ratio_se = math.hypot(math.sqrt(b), ratio * math.sqrt(a)) / abs(control.mean)
    uplift = ratio - 1
    if not (math.isfinite(uplift) and math.isfinite(ratio_se)):
        return None, None, "the control mean is too close to 0 for a relative uplift"
    if ratio_se == 0:
        return uplift, None, None  # both variances are 0: the reason is already given
    half_width = z_two_sided(alpha) * ratio_se
    return uplift, interval_or_none(uplift - half_width, uplift + half_width), None


def _t_p_value(t: float, df: float, alternative: Alternative) -> float:
    if alternative == "two-sided":
        p = 2 * float(stats.t.sf(abs(t), df))
    elif alternative == "larger":
        p = float(stats.t.sf(t, df))
    else:
        p = float(stats.t.cdf(t, df))
    return min(max(p, 0.0), 1.0)
