"""What every statistics module shares: the interval and status types, the checks on inputs
(each raising ValueError with a message that names the argument), and normal quantiles."""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

Alternative = Literal["two-sided", "larger", "smaller"]
"""The alternative hypothesis about treatment - control: "larger" means the treatment is
higher, "smaller" that it is lower."""

Status = Literal["ok", "partial", "insufficient"]
""""ok": every field is filled in from the data; "partial": some fields are None (or, for a
Bayesian arm without traffic, rest on the prior alone) and ``reason`` says why;
"insufficient": nothing beyond the observed counts could be computed."""

ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "larger", "smaller")


@dataclass(frozen=True)
class Interval:
    """A closed interval [lower, upper]."""

    lower: float
    upper: float

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float):
            return False
        return self.lower <= value <= self.upper

    @property
    def width(self) -> float:
        return self.upper - self.lower


def status_for(reasons: Sequence[str]) -> Status:
    return "partial" if reasons else "ok"


def joined(reasons: Sequence[str]) -> str | None:
    return "; ".join(reasons) if reasons else None


def finite_or_none(value: float) -> float | None:
    """The value, or None where floating point overflowed (extreme magnitudes)."""
    return value if math.isfinite(value) else None


def interval_or_none(lower: float, upper: float) -> Interval | None:
    if math.isfinite(lower) and math.isfinite(upper):
        return Interval(lower, upper)
    return None


# --- checks -------------------------------------------------------------------------------


MAX_COUNT = 2**53
"""Counts above this are not exact as floating-point numbers (and far beyond any traffic)."""


def check_count(value: object, name: str) -> int:
    """A non-negative whole number. bool is refused: True is not a count of leads."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        count = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if count < 0:
        raise ValueError(f"{name} must not be negative, got {count}")
    if count > MAX_COUNT:
        raise ValueError(f"{name} is too large to count exactly (over 2**53), got {count}")
    return count


def check_successes(successes: object, trials: object, arm: str) -> tuple[int, int]:
    x = check_count(successes, f"{arm} conversions")
    n = check_count(trials, f"{arm} trials")
    if x > n:
        raise ValueError(f"the {arm} has more conversions ({x}) than trials ({n})")
    return x, n


def check_finite(value: object, name: str) -> float:
    # numbers.Real takes int, float and numpy's scalars, but not str or bool
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return number


def check_positive(value: object, name: str) -> float:
    number = check_finite(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number!r}")
    return number


def check_non_negative(value: object, name: str) -> float:
    number = check_finite(value, name)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number!r}")
    return number


def check_open_unit(value: object, name: str) -> float:
    """A probability strictly between 0 and 1 (alpha, power, a credible level)."""
    number = check_finite(value, name)
    if not 0 < number < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {number!r}")
    return number


def check_alpha(alpha: object) -> float:
    return check_open_unit(alpha, "alpha")


def check_alternative(alternative: object) -> Alternative:
    for known in ALTERNATIVES:
        if alternative == known:
            return known
    raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")


def check_sample(values: Iterable[float], name: str) -> npt.NDArray[np.float64]:
    """A one-dimensional array of at least two finite observations."""
    if isinstance(values, str | bytes):
        raise ValueError(f"the {name} must be a sequence of numbers, got a string")
    raw = np.asarray(values if isinstance(values, np.ndarray) else list(values))
    # integers, floats (and booleans as 0/1); not strings or objects that merely convert
    if raw.size and raw.dtype.kind not in "biuf":
        raise ValueError(f"the {name} must contain numbers only, got {raw.dtype} values")
    array = raw.astype(np.float64)
    if array.ndim != 1:
        raise ValueError(f"the {name} must be one-dimensional, got shape {array.shape}")
    if array.size < 2:
        raise ValueError(
            f"the {name} needs at least 2 observations to estimate a variance, got {array.size}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"the {name} contains values that are not finite (NaN or infinity)")
    return array


# --- normal distribution --------------------------------------------------------------------


def z_two_sided(alpha: float) -> float:
    """The quantile z with P(|Z| > z) = alpha, from the upper tail to keep precision."""
    return float(stats.norm.isf(alpha / 2))


def normal_p_value(z: float, alternative: Alternative) -> float:
    """P-value of a standard-normal statistic, computed from the tail (not 1 - cdf) so that
    tiny p-values do not round to 0 before they have to."""
    if alternative == "two-sided":
        p = 2 * float(stats.norm.sf(abs(z)))
    elif alternative == "larger":
        p = float(stats.norm.sf(z))
    else:
        p = float(stats.norm.cdf(z))
    return min(max(p, 0.0), 1.0)
