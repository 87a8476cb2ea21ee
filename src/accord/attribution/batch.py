"""Rule-based attribution for many journeys at once: the ten models of `rules`, vectorised.

Why it exists: the attribution report runs every rule-based model over every journey of the
period, and `rules` works one `Journey` at a time in pure Python — some 15 microseconds per
journey per model, minutes for the issue's target of a million journeys. This module gives the
same answers, bit for bit and cent for cent, with numpy operations over the whole batch; the
target is all ten models over 1,000,000 journeys in at most a second
(bench/attribution_rules.py measures it).

`rules` stays the specification; this module copies its arithmetic rather than its shape:

- **weights** come from the same floating-point operations in the same order, so they are
  identical, not merely close: milestone shares added in the order `rules` adds them, the
  normalising totals summed as CPython's `sum` does (Neumaier's compensated summation since
  3.12), `2.0 ** x` as numpy's `power` (the C library's `pow`, as Python's float `**`).
- **credit** splits each amount by largest remainder as `rules.credit`, which works on
  `Decimal(repr(share)) * cents`. The products are taken in float64 first. A float product is
  within 2**-52 of its size of the decimal one, and a journey's allocation can only change when
  the cut between the touches that get a leftover cent and those that don't lies within that
  error: a near-tie between different shares, or the cut at a whole cent. Those journeys —
  typically a round amount whose shares tie exactly in decimal, like 30 % and 5 % of $10.04 —
  are redone exactly: each distinct share's shortest decimal is read once from its `repr`, and
  the products are taken in 64-bit integers. What that cannot hold (a share with more than 18
  decimals, an amount over $1,000,000,000, where rules' 28-digit Decimal products round) goes
  to `rules.credit` itself, journey by journey; it is rare in realistic batches. So the results
  agree with `rules` on every input, not just the likely ones (the tests check both paths).
  Caveats, both shown by the tests where they apply: numpy may use its own `pow` on CPUs with
  AVX-512 (SVML), which can differ from the C library's in the last bit of a time-decay weight;
  and another Python could sum floats differently again.

Journeys are processed in blocks of equal length (one block per length up to 16, then one per
power-of-two band, padded), laid out position by position, so that each model is a few
whole-array operations per block and no Python loop runs over journeys. No Django here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from accord.attribution.rules import DAY, DIRECT, MODELS, Journey, credit

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

NARROW = 16  # journeys up to this many touches get a block of their own length
EXACT_MAX_CENTS = 10**11  # above, rules' Decimal products (28 digits) round: use rules itself
FLOAT_MAX_CENTS = 2**49  # above, the float products are not trusted at all


# --- the batch --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class JourneyBatch:
    """Many journeys in compressed-row form: journey `j` is touches `offsets[j]` to
    `offsets[j + 1] - 1`, oldest first. Lead and opportunity indices are positions within the
    journey, -1 when unknown; channels are codes into `channels`."""

    offsets: Ints  # one more than there are journeys, from 0
    channel: npt.NDArray[np.int32]  # channel code per touch
    at: Floats  # seconds since the epoch per touch
    lead_index: Ints  # per journey, -1 when unknown
    opportunity_index: Ints  # per journey, -1 when unknown
    channels: tuple[str, ...]  # code -> name
    direct_code: int = -1  # the code of "direct", -1 when there is none

    def __post_init__(self) -> None:
        for name, dtype in (
            ("offsets", np.int64),
            ("channel", np.int32),
            ("at", np.float64),
            ("lead_index", np.int64),
            ("opportunity_index", np.int64),
        ):
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), dtype))
        object.__setattr__(self, "channels", tuple(self.channels))
        _validate(self)

    @classmethod
    def from_journeys(cls, journeys: Sequence[Journey]) -> JourneyBatch:
        for number, journey in enumerate(journeys):
            if not journey.touches:
                raise ValueError(
                    f"journey {number}: a journey without touches has nothing to credit"
                )
        names = sorted({t.channel for j in journeys for t in j.touches})
        code = {name: i for i, name in enumerate(names)}
        offsets = np.zeros(len(journeys) + 1, np.int64)
        np.cumsum([len(j.touches) for j in journeys], out=offsets[1:])
        touches = [t for j in journeys for t in j.touches]
        return cls(
            offsets=offsets,
            channel=np.array([code[t.channel] for t in touches], np.int32),
            at=np.array([t.at for t in touches], np.float64),
            lead_index=np.array([_known(j.lead_index) for j in journeys], np.int64),
            opportunity_index=np.array([_known(j.opportunity_index) for j in journeys], np.int64),
            channels=tuple(names),
            direct_code=code.get(DIRECT, -1),
        )

    @property
    def n_journeys(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_touches(self) -> int:
        return int(self.offsets[-1])

    def prepare(self) -> JourneyBatch:
        """Work out now what the models share (else done on first use), and return self."""
        for name in ("layout", "channel_slots", "at_slots", "patterns"):
            getattr(self, name)
        return self

    # Worked out on first use and shared by every model run on the batch.
    @cached_property
    def layout(self) -> _Layout:
        return _layout(self.offsets)

    @cached_property
    def channel_slots(self) -> npt.NDArray[np.intp]:
        return self.layout.to_slots(self.channel.astype(np.intp))

    @cached_property
    def at_slots(self) -> Floats:
        return self.layout.to_slots(self.at)

    @cached_property
    def patterns(self) -> tuple[tuple[Ints, Ints], ...]:
        """Per block, journeys of one length with the same lead and opportunity: one
        representative journey of each such pattern, and each journey's pattern number.
        Positional models work their weights out once per pattern."""
        lengths = np.diff(self.offsets)
        side = int(lengths.max(initial=0)) + 1
        if side**3 < 2**62:
            key = (lengths * side + self.lead_index + 1) * side + self.opportunity_index + 1
        else:  # journeys too long for the key: no sharing
            key = np.arange(lengths.size, dtype=np.int64)
        return tuple(_patterns(key[block.journeys]) for block in self.layout.blocks)


def _known(index: int | None) -> int:
    return -1 if index is None else index


def _validate(batch: JourneyBatch) -> None:
    lengths = _lengths(batch.offsets)
    n_journeys, n_touches = lengths.size, int(batch.offsets[-1])
    for name, size in (
        ("channel", n_touches),
        ("at", n_touches),
        ("lead_index", n_journeys),
        ("opportunity_index", n_journeys),
    ):
        if getattr(batch, name).shape != (size,):
            raise ValueError(f"{name} needs {size} entries, not {getattr(batch, name).shape}")
    if n_touches and not 0 <= batch.channel.min() <= batch.channel.max() < len(batch.channels):
        raise ValueError(f"channel codes must lie in 0..{len(batch.channels) - 1}")
    expected = batch.channels.index(DIRECT) if DIRECT in batch.channels else -1
    if batch.direct_code != expected:
        raise ValueError(f"direct_code must be {expected}, the code of '{DIRECT}' (-1: none)")
    for name in ("lead_index", "opportunity_index"):
        index = getattr(batch, name)
        bad = np.flatnonzero((index < -1) | (index >= lengths))
        if bad.size:
            j = bad[0]
            raise ValueError(
                f"journey {j}: {name} {index[j]} is not a touch of a {lengths[j]}-touch journey"
            )
    if not np.isfinite(batch.at).all():
        raise ValueError("touch times must be finite")
    backwards = np.diff(batch.at) < 0
    backwards[batch.offsets[1:-1] - 1] = False  # one journey's last touch to the next's first
    if backwards.any():
        j = int(np.searchsorted(batch.offsets, np.argmax(backwards), side="right")) - 1
        raise ValueError(f"journey {j}: a journey's touches must be in time order")


def _lengths(offsets: Ints) -> Ints:
    if offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0:
        raise ValueError("offsets must start at 0, with one entry more than there are journeys")
    lengths = np.diff(offsets)
    empty = np.flatnonzero(lengths <= 0)
    if empty.size:
        raise ValueError(f"journey {empty[0]}: a journey without touches has nothing to credit")
    return lengths


# --- layout: journeys of (about) one length, position by position -----------------------------


@dataclass(frozen=True, eq=False)
class _Block:
    """`width` x `columns` slots from `start`: slot [p, i] is the p-th touch of the block's
    i-th journey, or padding past its end where `valid` is False (`valid` is None when every
    journey fills the block)."""

    journeys: Ints  # ascending
    lengths: Ints
    start: int
    width: int
    valid: Bools | None

    @property
    def columns(self) -> int:
        return int(self.journeys.size)

    @property
    def mask(self) -> Bools:
        if self.valid is None:
            return np.ones((self.width, self.columns), np.bool_)
        return self.valid

    def view(self, slots: npt.NDArray[Any]) -> npt.NDArray[Any]:
        end = self.start + self.width * self.columns
        return slots[self.start : end].reshape(self.width, self.columns)


@dataclass(frozen=True, eq=False)
class _Layout:
    blocks: tuple[_Block, ...]
    slot: Ints  # each touch's slot
    n_slots: int

    def to_slots(self, per_touch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out = np.zeros(self.n_slots, per_touch.dtype)
        out[self.slot] = per_touch
        return out

    def to_touches(self, slots: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return slots[self.slot]


def _layout(offsets: Ints) -> _Layout:
    lengths = _lengths(offsets)
    if lengths.size == 0:
        return _Layout((), np.zeros(0, np.int64), 0)
    # Each length up to NARROW a block of its own; longer ones by power-of-two band, padded.
    band = lengths.astype(np.uint16)
    long = np.flatnonzero(lengths > NARROW)
    band[long] = NARROW - 4 + np.ceil(np.log2(lengths[long]))
    order = np.argsort(band, kind="stable").astype(np.int64)
    counts = np.bincount(band)
    firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    widths = np.minimum(np.arange(counts.size), NARROW)
    np.maximum.at(widths, band[long], lengths[long])
    starts = np.concatenate(([0], np.cumsum(widths * counts)[:-1]))
    # Slot [p, i] of a block is start + p * columns + i: a journey's touches are `columns`
    # apart, from start + i. Built as running sums, touch by touch.
    column = np.empty(lengths.size, np.int64)
    column[order] = np.arange(lengths.size) - firsts[band[order]]
    stride = counts[band]
    first = starts[band] + column
    step = np.zeros(int(offsets[-1]), np.int64)
    step[offsets[:-1]] = np.diff(stride, prepend=0)
    np.cumsum(step, out=step)
    step[offsets[:-1]] = (
        np.diff(first, prepend=0) - np.concatenate(([0], (lengths - 1) * stride))[:-1]
    )
    slot = np.cumsum(step)
    blocks = []
    for b in np.flatnonzero(counts).tolist():
        journeys = order[firsts[b] : firsts[b] + counts[b]]
        block_lengths = lengths[journeys]
        width = int(widths[b])
        full = bool((block_lengths == width).all())
        valid = None if full else np.arange(width)[:, None] < block_lengths[None, :]
        blocks.append(_Block(journeys, block_lengths, int(starts[b]), width, valid))
    return _Layout(tuple(blocks), slot, int((widths * counts).sum()))


def _python_sum(columns: Floats) -> Floats:
    """The sum down axis 0 of non-negative floats as CPython's `sum` gives it (3.12+:
    Neumaier's compensated summation, the compensation added at the end)."""
    total = columns[0].copy()
    compensation = np.zeros_like(total)
    for x in columns[1:]:
        t = total + x
        compensation += (np.maximum(total, x) - t) + np.minimum(total, x)
        total = t
    return total + compensation


# --- weights --------------------------------------------------------------------------------

# Each model's weights for one block of journeys, written into `out` (width x journeys).
BlockWeights = Callable[[JourneyBatch, int, float, Floats], None]


def batch_weights(model: str, batch: JourneyBatch, *, half_life_days: float = 7.0) -> Floats:
    """Each touch's weight under `model` (one of `rules.MODELS`), identical to `rules.weights`
    journey by journey; `half_life_days` is time decay's, as in `rules.time_decay`."""
    return batch.layout.to_touches(_weight_slots(model, batch, half_life_days))


def _weight_slots(model: str, batch: JourneyBatch, half_life_days: float) -> Floats:
    if model not in MODELS:
        raise ValueError(f"unknown model '{model}'; choose one of: {', '.join(MODELS)}")
    if not half_life_days > 0:
        raise ValueError(f"the half-life must be more than 0 days, not {half_life_days}")
    out = np.zeros(batch.layout.n_slots)
    for number, block in enumerate(batch.layout.blocks):
        _WEIGHTS[model](batch, number, float(half_life_days), block.view(out))
    return out


def _one_hot(block: _Block, chosen: Ints, out: Floats) -> None:
    np.equal(np.arange(block.width)[:, None], chosen, out=out)


def _first_touch(batch: JourneyBatch, number: int, half_life_days: float, out: Floats) -> None:
    block = batch.layout.blocks[number]
    _one_hot(block, np.zeros(block.columns, np.int64), out)


def _last_touch(batch: JourneyBatch, number: int, half_life_days: float, out: Floats) -> None:
    block = batch.layout.blocks[number]
    _one_hot(block, block.lengths - 1, out)


def _last_non_direct(batch: JourneyBatch, number: int, half_life_days: float, out: Floats) -> None:
    block = batch.layout.blocks[number]
    chosen = block.lengths - 1
    if batch.direct_code >= 0:
        other = (block.view(batch.channel_slots) != batch.direct_code) & block.mask
        number_from_1 = np.arange(1, block.width + 1, dtype=np.min_scalar_type(block.width))
        latest = (other * number_from_1[:, None]).max(axis=0)
        chosen = np.where(latest > 0, latest.astype(np.int64) - 1, chosen)
    _one_hot(block, chosen, out)


def _linear(batch: JourneyBatch, number: int, half_life_days: float, out: Floats) -> None:
    block = batch.layout.blocks[number]
    if block.valid is None:
        out.fill(1.0 / block.width)
    else:
        np.multiply(1.0 / block.lengths, block.valid, out=out)


def _time_decay(batch: JourneyBatch, number: int, half_life_days: float, out: Floats) -> None:
    # Relative to the latest touch, as rules: 2 ** (-(latest - t) / half-life).
    block = batch.layout.blocks[number]
    latest = batch.at[batch.offsets[block.journeys + 1] - 1]
    at = block.view(batch.at_slots)
    if block.valid is None:  # the last touch is the latest: 2 ** -0.0 = 1
        raw = np.ones(at.shape)
        raw[:-1] = np.power(2.0, -(latest - at[:-1]) / (half_life_days * DAY))
    else:
        raw = np.where(block.valid, np.power(2.0, -(latest - at) / (half_life_days * DAY)), 0.0)
    np.divide(raw, _python_sum(raw), out=out)


# Each positional model's milestones, in the order rules adds their shares, and the rest.
_SPECS: dict[str, tuple[tuple[tuple[str, float], ...], float]] = {
    "u_shaped": ((("first", 0.4), ("lead_or_last", 0.4)), 0.2),
    "w_shaped": ((("first", 0.3), ("lead", 0.3), ("opportunity", 0.3)), 0.1),
    "full_path": (
        (("first", 0.225), ("lead", 0.225), ("opportunity", 0.225), ("last", 0.225)),
        0.1,
    ),
    "j_shaped": ((("first", 0.2), ("last", 0.6)), 0.2),
    "inverse_j": ((("first", 0.6), ("last", 0.2)), 0.2),
}


def _positional(model: str) -> BlockWeights:
    spec, rest = _SPECS[model]

    def weights(batch: JourneyBatch, number: int, half_life_days: float, out: Floats) -> None:
        # Worked out once per pattern (length, lead, opportunity), then copied to its journeys.
        block = batch.layout.blocks[number]
        patterns, inverse = batch.patterns[number]
        journeys = block.journeys[patterns]
        table = _positional_table(
            spec=spec,
            rest=rest,
            lengths=block.lengths[patterns],
            lead=batch.lead_index[journeys],
            opportunity=batch.opportunity_index[journeys],
            width=block.width,
        )
        np.take(table, inverse, axis=1, out=out, mode="clip")

    return weights


def _patterns(key: Ints) -> tuple[Ints, Ints]:
    """One representative per distinct key, and each key's representative's number."""
    if key.max() < 2**16:  # distinct small keys by counting, without sorting
        present = np.bincount(key) > 0
        inverse = (np.cumsum(present) - 1)[key]
        patterns = np.zeros(int(present.sum()), np.int64)
        patterns[inverse] = np.arange(key.size)
        return patterns, inverse
    _, patterns, inverse = np.unique(key, return_index=True, return_inverse=True)
    return patterns.astype(np.int64), inverse.ravel().astype(np.int64)


def _positional_table(
    *,
    spec: tuple[tuple[str, float], ...],
    rest: float,
    lengths: Ints,
    lead: Ints,
    opportunity: Ints,
    width: int,
) -> Floats:
    """rules._positional over journeys given by length, lead and opportunity (columns)."""
    last = lengths - 1
    at = {
        "first": np.zeros_like(last),
        "last": last,
        "lead": np.where(lead >= 0, lead, 0),  # rules._milestones: else the first touch
        "lead_or_last": np.where(lead >= 0, lead, last),  # rules.u_shaped: else the last
        "opportunity": np.where(opportunity >= 0, opportunity, last),
    }
    positions = [at[name] for name, _ in spec]
    # Coinciding milestones add up, in spec order, as the shares dict of rules does.
    values, firsts = [], []
    for i, p in enumerate(positions):
        value = np.zeros(lengths.shape)
        for q, (_, share) in zip(positions, spec, strict=True):
            value = np.where(q == p, value + share, value)
        values.append(value)
        first = np.ones(p.shape, np.bool_)  # the first milestone at its position: a dict key
        for q in positions[:i]:
            first &= q != p
        firsts.append(first)
    others = lengths - np.sum(firsts, axis=0)
    # With no other touch, the rest goes to the milestones in proportion to their shares.
    named = _python_sum(
        np.array([np.where(f, v, 0.0) for f, v in zip(firsts, values, strict=True)])
    )
    each = np.divide(rest, others, out=np.zeros(others.shape), where=others > 0)
    out = np.where(np.arange(width)[:, None] < lengths, each, 0.0)
    column = np.arange(lengths.size)
    for p, value in zip(positions, values, strict=True):
        out[p, column] = np.where(others > 0, value, value + rest * value / named)
    return out / _python_sum(out)


_WEIGHTS: dict[str, BlockWeights] = {
    "first_touch": _first_touch,
    "last_touch": _last_touch,
    "last_non_direct": _last_non_direct,
    "linear": _linear,
    "time_decay": _time_decay,
    **{model: _positional(model) for model in _SPECS},
}
assert set(_WEIGHTS) == set(MODELS), "every model of rules needs its batch version"

# What the shares of a model look like within a journey, for the credit's shortcuts.
Shape = Literal["one_hot", "equal", "any"]
_SHAPES: dict[str, Shape] = {
    "first_touch": "one_hot",
    "last_touch": "one_hot",
    "last_non_direct": "one_hot",
    "linear": "equal",
}


# --- credit ---------------------------------------------------------------------------------


def batch_credit(
    amounts_cents: npt.ArrayLike, batch: JourneyBatch | npt.ArrayLike, weights: npt.ArrayLike
) -> Ints:
    """Each journey's amount (whole cents) split over its touches by `weights` as
    `rules.credit` splits it: every part rounded down, the cents left over to the largest
    remainders, ties to the earlier touch. `batch` is the JourneyBatch (its layout is reused)
    or just its offsets. Returns int64 cents per touch, summing to each amount exactly."""
    if isinstance(batch, JourneyBatch):
        layout = batch.layout
    else:
        layout = _layout(np.asarray(batch, dtype=np.int64))
    shares = np.asarray(weights, dtype=np.float64)
    if shares.shape != (layout.slot.size,):
        raise ValueError(f"weights needs one entry per touch ({layout.slot.size})")
    if not (np.isfinite(shares).all() and (shares >= 0).all()):
        raise ValueError("weights must be finite and not negative")
    amounts = _amounts(amounts_cents, sum(b.columns for b in layout.blocks))
    bound = max(1.0, float(shares.max(initial=0.0)))
    if float(amounts.max(initial=0)) * bound >= 2**62:
        raise ValueError("shares that large would credit more cents than 64 bits hold")
    slots = _cent_slots(layout, layout.to_slots(shares), amounts, "any", bound)
    return layout.to_touches(slots).astype(np.int64, copy=False)


def _amounts(amounts_cents: npt.ArrayLike, n_journeys: int) -> Ints:
    amounts = np.asarray(amounts_cents)
    if amounts.shape != (n_journeys,) or not np.issubdtype(amounts.dtype, np.integer):
        raise ValueError(
            f"amounts_cents needs one whole number of cents per journey ({n_journeys})"
        )
    if (amounts < 0).any():
        raise ValueError(f"an amount to credit cannot be negative, not {amounts.min()} cents")
    return amounts.astype(np.int64)


def _cent_slots(
    layout: _Layout, shares: Floats, amounts: Ints, shape: Shape, bound: float
) -> npt.NDArray[Any]:
    """The cents per slot; in float64 (faster to total) when every credit is below 2**53,
    where float64 holds whole numbers exactly (shares are at most `bound`)."""
    small = float(amounts.max(initial=0)) * bound < 2**53
    out = np.zeros(layout.n_slots, np.float64 if small else np.int64)
    for block in layout.blocks:
        cents, view, into = amounts[block.journeys], block.view(shares), block.view(out)
        if shape == "one_hot":  # weights 1 and 0: the amount to one touch, exactly
            np.multiply(view == 1.0, cents, out=into, casting="unsafe")
        elif shape == "equal":
            _credit_equal(block, view[0], cents, into)
        else:
            _credit(block, view, cents, bound, into)
    return out


def _credit(
    block: _Block, shares: Floats, cents: Ints, bound: float, out: npt.NDArray[Any]
) -> None:
    scale = cents.astype(np.float64)
    remainders = shares * scale
    floors = np.floor(remainders)
    remainders -= floors
    with np.errstate(invalid="ignore"):  # past 2**63 with shares above 1: redone below
        left = cents - floors.sum(axis=0).astype(np.int64)
    gets = _ranks(remainders, block) < left
    np.add(floors, gets, out=out, casting="unsafe")  # whole numbers: exact
    # The cut: the remainder of the last touch to get a cent (1 when none does) and of the
    # first not to (0 when all do). Those that get one are moved below -1 to tell them apart.
    keyed = remainders - 2.0 * gets
    hi = np.minimum(keyed.min(axis=0) + 2.0, 1.0)
    lo = np.maximum(keyed.max(axis=0), 0.0)
    tolerance = scale * (bound * 2.0**-50) + 1e-280
    doubtful = (left < 0) | (left > block.lengths) | (scale * bound > FLOAT_MAX_CENTS)
    close = np.flatnonzero(~doubtful & (hi - lo <= 2 * tolerance))
    if close.size:
        doubtful[close] = _cut_in_doubt(
            shares=shares.take(close, axis=1),
            remainders=remainders.take(close, axis=1),
            valid=None if block.valid is None else block.valid.take(close, axis=1),
            hi=hi[close],
            lo=lo[close],
            left=left[close],
            lengths=block.lengths[close],
            tolerance=tolerance[close],
            bound=bound,
        )
    _redo_exactly(out, shares, cents, block.lengths, doubtful)


def _cut_in_doubt(
    *,
    shares: Floats,
    remainders: Floats,
    valid: Bools | None,
    hi: Floats,
    lo: Floats,
    left: Ints,
    lengths: Ints,
    tolerance: Floats,
    bound: float,
) -> Bools:
    """For journeys whose cut is within the products' error: whether the touches near it may
    be in another order in decimal — unless they have the same share, when they tie in both
    and go by position — or the cut is at a whole cent (a remainder near 0 may be near 1)."""
    near = np.abs(remainders - hi) <= 3 * tolerance
    if valid is not None:
        near &= valid
    far = (4.0 * bound) * ~near  # lifts the shares away from the cut out of the way
    mixed = (shares + far).min(axis=0) != (shares - far).max(axis=0)
    edge = (left <= 0) | (left >= lengths) | (hi <= 3 * tolerance) | (lo >= 1 - 3 * tolerance)
    return mixed | edge


def _credit_equal(block: _Block, share: Floats, cents: Ints, out: npt.NDArray[Any]) -> None:
    """As `_credit`, for journeys whose touches all have the same share: the same floor for
    every touch, the cents left over to the first touches, and the cut in doubt only at a
    whole cent."""
    product = share * cents.astype(np.float64)
    floor = np.floor(product)
    remainder = product - floor
    left = cents - block.lengths * floor.astype(np.int64)
    gets = np.arange(block.width)[:, None] < left
    floors = floor if block.valid is None else floor * block.valid
    np.add(floors, gets, out=out, casting="unsafe")
    tolerance = cents.astype(np.float64) * 2.0**-50 + 1e-280
    doubtful = (left < 0) | (left > block.lengths) | (cents > FLOAT_MAX_CENTS)
    doubtful |= (left == 0) & (remainder >= 1 - 2 * tolerance)
    doubtful |= (left == block.lengths) & (remainder <= 2 * tolerance)
    inside = (left > 0) & (left < block.lengths)
    doubtful |= inside & ((remainder <= 3 * tolerance) | (remainder >= 1 - 3 * tolerance))
    columns = np.flatnonzero(doubtful)
    if columns.size:
        lengths = block.lengths[columns]
        shares = share[columns] * (np.arange(block.width)[:, None] < lengths)
        out[:, columns] = _exact_credit(shares, cents[columns], lengths)


def _ranks(keys: npt.NDArray[Any], block: _Block) -> npt.NDArray[np.integer[Any]]:
    """Each touch's place in its journey's order — larger key first, ties to the earlier touch
    — as the number of its journey's touches ahead of it. Padding comes last."""
    width = keys.shape[0]
    if block.valid is None:  # compare positions pairwise, row against row
        ahead = np.zeros(keys.shape, np.int8 if width < 128 else np.int64)
        for p in range(width):
            for q in range(p + 1, width):
                later = keys[q] > keys[p]
                ahead[p] += later
                ahead[q] += ~later
        return ahead
    lowest = np.where(block.valid, keys, np.min(keys, initial=0) - 1)
    order = np.argsort(-lowest, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(width)[:, None], order.shape), axis=0)
    return ranks


def _redo_exactly(
    out: npt.NDArray[Any], shares: Floats, cents: Ints, lengths: Ints, doubtful: Bools
) -> None:
    columns = np.flatnonzero(doubtful)
    if columns.size:
        out[:, columns] = _exact_credit(shares[:, columns], cents[columns], lengths[columns])


def _decimal_parts(values: Floats) -> tuple[Ints, Ints, Ints, Bools]:
    """Each share's shortest decimal (what `Decimal(repr(share))` holds) as digits *
    10**-places: the digits, 10**places, 10**(18 - places), and whether places <= 18."""
    digits, power, scale, fits = [], [], [], []
    for value in values.tolist():
        _, decimal_digits, exponent = Decimal(repr(value)).as_tuple()
        assert isinstance(exponent, int)
        number = int("".join(map(str, decimal_digits)))
        if exponent > 0:
            number, exponent = number * 10**exponent, 0
        places = -exponent
        ok = places <= 18 and number < 2**62
        digits.append(number if ok else 0)
        power.append(10**places if ok else 1)
        scale.append(10 ** (18 - places) if ok else 1)
        fits.append(ok)
    return (
        np.array(digits, np.int64),
        np.array(power, np.int64),
        np.array(scale, np.int64),
        np.array(fits, np.bool_),
    )


def _exact_credit(shares: Floats, cents: Ints, lengths: Ints) -> Ints:
    """rules.credit for a few journeys (columns), in 64-bit integers: a share's decimal digits
    times the cents, less the float product's floor times 10**places, is the remainder exactly
    (it fits in 64 bits where the product does not: the arithmetic wraps modulo 2**64)."""
    width = shares.shape[0]
    valid = np.arange(width)[:, None] < lengths
    values, inverse = np.unique(shares.ravel(), return_inverse=True)
    parts = _decimal_parts(values)
    digits, power, scale, fits = (part[inverse.reshape(shares.shape)] for part in parts)
    floor = np.floor(shares * cents.astype(np.float64)).astype(np.int64)
    u = np.uint64
    remainder = (digits.astype(u) * cents.astype(u) - floor.astype(u) * power.astype(u)).view(
        np.int64
    )
    below, above = remainder < 0, remainder >= power
    floor += above.astype(np.int64) - below
    remainder += power * below - power * above
    keys = np.where(valid, remainder * scale, -1)  # the remainder in 10**-18 cent
    left = cents - floor.sum(axis=0)
    full = bool((lengths == width).all())
    ahead = _ranks(keys, _Block(lengths, lengths, 0, width, None if full else valid))
    out = floor + ((ahead < np.maximum(left, 0)) & valid)
    unfit = ~(fits | ~valid).all(axis=0) | (cents > EXACT_MAX_CENTS)
    unfit |= cents * shares.max(axis=0, initial=0.0) > FLOAT_MAX_CENTS  # shares above 1
    for column in np.flatnonzero(unfit):
        n = int(lengths[column])
        amount = Decimal(int(cents[column])).scaleb(-2)
        parts_in_cents = credit(amount, shares[:n, column].tolist())
        out[:n, column] = [int(part.scaleb(2)) for part in parts_in_cents]
    return out


# --- per channel, and all at once -----------------------------------------------------------


def channel_totals(cents: npt.ArrayLike, batch: JourneyBatch) -> Ints:
    """The cents credited to each channel code (int64, one per `batch.channels`)."""
    parts = np.asarray(cents, dtype=np.int64)
    return _channel_totals(parts, batch.channel, len(batch.channels), int(np.abs(parts).sum()))


def _channel_totals(
    cents: npt.NDArray[Any], channel: npt.NDArray[Any], size: int, bound: int
) -> Ints:
    if bound < 2**53:  # sums of whole numbers in float64 are exact below 2**53
        return np.bincount(channel, weights=cents, minlength=size).astype(np.int64)
    parts = cents.astype(np.int64)
    high, low = parts >> 26, parts & (2**26 - 1)
    totals = np.bincount(channel, weights=high, minlength=size).astype(np.int64) << 26
    return totals + np.bincount(channel, weights=low, minlength=size).astype(np.int64)


@dataclass(frozen=True, eq=False)
class BatchAttribution:
    """One model over a batch: the cents per channel code, and — put in the batch's touch
    order on first use — each touch's weight and cents."""

    model: str
    channel_cents: Ints
    layout: _Layout = field(repr=False)
    weight_slots: Floats = field(repr=False)
    cent_slots: npt.NDArray[Any] = field(repr=False)  # float64 or int64: whole numbers

    @cached_property
    def weights(self) -> Floats:
        return self.layout.to_touches(self.weight_slots)

    @cached_property
    def cents(self) -> Ints:
        return self.layout.to_touches(self.cent_slots).astype(np.int64, copy=False)


def attribute_batch(
    model: str, batch: JourneyBatch, amounts_cents: npt.ArrayLike, *, half_life_days: float = 7.0
) -> BatchAttribution:
    """`batch_weights`, `batch_credit` and `channel_totals` in one go, without putting the
    weights back in touch order in between (the same results, faster)."""
    weights = _weight_slots(model, batch, half_life_days)
    amounts = _amounts(amounts_cents, batch.n_journeys)
    cents = _cent_slots(batch.layout, weights, amounts, _SHAPES.get(model, "any"), 1.0)
    totals = _channel_totals(cents, batch.channel_slots, len(batch.channels), int(amounts.sum()))
    return BatchAttribution(model, totals, batch.layout, weights, cents)
