"""Markov-chain attribution: the removal effect, computed exactly (issue 7).

The model is the usual Markov-chain attribution model: every journey is a walk
``(start) -> s1 -> ... -> sn`` ending in ``(conversion)`` (weighted by its conversions) or
``(null)`` (weighted by its non-conversions). For order ``k`` a state is a
window of ``k`` consecutive channels (``n - k + 1`` windows for a journey of ``n >= k`` touches;
one shorter window holding the whole journey when ``n < k``), and a state repeated back to back is
kept once (so ``A > A > B`` is ``A > B`` at order 1). The transition probabilities are the counts
normalised per state.

Simulating walks would only estimate the removal effects; here they are exact. With ``Q`` the
transition matrix among the transient states (start and channel states) and ``r`` the one-step
probability of conversion, the conversion probability from each state solves ``(I - Q) x = r``.
Removing a channel ``c`` sends every transition into a state that contains ``c`` to ``(null)``,
which is the same system restricted to the states without ``c``. The removal effect of ``c`` is
``1 - P(conversion without c) / P(conversion)`` (the share of converting walks that pass through
``c``: what a simulation counts), and the credits are the removal effects scaled to sum to
``value``.

Pure: numpy and scipy only, no Django, no database.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

__all__ = ["MAX_ORDER", "MarkovAttribution", "NotEnoughData", "markov_attribution"]

MAX_ORDER = 3
#: Above this many transient states the systems are solved sparse; below, dense is faster.
DENSE_LIMIT = 400

Journey = tuple[Sequence[str], int, int]


@dataclass(frozen=True)
class MarkovAttribution:
    """The removal-effect attribution of ``value`` over the channels.

    ``credits`` sum to ``value``; ``removal_effects`` are the raw (unnormalised) removal effects,
    each in [0, 1]; ``conversion_probability`` is the chain's probability of conversion from
    ``(start)``; ``n_states`` counts the transient states (``(start)`` and the channel states) and
    ``n_transitions`` the non-zero transition counts, absorbing ones included.
    """

    credits: dict[str, float]
    removal_effects: dict[str, float]
    conversion_probability: float
    value: float
    order: int
    n_states: int
    n_transitions: int
    journeys: int
    conversions: int
    empty_journeys: int = 0
    empty_conversions: int = 0
    channels: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class NotEnoughData:
    """No attribution is possible: ``reason`` says why, the counts say what was seen."""

    reason: str
    journeys: int = 0
    conversions: int = 0
    empty_journeys: int = 0
    empty_conversions: int = 0


def _counts(values: Sequence[object], what: str) -> npt.NDArray[np.int64]:
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        for index, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise ValueError(f"journey {index}: {what} must be a whole number, got {value!r}")
        array = np.asarray([int(v) for v in values])  # type: ignore[call-overload]
    negative = np.flatnonzero(array < 0)
    if negative.size:
        index = int(negative[0])
        raise ValueError(f"journey {index}: {what} must not be negative, got {values[index]!r}")
    return array.astype(np.int64)


def _unpack(paths: Sequence[Journey]) -> tuple[list[tuple[str, ...]], list[int], list[int]]:
    try:
        sequences, conversions, nulls = zip(*paths, strict=True)
    except (TypeError, ValueError):
        for index, journey in enumerate(paths):
            if not isinstance(journey, Sequence) or len(journey) != 3:
                raise ValueError(
                    f"journey {index}: expected (channels, conversions, non-conversions), "
                    f"got {journey!r}"
                ) from None
        raise
    if str in set(map(type, sequences)):
        index = next(i for i, seq in enumerate(sequences) if isinstance(seq, str))
        raise ValueError(f"journey {index}: channels must be a sequence of names, not a str")
    try:
        keys = list(map(tuple, sequences))
    except TypeError:
        index = next(i for i, seq in enumerate(sequences) if not isinstance(seq, Iterable))
        raise ValueError(f"journey {index}: channels must be a sequence of names") from None
    return keys, list(conversions), list(nulls)


def _aggregate(
    paths: Sequence[Journey], allowed: Collection[str] | None
) -> tuple[
    list[tuple[str, ...]], list[str], npt.NDArray[np.int64], npt.NDArray[np.int64], int, int
]:
    """Identical journeys summed: the distinct channel sequences with their conversions and
    non-conversions, and the journeys and conversions of the journeys without any touch
    (ignored, but counted). Validates names and counts; C-level loops only."""
    keys, conversion_list, null_list = _unpack(paths)
    conversions = _counts(conversion_list, "conversions")
    nulls = _counts(null_list, "non-conversions")
    names: set[str] = set().union(*keys)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            index = next(i for i, key in enumerate(keys) if name in key)
            raise ValueError(f"journey {index}: empty or non-text channel name {name!r}")
        if allowed is not None and name not in allowed:
            index = next(i for i, key in enumerate(keys) if name in key)
            raise ValueError(f"journey {index}: unknown channel {name!r}")
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    empty = lengths == 0
    empty_journeys = int(conversions[empty].sum() + nulls[empty].sum())
    empty_conversions = int(conversions[empty].sum())
    if empty.any():
        kept = np.flatnonzero(~empty)
        keys = [keys[i] for i in kept.tolist()]
        conversions, nulls = conversions[kept], nulls[kept]
    if len(set(keys)) < len(keys):
        position: dict[tuple[str, ...], int] = {}
        ids = [position.setdefault(key, len(position)) for key in keys]
        inverse = np.asarray(ids, dtype=np.int64)
        size = len(position)
        conversions = np.bincount(inverse, conversions, size).round().astype(np.int64)
        nulls = np.bincount(inverse, nulls, size).round().astype(np.int64)
        keys = list(position)
    return (
        keys,
        sorted(names),
        conversions.astype(np.int64),
        nulls.astype(np.int64),
        empty_journeys,
        empty_conversions,
    )


def markov_attribution(
    paths: Sequence[Journey],
    order: int = 1,
    value: float | None = None,
    *,
    channels: Collection[str] | None = None,
) -> MarkovAttribution | NotEnoughData:
    """Attribute ``value`` (default: the conversions of the journeys with a touch) over the
    channels by their exact Markov removal effect.

    ``paths`` holds aggregated journeys ``(channel names in order, conversions,
    non-conversions)``; ``order`` (1 to 3) is the number of last channels a state remembers.
    With ``channels``, a name outside it is an error, and every listed channel appears in the
    result (with no credit when it never occurs). A journey without touches is ignored and
    counted in ``empty_journeys``.
    """
    if isinstance(order, bool) or not isinstance(order, Integral) or not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be an integer from 1 to {MAX_ORDER}, got {order!r}")
    order = int(order)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value)
    ):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if value is not None and value < 0:
        raise ValueError(f"value must not be negative, got {value!r}")
    if len(paths) == 0:
        raise ValueError("no journeys given: paths is empty")
    allowed = None if channels is None else frozenset(channels)
    if allowed is not None:
        for name in allowed:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"empty or non-text channel name {name!r} in channels")

    keys, names, conv_counts, null_counts, empty_journeys, empty_conversions = _aggregate(
        paths, allowed
    )
    journeys = int(conv_counts.sum() + null_counts.sum())
    conversions = int(conv_counts.sum())
    if journeys == 0:
        return NotEnoughData("no journey with a touch", 0, 0, empty_journeys, empty_conversions)
    if conversions == 0:
        return NotEnoughData(
            "no conversions among the journeys with a touch",
            journeys,
            0,
            empty_journeys,
            empty_conversions,
        )

    transitions = _transition_counts(keys, names, conv_counts, null_counts, order)
    n_channels = len(names)
    states, rows, cols, counts = transitions
    n_states = states.shape[0] + 1  # channel states and (start) = 0
    base, effects = _removal_effects(states, rows, cols, counts, n_channels)

    total = float(conversions) if value is None else float(value)
    share = effects / effects.sum() if effects.sum() > 0 else np.zeros(n_channels)
    listed = sorted(allowed) if allowed is not None else []
    credits = dict.fromkeys(listed, 0.0)
    removal = dict.fromkeys(listed, 0.0)
    for c, name in enumerate(names):
        credits[name] = float(share[c] * total)
        removal[name] = float(effects[c])
    return MarkovAttribution(
        credits=credits,
        removal_effects=removal,
        conversion_probability=base,
        value=total,
        order=order,
        n_states=n_states,
        n_transitions=int(counts.shape[0]),
        journeys=journeys,
        conversions=conversions,
        empty_journeys=empty_journeys,
        empty_conversions=empty_conversions,
        channels=tuple(sorted(set(credits))),
    )


def _removal_effects(
    states: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    counts: npt.NDArray[np.float64],
    n_channels: int,
) -> tuple[float, npt.NDArray[np.float64]]:
    """P(conversion) from ``(start)`` and each channel's removal effect: one linear solve of the
    absorbing chain for the whole, and one per channel on the states without it."""
    n_states = states.shape[0] + 1  # channel states and (start) = 0
    conv = n_states
    totals = np.bincount(rows, weights=counts, minlength=n_states)
    probabilities = counts / totals[rows]
    transient = cols < n_states
    q = sp.csr_matrix(
        (probabilities[transient], (rows[transient], cols[transient])), shape=(n_states, n_states)
    )
    r = np.bincount(rows[cols == conv], weights=probabilities[cols == conv], minlength=n_states)
    system = (sp.identity(n_states, format="csr") - q).tocsr()
    dense = system.toarray() if n_states <= DENSE_LIMIT else None

    def conversion_probability(keep: npt.NDArray[np.bool_]) -> float:
        index = np.flatnonzero(keep)  # (start) first
        if dense is not None:
            solution = np.linalg.solve(dense[np.ix_(index, index)], r[index])
        else:
            solution = spsolve(system[index][:, index].tocsc(), r[index])
        return float(np.atleast_1d(solution)[0])

    base = conversion_probability(np.ones(n_states, dtype=bool))
    # contains[s, c]: channel state s (0-based, without start) holds channel c.
    contains = np.zeros((states.shape[0], n_channels + 1), dtype=bool)
    contains[np.arange(states.shape[0])[:, None], states] = True
    effects = np.zeros(n_channels)
    for c in range(n_channels):
        keep = np.concatenate(([True], ~contains[:, c + 1]))
        without = conversion_probability(keep)
        effects[c] = min(max(1.0 - without / base, 0.0), 1.0) if base > 0 else 0.0
    return base, effects


def _transition_counts(
    keys: list[tuple[str, ...]],
    names: list[str],
    conversions: npt.NDArray[np.int64],
    nulls: npt.NDArray[np.int64],
    order: int,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]
]:
    """With channel code ``i + 1`` for ``names[i]`` (0 pads short windows): the channel
    states (one row of ``order`` codes each; state ``s`` of the chain is row ``s - 1``) and the
    non-zero transition counts as ``(from, to, count)`` with ``(start)`` = 0, the channel states
    1..S, ``(conversion)`` = S + 1 and ``(null)`` = S + 2. Vectorised over all touches."""
    code = {name: i + 1 for i, name in enumerate(names)}
    # Journeys with neither conversions nor non-conversions carry no transition.
    moving_paths = (conversions + nulls) > 0
    if not moving_paths.all():
        kept = np.flatnonzero(moving_paths)
        keys = [keys[i] for i in kept.tolist()]
        conversions, nulls = conversions[kept], nulls[kept]
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    flat = np.fromiter(
        map(code.__getitem__, itertools.chain.from_iterable(keys)),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    conv = conversions.astype(np.float64)
    nulls_f = nulls.astype(np.float64)

    path_of = np.repeat(np.arange(len(keys)), lengths)
    if order == 1:
        # Every touch is a window; states are the channels present, numbered 1..S.
        window_path = path_of
        number = np.zeros(len(names) + 1, dtype=np.int64)
        number[flat] = 1
        distinct = np.flatnonzero(number)
        number[distinct] = np.arange(1, distinct.shape[0] + 1)
        state_of = number[flat]
        states = distinct[:, None]
    else:
        state_of, window_path, states = _windows(flat, lengths, path_of, order, len(names))

    # A state repeated back to back within a journey is kept once.
    first = np.ones(state_of.shape[0], dtype=bool)
    first[1:] = window_path[1:] != window_path[:-1]
    keep = first | np.concatenate(([True], state_of[1:] != state_of[:-1]))
    state_of, window_path, first = state_of[keep], window_path[keep], first[keep]
    previous = np.concatenate(([0], state_of[:-1]))
    previous[first] = 0
    last = np.ones(state_of.shape[0], dtype=bool)
    last[:-1] = window_path[1:] != window_path[:-1]

    n_s = states.shape[0]
    moving = conv[window_path] + nulls_f[window_path]
    end_state = state_of[last]
    end_path = window_path[last]
    rows = np.concatenate((previous, end_state, end_state))
    cols = np.concatenate(
        (state_of, np.full(end_state.shape[0], n_s + 1), np.full(end_state.shape[0], n_s + 2))
    )
    weights = np.concatenate((moving, conv[end_path], nulls_f[end_path]))
    size = n_s + 3
    if size * size <= 4_000_000:
        totals = np.bincount(rows * size + cols, weights=weights, minlength=size * size)
        nonzero = np.flatnonzero(totals)
        return states.astype(np.int64), nonzero // size, nonzero % size, totals[nonzero]
    summed = sp.coo_matrix((weights, (rows, cols)), shape=(size, size)).tocsr()
    summed.eliminate_zeros()
    summed = summed.tocoo()
    return (
        states.astype(np.int64),
        summed.row.astype(np.int64),
        summed.col.astype(np.int64),
        summed.data.astype(np.float64),
    )


def _windows(
    flat: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    path_of: npt.NDArray[np.int64],
    order: int,
    n_names: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Order k > 1: each window's state (1..S), its journey, and the states' channel codes."""
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    position = np.arange(flat.shape[0]) - starts[path_of]
    remaining = lengths[path_of] - position  # touches from this one on, itself included
    # Windows: start at p <= n - k, or the whole journey at p = 0 when n < k.
    is_window = (remaining >= order) | ((position == 0) & (lengths[path_of] < order))
    padded = np.concatenate((flat, np.zeros(order, dtype=np.int64)))
    window_index = np.flatnonzero(is_window)
    window = np.zeros((window_index.shape[0], order), dtype=np.int64)
    for j in range(order):
        inside = remaining[window_index] > j
        window[:, j] = np.where(inside, padded[window_index + j], 0)
    # Each window as one integer in base (channels + 1), then numbered 1..S.
    encoded = window[:, 0].copy()
    for j in range(1, order):
        encoded = encoded * (n_names + 1) + window[:, j]
    _, first_seen, inverse = np.unique(encoded, return_index=True, return_inverse=True)
    return inverse.reshape(-1) + 1, path_of[window_index], window[first_seen]
