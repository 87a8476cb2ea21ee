"""Newcombe's hybrid score interval for the difference of two win rates: checked against
statsmodels to 1e-6, and its properties over random inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep

from accord.marketing.win_rate import newcombe_difference

CASES = [(7, 10, 3, 12), (0, 5, 4, 9), (5, 5, 0, 7), (30, 40, 120, 400), (1, 1, 1, 1),
         (0, 3, 0, 8), (12, 13, 2, 50), (250, 1000, 240, 1000)]  # fmt: skip


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), CASES)
def test_matches_statsmodels_newcomb(x1: int, n1: int, x2: int, n2: int) -> None:
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    found = newcombe_difference(x1, n1, x2, n2)
    assert found.difference == pytest.approx(x1 / n1 - x2 / n2, abs=1e-12)
    assert found.low == pytest.approx(low, abs=1e-6)
    assert found.high == pytest.approx(high, abs=1e-6)


def test_a_side_with_no_deals_has_no_difference() -> None:
    for args in ((0, 0, 3, 5), (2, 4, 0, 0), (0, 0, 0, 0)):
        found = newcombe_difference(*args)
        assert (found.difference, found.low, found.high) == (None, None, None)


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="need 0 <= successes <= n"):
        newcombe_difference(6, 5, 1, 2)


@st.composite
def two_rates(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1 = draw(st.integers(1, 5000))
    n2 = draw(st.integers(1, 5000))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@given(two_rates())
def test_the_interval_holds_the_difference_and_lies_in_minus_one_to_one(
    case: tuple[int, int, int, int],
) -> None:
    found = newcombe_difference(*case)
    assert found.difference is not None and found.low is not None and found.high is not None
    assert -1.0 <= found.low <= found.difference <= found.high <= 1.0


@given(two_rates())
def test_swapping_the_sides_mirrors_the_interval(case: tuple[int, int, int, int]) -> None:
    x1, n1, x2, n2 = case
    a, b = newcombe_difference(x1, n1, x2, n2), newcombe_difference(x2, n2, x1, n1)
    assert a.low == pytest.approx(-b.high, abs=1e-12)  # type: ignore[operator]
    assert a.high == pytest.approx(-b.low, abs=1e-12)  # type: ignore[operator]
