"""Credit for a batch of journeys: each amount split to the cent over its touches exactly as
`rules.credit` splits it (see `batch` for how float products are checked and redone exactly),
the cents per channel, and every step of one model at once (`attribute_batch`). No Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.attribution.batch import SHAPES, Shape, weight_slots
from accord.attribution.batch_layout import (
    Block,
    Bools,
    Floats,
    Ints,
    JourneyBatch,
    Layout,
    layout_of,
)
from accord.attribution.rules import credit

EXACT_MAX_CENTS = 10**11  # above, rules' Decimal products (28 digits) round: use rules itself
FLOAT_MAX_CENTS = 2**49  # above, the float products are not trusted at all


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
        layout = layout_of(np.asarray(batch, dtype=np.int64))
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
    layout: Layout, shares: Floats, amounts: Ints, shape: Shape, bound: float
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


def _credit(block: Block, shares: Floats, cents: Ints, bound: float, out: npt.NDArray[Any]) -> None:
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


def _credit_equal(block: Block, share: Floats, cents: Ints, out: npt.NDArray[Any]) -> None:
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


def _ranks(keys: npt.NDArray[Any], block: Block) -> npt.NDArray[np.integer[Any]]:
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
    ahead = _ranks(keys, Block(lengths, lengths, 0, width, None if full else valid))
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
    layout: Layout = field(repr=False)
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
    weights = weight_slots(model, batch, half_life_days)
    amounts = _amounts(amounts_cents, batch.n_journeys)
    cents = _cent_slots(batch.layout, weights, amounts, SHAPES.get(model, "any"), 1.0)
    totals = _channel_totals(cents, batch.channel_slots, len(batch.channels), int(amounts.sum()))
    return BatchAttribution(model, totals, batch.layout, weights, cents)
