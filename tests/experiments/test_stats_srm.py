"""Sample-ratio mismatch against scipy.stats.chisquare, the default threshold, no traffic,
bad input, and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from accord.experiments.stats import sample_ratio_mismatch


@pytest.mark.parametrize(
    ("observed", "weights"),
    [
        ([5000, 5100], None),
        ([10_000, 10_500], [1, 1]),
        ([3300, 3350, 3290], None),
        ([900, 2100], [0.3, 0.7]),
        ([81, 19], [80, 20]),
        ([0, 40], [1, 1]),
        ([120, 260, 610], [1, 2, 5]),
    ],
)
def test_matches_scipy_chisquare(observed: list[int], weights: list[float] | None) -> None:
    result = sample_ratio_mismatch(observed, weights)
    total = sum(observed)
    shares = [1 / len(observed)] * len(observed) if weights is None else weights
    expected = [total * w / sum(shares) for w in shares]
    reference = stats.chisquare(observed, expected)
    assert result.chi_square == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)
    assert result.expected == pytest.approx(tuple(expected), rel=1e-12)
    assert result.degrees_of_freedom == len(observed) - 1
    assert result.mismatch == (reference.pvalue < 0.001)


def test_a_clear_mismatch_is_flagged_and_noise_is_not() -> None:
    # 50/50 planned, 49.0 % / 51.0 % of 102,000 leads: chi-square 39.2, p ~ 4e-10
    assert sample_ratio_mismatch([50_000, 52_000]).mismatch is True
    assert sample_ratio_mismatch([5000, 5100]).mismatch is False


def test_threshold() -> None:
    result = sample_ratio_mismatch([50_000, 51_000])
    assert result.p_value is not None and 0.001 < result.p_value < 0.01
    assert result.mismatch is False
    assert sample_ratio_mismatch([50_000, 51_000], threshold=0.01).mismatch is True


def test_no_traffic_yet() -> None:
    result = sample_ratio_mismatch([0, 0, 0])
    assert result.status == "insufficient"
    assert result.reason == "not enough data: no variant has any traffic yet"
    assert (result.chi_square, result.p_value, result.mismatch) == (None, None, None)


@pytest.mark.parametrize(
    ("observed", "weights", "kwargs", "message"),
    [
        ([10], None, {}, "at least 2 variants"),
        ([10, -1], None, {}, "observed count 1 must not be negative"),
        ([10, 2.5], None, {}, "observed count 1 must be a whole number"),
        ([10, 12], [1, 0], {}, "weight 1 must be positive"),
        ([10, 12], [1, -2], {}, "weight 1 must be positive"),
        ([10, 12], [1, 2, 3], {}, "2 observed counts but 3 weights"),
        ([10, 12], [1, 1e-9], {}, "at least a millionth"),
        ([10, 12], None, {"threshold": 0}, "threshold must be strictly between 0 and 1"),
        ("10", None, {}, "observed must be a sequence"),
    ],
)
def test_bad_input(
    observed: object, weights: object, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sample_ratio_mismatch(observed, weights, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    data=st.integers(2, 6).flatmap(
        lambda k: st.tuples(
            st.lists(st.integers(0, 10**9), min_size=k, max_size=k),
            st.lists(st.floats(0.01, 100), min_size=k, max_size=k),
        )
    )
)
def test_properties(data: tuple[list[int], list[float]]) -> None:
    observed, weights = data
    result = sample_ratio_mismatch(observed, weights)
    if sum(observed) == 0:
        assert result.p_value is None
        return
    assert result.p_value is not None and result.chi_square is not None
    assert 0 <= result.p_value <= 1
    assert math.isfinite(result.chi_square) and result.chi_square >= 0
    assert sum(result.expected) == pytest.approx(sum(observed))
