"""Wilson intervals against scipy's implementation and a hand-worked case."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from accord.core.intervals import rate, wilson


def test_hand_worked_case() -> None:
    # 8 of 10: p = 0.8, z = 1.96 -> (0.4902, 0.9433) (Wilson 1927; Newcombe 1998, table I style)
    low, high = wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


@given(st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
))  # fmt: skip
def test_matches_scipy(case: tuple[int, int]) -> None:
    successes, n = case
    expected = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(successes, n)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)
    assert 0.0 <= low <= successes / n <= high <= 1.0


def test_empty_and_invalid() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert rate(0, 0).value is None
    assert rate(3, 4).value == 0.75
    with pytest.raises(ValueError, match="0 <= successes <= n"):
        wilson(5, 4)
