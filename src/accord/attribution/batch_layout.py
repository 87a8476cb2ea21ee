"""The journeys of a batch and their layout, shared by the vectorised models
(`batch`, weights) and their credit (`batch_credit`).

Journeys are processed in blocks of equal length (one block per length up to 16, then one per
power-of-two band, padded), laid out position by position, so that each model is a few
whole-array operations per block and no Python loop runs over journeys. No Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.attribution.rules import DIRECT, Journey

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

NARROW = 16  # journeys up to this many touches get a block of their own length


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
            lead_index=np.array([known_index(j.lead_index) for j in journeys], np.int64),
            opportunity_index=np.array(
                [known_index(j.opportunity_index) for j in journeys], np.int64
            ),
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
    def layout(self) -> Layout:
        return layout_of(self.offsets)

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


def known_index(index: int | None) -> int:
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
class Block:
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
class Layout:
    blocks: tuple[Block, ...]
    slot: Ints  # each touch's slot
    n_slots: int

    def to_slots(self, per_touch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out = np.zeros(self.n_slots, per_touch.dtype)
        out[self.slot] = per_touch
        return out

    def to_touches(self, slots: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return slots[self.slot]


def layout_of(offsets: Ints) -> Layout:
    lengths = _lengths(offsets)
    if lengths.size == 0:
        return Layout((), np.zeros(0, np.int64), 0)
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
        blocks.append(Block(journeys, block_lengths, int(starts[b]), width, valid))
    return Layout(tuple(blocks), slot, int((widths * counts).sum()))


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


def python_sum(columns: Floats) -> Floats:
    """The sum down axis 0 of non-negative floats as CPython's `sum` gives it (3.12+:
    Neumaier's compensated summation, the compensation added at the end)."""
    total = columns[0].copy()
    compensation = np.zeros_like(total)
    for x in columns[1:]:
        t = total + x
        compensation += (np.maximum(total, x) - t) + np.minimum(total, x)
        total = t
    return total + compensation
