"""Shapley-value attribution: hand examples, a brute-force reference over all orders, the
Shapley axioms as properties, and the sampled estimate against the exact value."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.shapley import NotEnoughData, ShapleyAttribution, shapley

Paths = list[tuple[list[str], int, int]]


def _ok(result: ShapleyAttribution | NotEnoughData) -> ShapleyAttribution:
    assert isinstance(result, ShapleyAttribution), result
    return result


def _worth(paths: Paths, worth: str) -> Callable[[frozenset[str]], float]:
    """v(S) straight from the definition in the module docstring."""

    def v(coalition: frozenset[str]) -> float:
        inside = [(c, u) for chans, c, u in paths if chans and set(chans) <= coalition]
        conversions = sum(c for c, _ in inside)
        if worth == "conversions":
            return float(conversions)
        total = sum(c + u for c, u in inside)
        return conversions / total if total else 0.0

    return v


def _brute_force(paths: Paths, worth: str = "conversions") -> dict[str, float]:
    """Average marginal contribution over all n! orders, scaled to the touched conversions."""
    channels = sorted({c for chans, _, _ in paths for c in chans})
    v = _worth(paths, worth)
    phi = dict.fromkeys(channels, 0.0)
    orders = list(itertools.permutations(channels))
    for order in orders:
        before: frozenset[str] = frozenset()
        for channel in order:
            after = before | {channel}
            phi[channel] += v(after) - v(before)
            before = after
    grand = v(frozenset(channels))
    value = sum(c for chans, c, _ in paths if chans)
    return {c: phi[c] / len(orders) * value / grand for c in channels}


# --- hand examples ---------------------------------------------------------------------------


def test_two_channels_by_the_textbook_formula() -> None:
    paths: Paths = [(["A"], 3, 1), (["B"], 1, 4), (["B", "A", "B"], 4, 0)]
    # v(∅)=0, v({A})=3, v({B})=1, v({A,B})=3+1+4=8
    v0, va, vb, vab = 0, 3, 1, 8
    phi_a = 0.5 * (va - v0) + 0.5 * (vab - vb)  # 1/2 * 3 + 1/2 * 7 = 5
    phi_b = 0.5 * (vb - v0) + 0.5 * (vab - va)  # 1/2 * 1 + 1/2 * 5 = 3
    result = _ok(shapley(paths))
    assert result.method == "exact"
    assert result.permutations is None and result.standard_errors is None
    assert result.credits == pytest.approx({"A": phi_a, "B": phi_b})
    assert (phi_a, phi_b) == (5.0, 3.0)
    assert result.value == 8


def test_three_channels_by_hand() -> None:
    paths: Paths = [(["A"], 2, 0), (["A", "B"], 6, 0), (["B", "C"], 3, 1), (["C"], 0, 5)]
    # v: A=2, B=0, C=0, AB=8, AC=2, BC=3, ABC=11. Weights 1/3 for |S|=0 and 2, 1/6 for |S|=1.
    v = {"": 0, "A": 2, "B": 0, "C": 0, "AB": 8, "AC": 2, "BC": 3, "ABC": 11}
    phi_a = (v["A"] - v[""]) / 3 + (v["AB"] - v["B"]) / 6 + (v["AC"] - v["C"]) / 6
    phi_a += (v["ABC"] - v["BC"]) / 3
    phi_b = (v["B"] - v[""]) / 3 + (v["AB"] - v["A"]) / 6 + (v["BC"] - v["C"]) / 6
    phi_b += (v["ABC"] - v["AC"]) / 3
    phi_c = (v["C"] - v[""]) / 3 + (v["AC"] - v["A"]) / 6 + (v["BC"] - v["B"]) / 6
    phi_c += (v["ABC"] - v["AB"]) / 3
    assert (phi_a, phi_b, phi_c) == pytest.approx((5.0, 4.5, 1.5))
    assert _ok(shapley(paths)).credits == pytest.approx({"A": phi_a, "B": phi_b, "C": phi_c})
    # to a deal amount instead of conversions: same shares
    assert _ok(shapley(paths, value=1100.0)).credits == pytest.approx(
        {"A": 500.0, "B": 450.0, "C": 150.0}
    )


def test_rate_worth_by_hand() -> None:
    paths: Paths = [(["A"], 1, 3), (["B"], 1, 1), (["A", "B"], 2, 2)]
    # v({A}) = 1/4, v({B}) = 1/2, v({A,B}) = 4/10
    phi_a = 0.5 * 0.25 + 0.5 * (0.4 - 0.5)
    phi_b = 0.5 * 0.5 + 0.5 * (0.4 - 0.25)
    scale = 4 / 0.4  # to the 4 conversions
    result = _ok(shapley(paths, worth="rate"))
    assert result.credits == pytest.approx({"A": phi_a * scale, "B": phi_b * scale})
    assert result.credits == pytest.approx({"A": 0.75, "B": 3.25})


def test_untouched_journeys_are_counted_not_credited() -> None:
    result = _ok(shapley([([], 5, 2), (["A"], 1, 0), (["B", "A"], 2, 0)]))
    assert result.untouched_conversions == 5
    assert result.value == 3
    assert result.credits == pytest.approx({"A": 2.0, "B": 1.0})


# --- against the brute-force reference ---------------------------------------------------------

channel_names = st.sampled_from(["email", "paid", "seo", "social", "event", "webinar"])
journeys = st.lists(
    st.tuples(
        st.lists(channel_names, min_size=1, max_size=5),
        st.integers(0, 40),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=12,
).filter(lambda ps: sum(c for _, c, _ in ps) > 0)


@settings(max_examples=60, deadline=None)
@given(paths=journeys, worth=st.sampled_from(["conversions", "rate"]))
def test_exact_matches_all_permutations(paths: Paths, worth: str) -> None:
    result = _ok(shapley(paths, worth=worth))  # type: ignore[arg-type]
    assert result.credits == pytest.approx(_brute_force(paths, worth), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(paths=journeys)
def test_conversions_worth_is_an_equal_split_over_distinct_channels(paths: Paths) -> None:
    expected: dict[str, float] = {}
    for chans, conversions, _ in paths:
        for channel in set(chans):
            expected[channel] = expected.get(channel, 0.0) + conversions / len(set(chans))
    assert _ok(shapley(paths)).credits == pytest.approx(expected, abs=1e-9)


# --- the axioms as properties ----------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    paths=journeys,
    worth=st.sampled_from(["conversions", "rate"]),
    value=st.none() | st.floats(0, 1e7),
)
def test_efficiency_credits_sum_to_value(paths: Paths, worth: str, value: float | None) -> None:
    result = _ok(shapley(paths, value, worth=worth))  # type: ignore[arg-type]
    expected = sum(c for _, c, _ in paths) if value is None else value
    assert sum(result.credits.values()) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(paths=journeys, worth=st.sampled_from(["conversions", "rate"]))
def test_symmetry_channels_always_together_get_equal_credit(paths: Paths, worth: str) -> None:
    # "event" and its follow-up "meeting" always come together
    together = [([*chans, "meeting"] if "event" in chans else chans, c, u) for chans, c, u in paths]
    credits = _ok(shapley(together, worth=worth)).credits  # type: ignore[arg-type]
    if "event" in credits:
        assert credits["event"] == pytest.approx(credits["meeting"], rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(paths=journeys, worth=st.sampled_from(["conversions", "rate"]))
def test_dummy_channel_gets_nothing_and_changes_nothing(paths: Paths, worth: str) -> None:
    without = _ok(shapley(paths, worth=worth)).credits  # type: ignore[arg-type]
    universe = [*without, "print"]
    with_dummy = _ok(shapley(paths, worth=worth, channels=universe)).credits  # type: ignore[arg-type]
    assert with_dummy["print"] == 0
    assert {c: x for c, x in with_dummy.items() if c != "print"} == pytest.approx(
        dict(without), abs=1e-9
    )


@settings(max_examples=40, deadline=None)
@given(
    repeats=st.lists(st.tuples(st.integers(1, 4), st.integers(0, 30), st.integers(0, 30))),
    value=st.floats(0, 1e6),
    worth=st.sampled_from(["conversions", "rate"]),
    sample=st.booleans(),
)
def test_single_channel_journeys_give_that_channel_everything(
    repeats: list[tuple[int, int, int]], value: float, worth: str, sample: bool
) -> None:
    paths: Paths = [(["seo"] * k, c, u) for k, c, u in repeats] + [(["seo"], 1, 0)]
    result = _ok(
        shapley(paths, value, worth=worth, exact_up_to=0 if sample else 15)  # type: ignore[arg-type]
    )
    assert result.credits == pytest.approx({"seo": value})


# --- sampled mode ----------------------------------------------------------------------------


def _random_paths(channels: Sequence[str], journeys: int, seed: int) -> Paths:
    rng = np.random.default_rng(seed)
    paths: Paths = []
    for _ in range(journeys):
        size = int(rng.integers(1, 5))
        chans = [str(c) for c in rng.choice(channels, size=size)]
        paths.append((chans, int(rng.integers(0, 20)), int(rng.integers(0, 60))))
    return paths


@pytest.mark.parametrize("worth", ["conversions", "rate"])
def test_forced_sampling_agrees_with_exact_within_stated_error(worth: str) -> None:
    channels = [f"ch{i}" for i in range(8)]
    paths = _random_paths(channels, 60, seed=3)
    exact = _ok(shapley(paths, worth=worth))  # type: ignore[arg-type]
    sampled = _ok(shapley(paths, worth=worth, exact_up_to=0, permutations=3000, seed=11))  # type: ignore[arg-type]
    assert sampled.method == "sampled" and sampled.permutations == 3000
    assert sampled.standard_errors is not None and sampled.intervals is not None
    assert sum(sampled.credits.values()) == pytest.approx(sampled.value, rel=1e-9)
    for channel, estimate in sampled.credits.items():
        error = sampled.standard_errors[channel]
        assert abs(estimate - exact.credits[channel]) <= 4 * error + 1e-9, channel
        low, high = sampled.intervals[channel]
        assert low == pytest.approx(estimate - 1.959963984540054 * error)
        assert high == pytest.approx(estimate + 1.959963984540054 * error)


@pytest.mark.parametrize("worth", ["conversions", "rate"])
def test_eighteen_channels_are_sampled_and_agree_with_exact(worth: str) -> None:
    channels = [f"ch{i:02d}" for i in range(18)]
    paths = _random_paths(channels, 150, seed=5)
    sampled = _ok(shapley(paths, worth=worth, permutations=2000, seed=2))  # type: ignore[arg-type]
    assert sampled.method == "sampled" and len(sampled.credits) == 18
    exact = _ok(shapley(paths, worth=worth, exact_up_to=18))  # type: ignore[arg-type]
    assert exact.method == "exact"
    assert sum(sampled.credits.values()) == pytest.approx(sampled.value, rel=1e-9)
    assert sampled.standard_errors is not None
    for channel, estimate in sampled.credits.items():
        error = sampled.standard_errors[channel]
        assert abs(estimate - exact.credits[channel]) <= 4 * error + 1e-9, channel


def test_sampling_is_reproducible_from_its_seed() -> None:
    paths = _random_paths([f"c{i}" for i in range(6)], 30, seed=1)
    one = _ok(shapley(paths, exact_up_to=0, permutations=200, seed=7))
    two = _ok(shapley(paths, exact_up_to=0, permutations=200, seed=np.random.default_rng(7)))
    assert one.credits == two.credits
    assert one.standard_errors == two.standard_errors


def test_exact_at_fifteen_channels_matches_the_closed_form() -> None:
    channels = [f"c{i:02d}" for i in range(15)]
    paths = _random_paths(channels, 200, seed=9)
    result = _ok(shapley(paths))
    assert result.method == "exact"
    expected = dict.fromkeys(channels, 0.0)
    for chans, conversions, _ in paths:
        for channel in set(chans):
            expected[channel] += conversions / len(set(chans))
    assert result.credits == pytest.approx(
        {c: x for c, x in expected.items() if c in result.credits}
    )
    assert math.isclose(sum(result.credits.values()), result.value, rel_tol=1e-12)


# --- not enough data and bad input -------------------------------------------------------------


def test_not_enough_data() -> None:
    assert shapley([]) == NotEnoughData("no journeys")
    none = shapley([(["A"], 0, 9), (["B", "A"], 0, 3)])
    assert isinstance(none, NotEnoughData) and "no conversions" in none.reason
    untouched = shapley([([], 4, 1)])
    assert isinstance(untouched, NotEnoughData) and untouched.untouched_conversions == 4


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ([(["A"], -1, 0)], "conversions must not be negative"),
        ([(["A"], 1, -2)], "non_conversions must not be negative"),
        ([(["A", ""], 1, 0)], "channel names must be non-empty"),
        ([(["  "], 1, 0)], "channel names must be non-empty"),
        ([("email", 1, 0)], "not the string"),
        ([(["A"], 1.5, 0)], "integer count"),
        ([(["A"], 1)], "must be (channels, conversions, non_conversions)"),
    ],
)
def test_bad_input_is_rejected(paths: Paths, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        shapley(paths)


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="not in `channels`"):
        shapley([(["A", "B"], 1, 0)], channels=["A"])
    with pytest.raises(ValueError, match="value must be"):
        shapley([(["A"], 1, 0)], value=float("nan"))
    with pytest.raises(ValueError, match="worth must be"):
        shapley([(["A"], 1, 0)], worth="revenue")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="permutations must be"):
        shapley([(["A"], 1, 0)], permutations=1)
    with pytest.raises(ValueError, match="exact_up_to"):
        shapley([(["A"], 1, 0)], exact_up_to=40)
