"""The difference between two win rates and its 95 % interval. No Django import.

Newcombe's hybrid score interval (method 10 of Newcombe, 1998) combines the Wilson score
intervals of the two rates: for p1 - p2 with Wilson bounds (l1, u1) and (l2, u2),

    low  = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
    high = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)

It keeps its coverage near 0 and 1 and for small samples, where the Wald interval fails, and it
always lies within [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accord.core.intervals import Z95, wilson


@dataclass(frozen=True)
class RateDifference:
    """successes1/n1 minus successes2/n2 with its interval; None where a side has no cases."""

    successes1: int
    n1: int
    successes2: int
    n2: int
    difference: float | None
    low: float | None
    high: float | None


def newcombe_difference(
    successes1: int, n1: int, successes2: int, n2: int, z: float = Z95
) -> RateDifference:
    """The difference of two proportions with Newcombe's hybrid score interval. When either
    side has no cases there is no difference to estimate: all three numbers are None."""
    l1, u1 = wilson(successes1, n1, z)
    l2, u2 = wilson(successes2, n2, z)
    if n1 == 0 or n2 == 0:
        return RateDifference(successes1, n1, successes2, n2, None, None, None)
    p1, p2 = successes1 / n1, successes2 / n2
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return RateDifference(successes1, n1, successes2, n2, d, max(-1.0, low), min(1.0, high))
