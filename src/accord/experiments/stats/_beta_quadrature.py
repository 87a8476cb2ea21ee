r"""E[g(p)] for p ~ Beta(a, b), by adaptive quadrature, accurate to ~1e-12 both where the
posterior is very narrow (a million leads) and where a prior parameter below 1 makes the
density infinite at 0 or 1.

- The density is integrated relative to its value at the mean, and the result divided by
  the integral of that same relative density: the normalising 1/B(a, b) from log-gamma
  functions would lose ~1e-9 at a million leads (the log-gammas are ~1e7 and cancel).
- The integral is split at the mean. Below it the variable is the rate x; above it the
  variable is y = 1 - x, so rates within 1e-16 of 1 (where doubles are coarse) are
  resolved as finely as those near 0. g is always given both x and y = 1 - x.
- Within each half, the range is where all but 1e-15 of the posterior lies; except when
  the parameter at that end (a for x, b for y) is below 1: the density is then infinite at
  the end and spread over hundreds of orders of magnitude, and the variable becomes
  t = x^a, in which x^(a-1) dx = dt/a is bounded.
- Break points at the given quantiles (both posteriors') keep quadrature from stepping
  over a narrow peak.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from scipy import integrate, special

RateFunction = Callable[[float, float], float]
"""g(x, y) with y = 1 - x, each passed as accurately as doubles allow."""

_TAIL = 1e-15  # posterior mass left outside the integration range


def beta_expectation(
    function: RateFunction, a: float, b: float, x_breaks: Iterable[float], y_breaks: Iterable[float]
) -> float:
    """E[function(p, 1 - p)] for p ~ Beta(a, b); x_breaks are rates, y_breaks the same kind
    of points as 1 - rate (computed without rounding near 1)."""
    below, below_mass = _half(function, a, b, list(x_breaks))

    def mirrored(y: float, x: float) -> float:
        return function(x, y)

    above, above_mass = _half(mirrored, b, a, list(y_breaks))
    return (below + above) / (below_mass + above_mass)


def _half(function: RateFunction, a: float, b: float, breaks: list[float]) -> tuple[float, float]:
    """∫ over x from 0 to the mean a/(a+b) of function(x, 1 - x) · pdf(x)/pdf(mean), and of
    pdf(x)/pdf(mean) alone."""
    mean = a / (a + b)
    log_mean, log1m_mean = math.log(mean), math.log1p(-mean)
    inside = [x for x in breaks if 0 < x < mean]

    def log_other_factor(x: float) -> float:  # (b - 1) log((1 - x)/(1 - mean))
        return (b - 1) * (math.log1p(-x) - log1m_mean)

    if a < 1:
        # t = x^a; the weight x^(a-1) dx / mean^(a-1) = dt / (a mean^(a-1))
        constant = -(a - 1) * log_mean - math.log(a)

        def rate(t: float) -> float:
            return t ** (1 / a)

        def log_weight(x: float) -> float:
            return constant + log_other_factor(x)

        lower, upper, points = 0.0, mean**a, sorted(x**a for x in inside)
    else:

        def rate(t: float) -> float:
            return t

        def log_weight(x: float) -> float:
            if x <= 0:
                return -math.inf
            ratio = x / mean
            log_ratio = math.log(ratio) if ratio > 0 else math.log(x) - log_mean
            return (a - 1) * log_ratio + log_other_factor(x)

        lower, upper, points = float(special.betaincinv(a, b, _TAIL)), mean, inside

    def weighted(g: Callable[[float], float]) -> float:
        def integrand(v: float) -> float:
            x = rate(v)
            return math.exp(min(log_weight(x), 700.0)) * g(x)

        # full_output: QUADPACK's round-off notices (an answer of ~0 with a tolerance below
        # what doubles resolve) come back as data instead of warnings
        value, *_ = integrate.quad(
            integrand,
            lower,
            upper,
            points=points or None,
            epsabs=1e-14,
            epsrel=1e-12,
            limit=500,
            full_output=1,
        )
        return float(value)

    return weighted(lambda x: function(x, 1 - x)), weighted(lambda _: 1.0)
