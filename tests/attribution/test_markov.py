"""The exact Markov removal effect (accord.attribution.markov, issue 7).

Checked three ways: against a by-hand absorbing-chain computation (the fundamental matrix
N = (I - Q)^-1 in numpy), by properties (credit conserved, absent channels get nothing, single
channel journeys), and against the independent ``ChannelAttribution`` package (GPL: a dev
dependency, imported here only).

About the package (2.2.5): ``markov_model(Data, var_path, var_conv, var_value=None,
var_null=None, order=1, nsim_start=1e5, max_step=None, out_more=False, sep=">", ncore=1,
nfold=10, seed=0, ...)`` takes a pandas DataFrame with the path as one string joined by ``sep``
and estimates by simulating walks (``nsim_start`` walks split over ``nfold`` runs, repeated until
the runs agree within ``conv_par``; the result is one run). It imports matplotlib without
declaring it. Its ``max_step`` defaults to the longest observed journey, which cuts simulated
walks short and biases it against an exact solution; the comparison sets it high (100) so that
truncation is negligible. "Within 1% per channel" is read as: each channel's share of the credit
differs by at most 0.01 (one percentage point).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.markov import MarkovAttribution, NotEnoughData, markov_attribution

CHANNELS = ("email", "paid_search", "webinar", "social", "direct")
LIFT = np.array([0.4, 0.8, 1.5, 0.1, 0.6])


def generate(n: int, seed: int = 7, max_len: int = 8) -> list[tuple[tuple[str, ...], int, int]]:
    """``n`` seeded journeys over five channels, conversion depending on the channels seen,
    aggregated to (channels, conversions, non-conversions)."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.35, n), max_len)
    touches = rng.choice(len(CHANNELS), size=(n, max_len), p=[0.3, 0.25, 0.1, 0.25, 0.1])
    mask = np.arange(max_len)[None, :] < lengths[:, None]
    seen = np.zeros((n, len(CHANNELS)), dtype=bool)
    for j in range(max_len):
        rows = np.flatnonzero(mask[:, j])
        seen[rows, touches[rows, j]] = True
    converted = rng.random(n) < 1 / (1 + np.exp(3.0 - seen @ LIFT))
    key = (np.where(mask, touches + 1, 0) * (6 ** np.arange(max_len))[None, :]).sum(axis=1)
    unique, inverse = np.unique(key, return_inverse=True)
    conversions = np.bincount(inverse, weights=converted, minlength=len(unique)).astype(int)
    totals = np.bincount(inverse, minlength=len(unique))
    journeys = []
    for k, c, t in zip(unique.tolist(), conversions.tolist(), totals.tolist(), strict=True):
        path, rest = [], k
        while rest:
            path.append(CHANNELS[rest % 6 - 1])
            rest //= 6
        journeys.append((tuple(path), c, t - c))
    return journeys


def attribute(*args: object, **kwargs: object) -> MarkovAttribution:
    result = markov_attribution(*args, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, MarkovAttribution), result
    return result


# -- by hand ---------------------------------------------------------------------------------

HAND = [(["A", "B"], 1, 0), (["A"], 0, 1), (["B", "A", "A"], 1, 1), ([], 3, 2)]


def _absorbing(q: np.ndarray, r: np.ndarray) -> float:
    """P(conversion from start = state 0) through the fundamental matrix N = (I - Q)^-1."""
    n = np.linalg.inv(np.eye(q.shape[0]) - q)
    return float((n @ r)[0])


def test_removal_effects_match_the_fundamental_matrix() -> None:
    # States start, A, B. B > A > A is B > A. Counts: start->A 2, start->B 2; A->B 1, A->conv 1,
    # A->null 2; B->A 2, B->conv 1.
    q = np.array([[0, 2 / 4, 2 / 4], [0, 0, 1 / 4], [0, 2 / 3, 0]])
    r = np.array([0, 1 / 4, 1 / 3])
    base = _absorbing(q, r)
    without_a = _absorbing(q * np.array([1, 0, 1]), r)  # transitions into A go to null
    without_b = _absorbing(q * np.array([1, 1, 0]), r)
    result = attribute(HAND)
    assert result.conversion_probability == pytest.approx(base) == pytest.approx(0.5)
    assert result.removal_effects["A"] == pytest.approx(1 - without_a / base)
    assert result.removal_effects["B"] == pytest.approx(1 - without_b / base)
    assert result.removal_effects == pytest.approx({"A": 2 / 3, "B": 3 / 4})
    assert result.credits == pytest.approx(
        {"A": 2 * (2 / 3) / (17 / 12), "B": 2 * 0.75 / (17 / 12)}
    )
    assert (result.n_states, result.journeys, result.conversions) == (3, 4, 2)
    assert (result.empty_journeys, result.empty_conversions) == (5, 3)


def test_value_is_distributed() -> None:
    result = attribute(HAND, value=1000.0)
    assert sum(result.credits.values()) == pytest.approx(1000.0)
    assert result.value == 1000.0


def test_order_two_windows_and_repeats() -> None:
    # A > A > B at order 2: windows (A, A), (A, B); a journey shorter than k is one window.
    result = attribute([(["A", "A", "B"], 1, 0), (["C"], 0, 1)], order=2)
    assert result.n_states == 1 + 3
    assert result.removal_effects == pytest.approx({"A": 1.0, "B": 1.0, "C": 0.0})


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "kwargs", "message"),
    [
        ([], {}, "paths is empty"),
        ([(["A"], 1, 0)], {"order": 0}, "order"),
        ([(["A"], 1, 0)], {"order": 4}, "order"),
        ([(["A", ""], 1, 0)], {}, "empty or non-text channel"),
        ([(["A", "  "], 1, 0)], {}, "empty or non-text channel"),
        ([(["A", 3], 1, 0)], {}, "empty or non-text channel"),
        ([(["A"], 1, 0), (["Z"], 1, 0)], {"channels": {"A"}}, "journey 1: unknown channel 'Z'"),
        ([(["A"], -1, 0)], {}, "journey 0: conversions must not be negative"),
        ([(["A"], 1, 0), (["A"], 1, -2)], {}, "journey 1: non-conversions must not be negative"),
        ([(["A"], 1.5, 0)], {}, "whole number"),
        ([(["A"], 1)], {}, "expected"),
        ([("AB", 1, 0)], {}, "not a str"),
        ([(["A"], 1, 0)], {"value": -1.0}, "value"),
    ],
)
def test_bad_input_is_a_clear_value_error(
    paths: list[object], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        markov_attribution(paths, **kwargs)  # type: ignore[arg-type]


def test_not_enough_data() -> None:
    assert markov_attribution([(["A"], 0, 5)]) == NotEnoughData(
        "no conversions among the journeys with a touch", 5, 0
    )
    result = markov_attribution([([], 2, 1)])
    assert isinstance(result, NotEnoughData)
    assert (result.empty_journeys, result.empty_conversions) == (3, 2)


# -- properties ----------------------------------------------------------------------------------

names = st.sampled_from(["a", "b", "c", "d", "e"])
journeys = st.lists(
    st.tuples(
        st.lists(names, min_size=0, max_size=6),
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(journeys, st.integers(1, 3), st.floats(0, 1e6))
def test_credit_is_conserved(paths: list, order: int, value: float) -> None:
    result = markov_attribution(paths, order=order, value=value)
    if isinstance(result, NotEnoughData):
        assert sum(c for p, c, _ in paths if p) == 0
        return
    assert sum(result.credits.values()) == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert all(0 <= e <= 1 for e in result.removal_effects.values())
    assert 0 < result.conversion_probability <= 1


@settings(max_examples=100, deadline=None)
@given(journeys, st.integers(1, 3))
def test_a_channel_that_never_appears_gets_nothing(paths: list, order: int) -> None:
    listed = {"a", "b", "c", "d", "e", "never"}
    with_it = markov_attribution(paths, order=order, channels=listed)
    without = markov_attribution(paths, order=order)
    if isinstance(with_it, NotEnoughData):
        assert isinstance(without, NotEnoughData)
        return
    assert isinstance(without, MarkovAttribution)
    assert with_it.credits["never"] == 0 == with_it.removal_effects["never"]
    for name, credit in without.credits.items():
        assert with_it.credits[name] == pytest.approx(credit)
    assert with_it.conversion_probability == pytest.approx(without.conversion_probability)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(0, 9), st.integers(0, 9)), min_size=1),
    st.integers(1, 3),
)
def test_single_channel_journeys_give_it_all(rows: list, order: int) -> None:
    paths = [(["only"] * n, c, m) for n, c, m in rows]
    result = markov_attribution(paths, order=order)
    if sum(c for _, c, _ in rows) == 0:
        assert isinstance(result, NotEnoughData)
        return
    assert isinstance(result, MarkovAttribution)
    assert result.credits == pytest.approx({"only": float(sum(c for _, c, _ in rows))})
    assert result.removal_effects == pytest.approx({"only": 1.0})


def test_higher_orders_run_and_conserve_credit() -> None:
    paths = generate(20_000, seed=3)
    for order in (1, 2, 3):
        result = attribute(paths, order=order, value=123.0)
        assert sum(result.credits.values()) == pytest.approx(123.0)
        assert set(result.credits) == set(CHANNELS)
    assert attribute(paths, order=3).n_states > attribute(paths, order=2).n_states > 6


# -- the independent implementation --------------------------------------------------------------


def test_first_order_agrees_with_channelattribution() -> None:
    # Imported, not skipped when missing: this comparison must run in CI (a dev dependency).
    import ChannelAttribution as channel_attribution
    import pandas as pd

    paths = generate(200_000, seed=11)
    ours = attribute(paths)
    frame = pd.DataFrame(
        {
            "path": [" > ".join(p) for p, _, _ in paths],
            "conversions": [c for _, c, _ in paths],
            "nulls": [n for _, _, n in paths],
        }
    )
    theirs = channel_attribution.markov_model(
        frame,
        "path",
        "conversions",
        var_null="nulls",
        order=1,
        nsim_start=1e6,
        max_step=100,
        seed=1,
        ncore=1,
        verbose=False,
        flg_pro=False,
    )
    shares = dict(
        zip(
            theirs.channel_name,
            theirs.total_conversions / theirs.total_conversions.sum(),
            strict=True,
        )
    )
    assert set(shares) == set(CHANNELS)
    for name in CHANNELS:
        assert ours.credits[name] / ours.value == pytest.approx(shares[name], abs=0.01), name


def test_identical_journeys_are_summed() -> None:
    split = attribute([(["A", "B"], 1, 2), (("A", "B"), 3, 1), (["B"], 0, 1), (["A"], 1, 1)])
    merged = attribute([(["A", "B"], 4, 3), (["B"], 0, 1), (["A"], 1, 1)])
    assert split == merged
