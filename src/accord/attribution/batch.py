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

from collections.abc import Callable
from typing import Literal

import numpy as np

from accord.attribution.batch_layout import Block, Floats, Ints, JourneyBatch, python_sum
from accord.attribution.rules import DAY, MODELS

__all__ = ["SHAPES", "JourneyBatch", "Shape", "batch_weights", "weight_slots"]


# --- weights --------------------------------------------------------------------------------

# Each model's weights for one block of journeys, written into `out` (width x journeys).
BlockWeights = Callable[[JourneyBatch, int, float, Floats], None]


def batch_weights(model: str, batch: JourneyBatch, *, half_life_days: float = 7.0) -> Floats:
    """Each touch's weight under `model` (one of `rules.MODELS`), identical to `rules.weights`
    journey by journey; `half_life_days` is time decay's, as in `rules.time_decay`."""
    return batch.layout.to_touches(weight_slots(model, batch, half_life_days))


def weight_slots(model: str, batch: JourneyBatch, half_life_days: float) -> Floats:
    if model not in MODELS:
        raise ValueError(f"unknown model '{model}'; choose one of: {', '.join(MODELS)}")
    if not half_life_days > 0:
        raise ValueError(f"the half-life must be more than 0 days, not {half_life_days}")
    out = np.zeros(batch.layout.n_slots)
    for number, block in enumerate(batch.layout.blocks):
        _WEIGHTS[model](batch, number, float(half_life_days), block.view(out))
    return out


def _one_hot(block: Block, chosen: Ints, out: Floats) -> None:
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
    np.divide(raw, python_sum(raw), out=out)


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
    named = python_sum(np.array([np.where(f, v, 0.0) for f, v in zip(firsts, values, strict=True)]))
    each = np.divide(rest, others, out=np.zeros(others.shape), where=others > 0)
    out = np.where(np.arange(width)[:, None] < lengths, each, 0.0)
    column = np.arange(lengths.size)
    for p, value in zip(positions, values, strict=True):
        out[p, column] = np.where(others > 0, value, value + rest * value / named)
    return out / python_sum(out)


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
SHAPES: dict[str, Shape] = {
    "first_touch": "one_hot",
    "last_touch": "one_hot",
    "last_non_direct": "one_hot",
    "linear": "equal",
}
