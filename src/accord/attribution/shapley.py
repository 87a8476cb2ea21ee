r"""Shapley-value attribution: each channel's share of the conversions, as the average of what
it adds to every coalition of the other channels.

Input is aggregated journeys: ``(channels, conversions, non_conversions)``, the channels in
the order they were touched. Only the *set* of channels of a journey matters here (order and
repeats do not). Journeys with no touch at all are never credited to a channel: their
conversions are counted in ``untouched_conversions`` (they are "no marketing touch").

Characteristic function (the worth of a coalition S of channels). Write :math:`c_T` and
:math:`u_T` for the conversions and non-conversions of the journeys whose channel set is
exactly T. Two choices:

- ``worth="conversions"`` (default; the "data-driven" Shapley of the attribution papers, e.g.
  Zhao et al. 2018, and Google Analytics' former data-driven model):

  .. math:: v(S) = \sum_{T \subseteq S} c_T

  the conversions of the journeys that S alone could have produced. This v is a sum of
  unanimity games, so its Shapley value has a closed form: every journey's conversions are
  split equally among its *distinct* channels, :math:`\phi_i = \sum_{T \ni i} c_T / |T|`. It is
  computed here by the general formula below all the same (and the tests check both agree);
  non-conversions play no part.

- ``worth="rate"``: the conversion rate of the journeys S alone could have produced,

  .. math:: v(S) = \frac{\sum_{T \subseteq S} c_T}{\sum_{T \subseteq S} (c_T + u_T)}
            \quad (0 \text{ when no journey has its channels in } S)

  which uses the non-converting journeys: a channel whose journeys convert less than the
  others' lowers the rate and can get a negative credit.

Shapley value of channel i among the n channels N:

.. math:: \phi_i = \sum_{S \subseteq N \setminus \{i\}}
          \frac{|S|!\,(n-|S|-1)!}{n!}\,\bigl(v(S \cup \{i\}) - v(S)\bigr)

Efficiency gives :math:`\sum_i \phi_i = v(N) - v(\emptyset) = v(N)`, since the empty coalition
produces no touched journey. Credits are then scaled by ``value / v(N)`` so they sum to
``value`` (default: the conversions of the touched journeys). If v(N) is 0 there is nothing to
share and a `NotEnoughData` comes back instead.

Computation:

- **exact** (n ≤ ``exact_up_to``, default 15): v over all :math:`2^n` coalitions (bit i of a
  mask is channel i, channels sorted) by a subset-sum (zeta) transform of the per-mask counts,
  then the formula above, vectorised over the masks for each channel — :math:`O(n\,2^n)`;
- **sampled** (more channels): ``permutations`` random orders of the channels from a seeded
  numpy Generator; in each order a channel gets its marginal contribution
  :math:`v(\text{predecessors} \cup \{i\}) - v(\text{predecessors})`. The estimate is the mean
  over the orders, its standard error the sample standard deviation over :math:`\sqrt{m}`, and
  the 95 % interval the estimate ± 1.96 standard errors. Every order's contributions sum to
  v(N), so the sampled credits still sum to ``value``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt

Worth = Literal["conversions", "rate"]
Method = Literal["exact", "sampled"]

EXACT_UP_TO = 15
MAX_EXACT = 24  # 2^24 floats is 128 MiB per array: beyond that, sample
DEFAULT_PERMUTATIONS = 4_000
Z_95 = 1.959963984540054
_BATCH_CELLS = 2_000_000  # permutations x channel incidences evaluated at once


@dataclass(frozen=True)
class ShapleyAttribution:
    """Credit per channel (summing to ``value``); for a sampled result, the number of
    permutations, the standard error and the 95 % interval of each credit."""

    credits: Mapping[str, float]
    value: float
    method: Method
    worth: Worth
    permutations: int | None  # None when exact
    standard_errors: Mapping[str, float] | None  # None when exact
    intervals: Mapping[str, tuple[float, float]] | None  # None when exact
    untouched_conversions: int  # conversions of journeys with no touch: never credited


@dataclass(frozen=True)
class NotEnoughData:
    """Nothing to attribute, and why."""

    reason: str
    untouched_conversions: int = 0


@dataclass(frozen=True)
class _Sets:
    """Journeys grouped by channel set: ``masks[j]`` (bit i = channel i) with their counts."""

    channels: tuple[str, ...]
    masks: list[int]
    conversions: npt.NDArray[np.float64]
    totals: npt.NDArray[np.float64]  # conversions + non-conversions


def shapley(
    paths: Sequence[tuple[Sequence[str], int, int]],
    value: float | None = None,
    *,
    worth: Worth = "conversions",
    channels: Sequence[str] | None = None,
    exact_up_to: int = EXACT_UP_TO,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | np.random.Generator | None = 0,
) -> ShapleyAttribution | NotEnoughData:
    """Shapley-value credit per channel for aggregated journeys (see the module docstring).

    ``channels`` fixes the channels to credit (a listed channel no journey touched gets 0); by
    default, those that appear in ``paths``. Exact up to ``exact_up_to`` channels (at most
    24), sampled with ``permutations`` orders drawn from ``seed`` beyond that.

    Raises ValueError on negative or non-integer counts, empty channel names, a channel not in
    ``channels``, or a bad ``value``/``worth``/``exact_up_to``/``permutations``.
    """
    if worth not in ("conversions", "rate"):
        raise ValueError(f"worth must be 'conversions' or 'rate', not {worth!r}")
    if not 0 <= exact_up_to <= MAX_EXACT:
        raise ValueError(f"exact_up_to must be between 0 and {MAX_EXACT}, not {exact_up_to}")
    if permutations < 2:
        raise ValueError(f"permutations must be at least 2, not {permutations}")
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"value must be a finite non-negative number, not {value!r}")

    sets, untouched = _group(paths, channels)
    if not paths:
        return NotEnoughData("no journeys")
    if not sets.masks:
        return NotEnoughData("no journey has a channel to credit", untouched)
    touched_conversions = float(sets.conversions.sum())
    if touched_conversions == 0:
        return NotEnoughData("no conversions among the journeys with a touch", untouched)
    total = touched_conversions if value is None else float(value)

    n = len(sets.channels)
    if n <= exact_up_to:
        phi = _exact(sets, worth)
        grand = _grand_worth(sets, worth)  # > 0: some touched journey converted
        scale = total / grand
        credits = phi * scale
        return ShapleyAttribution(
            credits=_mapping(sets.channels, credits.tolist()),
            value=total,
            method="exact",
            worth=worth,
            permutations=None,
            standard_errors=None,
            intervals=None,
            untouched_conversions=untouched,
        )

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    mean, se = _sampled(sets, worth, permutations, rng)
    grand = _grand_worth(sets, worth)
    scale = total / grand
    credits = mean * scale
    errors = se * abs(scale)
    return ShapleyAttribution(
        credits=_mapping(sets.channels, credits.tolist()),
        value=total,
        method="sampled",
        worth=worth,
        permutations=permutations,
        standard_errors=_mapping(sets.channels, errors.tolist()),
        intervals=MappingProxyType(
            {
                c: (float(x - Z_95 * e), float(x + Z_95 * e))
                for c, x, e in zip(sets.channels, credits, errors, strict=True)
            }
        ),
        untouched_conversions=untouched,
    )


def _mapping(channels: Sequence[str], values: Sequence[float]) -> Mapping[str, float]:
    return MappingProxyType({c: float(x) for c, x in zip(channels, values, strict=True)})


def _count(raw: object, what: str, index: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | np.integer):
        raise ValueError(f"paths[{index}]: {what} must be an integer count, not {raw!r}")
    count = int(raw)
    if count < 0:
        raise ValueError(f"paths[{index}]: {what} must not be negative, got {count}")
    return count


def _universe(channels: Sequence[str] | None) -> list[str] | None:
    """The channels to credit, when given: checked and sorted."""
    if channels is None:
        return None
    if isinstance(channels, str):
        raise ValueError("channels must be a sequence of channel names, not a string")
    for name in channels:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"channels: channel names must be non-empty, got {name!r}")
    return sorted(set(channels))


def _parse(index: int, item: tuple[Sequence[str], int, int]) -> tuple[frozenset[str], int, int]:
    """One journey, checked: its channel set and counts."""
    try:
        sequence, raw_conv, raw_non = item
    except (TypeError, ValueError):
        raise ValueError(
            f"paths[{index}] must be (channels, conversions, non_conversions), got {item!r}"
        ) from None
    if isinstance(sequence, str):
        raise ValueError(
            f"paths[{index}]: channels must be a sequence of names, not the string {sequence!r}"
        )
    for name in sequence:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"paths[{index}]: channel names must be non-empty, got {name!r}")
    conv = _count(raw_conv, "conversions", index)
    non = _count(raw_non, "non_conversions", index)
    return frozenset(sequence), conv, non


def _group(
    paths: Sequence[tuple[Sequence[str], int, int]], channels: Sequence[str] | None
) -> tuple[_Sets, int]:
    """Validate the journeys and add up their counts per channel set."""
    universe = _universe(channels)
    parsed: list[tuple[frozenset[str], int, int]] = []
    seen: set[str] = set()
    for index, item in enumerate(paths):
        names, conv, non = _parse(index, item)
        seen |= names
        parsed.append((names, conv, non))

    if universe is None:
        universe = sorted(seen)
    else:
        unknown = sorted(seen - set(universe))
        if unknown:
            raise ValueError(f"paths use channels not in `channels`: {', '.join(unknown)}")
    bit = {c: 1 << i for i, c in enumerate(universe)}

    per_mask: dict[int, list[int]] = {}
    untouched = 0
    for names, conv, non in parsed:
        if not names:
            untouched += conv
            continue
        mask = 0
        for name in names:
            mask |= bit[name]
        counts = per_mask.setdefault(mask, [0, 0])
        counts[0] += conv
        counts[1] += conv + non
    masks = sorted(per_mask)
    sets = _Sets(
        channels=tuple(universe),
        masks=masks,
        conversions=np.array([per_mask[m][0] for m in masks], dtype=np.float64),
        totals=np.array([per_mask[m][1] for m in masks], dtype=np.float64),
    )
    return sets, untouched


def _grand_worth(sets: _Sets, worth: Worth) -> float:
    """v(N): the worth of the coalition of all channels."""
    conversions = float(sets.conversions.sum())
    if worth == "conversions":
        return conversions
    total = float(sets.totals.sum())
    return conversions / total if total else 0.0


def _zeta(counts: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    """Subset-sum transform in place: out[S] = sum of counts[T] over T ⊆ S."""
    for i in range(n):
        view = counts.reshape(-1, 2, 1 << i)
        view[:, 1, :] += view[:, 0, :]
    return counts


def _coalition_worth(sets: _Sets, worth: Worth) -> npt.NDArray[np.float64]:
    """v(S) for every mask S of the n channels."""
    n = len(sets.channels)
    masks = np.array(sets.masks, dtype=np.int64)
    conv = np.zeros(1 << n, dtype=np.float64)
    np.add.at(conv, masks, sets.conversions)
    conv = _zeta(conv, n)
    if worth == "conversions":
        return conv
    tot = np.zeros(1 << n, dtype=np.float64)
    np.add.at(tot, masks, sets.totals)
    tot = _zeta(tot, n)
    out = np.zeros_like(conv)
    np.divide(conv, tot, out=out, where=tot > 0)
    return out


def _exact(sets: _Sets, worth: Worth) -> npt.NDArray[np.float64]:
    n = len(sets.channels)
    v = _coalition_worth(sets, worth)
    size = np.zeros(1 << n, dtype=np.int64)  # |S| for every mask S
    for i in range(n):
        size[1 << i : 1 << (i + 1)] = size[: 1 << i] + 1
    # |S|!(n-|S|-1)!/n! = 1 / (n * C(n-1, |S|)), for |S| = 0 .. n-1
    weight = np.array([1.0 / (n * math.comb(n - 1, k)) for k in range(n)])
    phi = np.empty(n, dtype=np.float64)
    for i in range(n):
        pairs = v.reshape(-1, 2, 1 << i)  # [:, 0, :] = S without i, [:, 1, :] = S with i
        sizes = size.reshape(-1, 2, 1 << i)[:, 0, :]
        phi[i] = float(np.sum(weight[sizes] * (pairs[:, 1, :] - pairs[:, 0, :])))
    return phi


def _sampled(
    sets: _Sets, worth: Worth, permutations: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean and standard error of the marginal contributions over random channel orders.

    In an order, a journey joins the coalition when the last of its channels arrives: at step
    k = max position of its channels. The coalition of the first k+1 channels is worth the
    cumulated counts of the journeys joined by step k, and channel order[k] adds v_k - v_{k-1}.
    """
    n = len(sets.channels)
    members = [[i for i in range(n) if mask >> i & 1] for mask in sets.masks]
    incidence = np.array([i for row in members for i in row], dtype=np.int64)
    starts = np.cumsum([0] + [len(row) for row in members[:-1]], dtype=np.int64)
    batch = max(1, min(permutations, _BATCH_CELLS // max(1, incidence.size)))

    mean = np.zeros(n, dtype=np.float64)
    squares = np.zeros(n, dtype=np.float64)  # sum of squared deviations from the mean
    done = 0
    while done < permutations:
        b = min(batch, permutations - done)
        order = rng.permuted(np.broadcast_to(np.arange(n), (b, n)), axis=1)
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.broadcast_to(np.arange(n), (b, n)), axis=1)
        joins = np.maximum.reduceat(position[:, incidence], starts, axis=1)  # (b, journeys)
        flat = (joins + n * np.arange(b)[:, None]).ravel()
        conv = np.bincount(flat, np.tile(sets.conversions, b), minlength=b * n).reshape(b, n)
        if worth == "conversions":
            step = conv  # v_k - v_{k-1} = conversions of the journeys joining at step k
        else:
            tot = np.bincount(flat, np.tile(sets.totals, b), minlength=b * n).reshape(b, n)
            c, t = np.cumsum(conv, axis=1), np.cumsum(tot, axis=1)
            v = np.zeros_like(c)
            np.divide(c, t, out=v, where=t > 0)
            step = np.diff(v, axis=1, prepend=0.0)
        marginal = np.empty_like(step)
        np.put_along_axis(marginal, order, step, axis=1)  # back from steps to channels
        # combine this batch's mean and squared deviations with the running ones (Chan et al.)
        batch_mean = marginal.mean(axis=0)
        delta = batch_mean - mean
        squares += np.square(marginal - batch_mean).sum(axis=0) + delta**2 * done * b / (done + b)
        mean += delta * b / (done + b)
        done += b
    variance = squares / (permutations - 1)
    return mean, np.sqrt(variance / permutations)
