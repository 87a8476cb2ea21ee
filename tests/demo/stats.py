"""Exact binomial acceptance intervals for checking generated rates against true ones."""

from __future__ import annotations

import math


def binomial_interval(n: int, p: float, level: float = 0.999) -> tuple[int, int]:
    """The central `level` interval [lo, hi] of successes for Binomial(n, p): a count outside
    it has probability below 1 - level when the true rate is p."""
    if n == 0:
        return 0, 0
    tail = (1 - level) / 2
    log_pmf = [
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
        + k * math.log(p) + (n - k) * math.log1p(-p)
        for k in range(n + 1)
    ]  # fmt: skip
    pmf = [math.exp(v) for v in log_pmf]
    lo, cumulative = 0, 0.0
    while cumulative + pmf[lo] < tail:
        cumulative += pmf[lo]
        lo += 1
    hi, cumulative = n, 0.0
    while cumulative + pmf[hi] < tail:
        cumulative += pmf[hi]
        hi -= 1
    return lo, hi
