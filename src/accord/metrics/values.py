"""A metric's values: one number per breakdown value (and item), with the interval that keeps
small numbers from being over-read — the building blocks every catalogue metric returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from scipy import stats

from accord.core.intervals import Z95, wilson

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Value:
    """One number: for a breakdown value (`dimension`, '' for all) and, for metrics that list
    several things (stages, reasons), an `item`."""

    dimension: str
    value: int | Decimal | float | None
    item: str = ""
    low: Decimal | float | None = None  # the 95 % interval, for rates, averages and growth
    high: Decimal | float | None = None
    successes: int | None = None  # rates: successes of n
    n: int | None = None  # the count the value rests on (contacts, deals, stays)
    reason: str = ""  # why `value` is None


def money(value: Any) -> Decimal:
    """A sum of amounts to the cent (SQLite sums in floating point, the others in decimal)."""
    return Decimal(str(value)).quantize(CENT)


def rate_value(dimension: str, successes: int, n: int, item: str = "", empty: str = "") -> Value:
    low, high = wilson(successes, n)
    if not n:
        return Value(dimension, None, item, low, high, successes, n, empty or "no cases")
    return Value(dimension, successes / n, item, low, high, successes, n)


def mean_value(dimension: str, n: int, total: float, squares: float, *, item: str = "") -> Value:
    """The mean of n values from their sum and sum of squares, with a 95 % t interval."""
    if not n:
        return Value(dimension, None, item, n=0, reason="no cases")
    mean = total / n
    if n == 1:
        return Value(dimension, mean, item, n=1)
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
    return Value(dimension, mean, item, mean - half, mean + half, n=n)


def in_days(mean: Value) -> Value:
    """Days to the hundredth (a quarter of an hour): the engines measure durations to the
    second in different ways (SQLite through Julian days), which shows below that."""

    def hundredths(v: Any) -> float | None:
        return None if v is None else round(float(v), 2)

    return replace(mean, value=hundredths(mean.value), low=hundredths(mean.low),
                   high=hundredths(mean.high))  # fmt: skip


def growth_value(dimension: str, current: int, previous: int) -> Value:
    """(current - previous) / previous. Given their total, the current count is binomial with
    p = r / (1 + r), r the ratio of the two rates, so the Wilson interval for p gives one for
    the growth r - 1 (the conditional test for two Poisson counts)."""
    if not previous:
        return Value(dimension, None, n=current, reason="nothing in the previous period")
    low, high = wilson(current, current + previous, Z95)
    as_growth = lambda p: math.inf if p >= 1 else p / (1 - p) - 1  # noqa: E731
    return Value(
        dimension,
        current / previous - 1,
        low=as_growth(low),
        high=as_growth(high) if high < 1 else None,
        successes=current,
        n=previous,
    )


def money_mean(mean: Value) -> Value:
    def cents(v: Any) -> Decimal | None:
        return None if v is None else money(v)

    return Value(
        mean.dimension,
        cents(mean.value),
        mean.item,
        cents(mean.low),
        cents(mean.high),
        n=mean.n,
        reason=mean.reason,
    )
