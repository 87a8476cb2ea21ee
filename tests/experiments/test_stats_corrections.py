"""Holm and Benjamini-Hochberg against statsmodels' multipletests, input order, edge cases,
bad input, and properties (monotone in the raw p-values, never below them)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from accord.experiments.stats import adjust_p_values, benjamini_hochberg, holm

CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.001, 0.049, 0.6, 0.03, 0.03],
    [0.5],
    [0.0, 1.0, 0.5, 0.5],
    [1e-10, 0.02, 0.021, 0.022, 0.8, 0.9, 0.05, 0.011],
]


@pytest.mark.parametrize("p_values", CASES)
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    reference = multipletests(p_values, method="holm")[1]
    assert holm(p_values) == pytest.approx(tuple(reference), abs=1e-15)


@pytest.mark.parametrize("p_values", CASES)
def test_benjamini_hochberg_matches_statsmodels(p_values: list[float]) -> None:
    reference = multipletests(p_values, method="fdr_bh")[1]
    assert benjamini_hochberg(p_values) == pytest.approx(tuple(reference), abs=1e-15)


def test_by_hand_in_input_order() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 -> Holm 4·0.005, 3·0.01, 2·0.03, 1·0.04 then running max
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx((0.03, 0.06, 0.06, 0.02))
    # BH: 4/1·0.005, 4/2·0.01, 4/3·0.03, 4/4·0.04 = .02, .02, .04, .04, then running min
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx((0.02, 0.04, 0.04, 0.02))
    assert adjust_p_values([0.01, 0.02], "holm") == holm([0.01, 0.02])
    assert adjust_p_values([0.01, 0.02], "benjamini-hochberg") == benjamini_hochberg([0.01, 0.02])


def test_nothing_to_adjust() -> None:
    assert holm([]) == ()
    assert benjamini_hochberg([]) == ()


@pytest.mark.parametrize(
    ("p_values", "message"),
    [
        ([0.1, -0.01], "p-value 1 must be between 0 and 1"),
        ([1.2], "p-value 0 must be between 0 and 1"),
        ([float("nan")], "p-value 0 must be finite"),
        (["0.1"], "p-value 0 must be a number"),
        ("0.1", "p_values must be a sequence"),
    ],
)
def test_bad_input(p_values: object, message: str) -> None:
    for correction in (holm, benjamini_hochberg):
        with pytest.raises(ValueError, match=message):
            correction(p_values)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method must be"):
        adjust_p_values([0.1], "bonferroni")  # type: ignore[arg-type]


p_value_lists = st.lists(
    st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 0.05])), min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(p_values=p_value_lists)
def test_properties(p_values: list[float]) -> None:
    for correction in (holm, benjamini_hochberg):
        adjusted = correction(p_values)
        assert len(adjusted) == len(p_values)
        assert all(0 <= a <= 1 for a in adjusted)
        assert all(a >= p for a, p in zip(adjusted, p_values, strict=True))
        # monotone: a smaller raw p-value never gets a larger adjusted one
        pairs = sorted(zip(p_values, adjusted, strict=True))
        assert all(x[1] <= y[1] for x, y in itertools.pairwise(pairs))


# multipletests runs gc.collect() for Holm, tens of milliseconds a call: fewer examples
@settings(max_examples=25, deadline=None)
@given(p_values=p_value_lists)
def test_random_lists_match_statsmodels(p_values: list[float]) -> None:
    for correction, method in ((holm, "holm"), (benjamini_hochberg, "fdr_bh")):
        reference = tuple(multipletests(p_values, method=method)[1])
        assert correction(p_values) == pytest.approx(reference, abs=1e-12)
