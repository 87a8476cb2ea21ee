"""The batch engine against rules, the specification: identical weights and the same credit to
the cent for every model on random journeys, the exact decimal path where floats would tie
differently, credit conserved, one-touch journeys, and bad input refused clearly."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution import batch_credit as credit_module
from accord.attribution import batch_layout
from accord.attribution.batch import JourneyBatch, batch_weights
from accord.attribution.batch_credit import attribute_batch, batch_credit, channel_totals
from accord.attribution.rules import MODELS, Journey, Touch, credit, weights

DAY = 86_400.0
CHANNELS = st.sampled_from(["webinar", "email", "direct", "paid_search", "event"])
# Round amounts make shares tie exactly in decimal, where float products need not.
AMOUNTS = st.one_of(
    st.integers(0, 10**11),
    st.integers(0, 10**7).map(lambda c: c * 100),
    st.integers(0, 10**4).map(lambda c: c * 4),
    st.integers(0, 2_000),
)


def rules_cents(amount_cents: int, shares: list[float]) -> list[int]:
    return [int(part.scaleb(2)) for part in credit(Decimal(amount_cents).scaleb(-2), shares)]


@st.composite
def journeys(draw: st.DrawFn, max_touches: int = 12) -> Journey:
    n = draw(st.integers(1, max_touches))
    gaps = draw(
        st.lists(
            st.one_of(st.just(0.0), st.sampled_from([DAY, 7 * DAY]), st.floats(0, 30 * DAY)),
            min_size=n,
            max_size=n,
        )
    )
    times = list(np.cumsum(gaps) + draw(st.floats(0, 2e9)))
    touches = tuple(Touch(draw(CHANNELS), float(at)) for at in times)
    lead = draw(st.none() | st.integers(0, n - 1))
    opportunity = draw(st.none() | st.integers(0, n - 1))
    return Journey(touches, touches[-1].at, lead, opportunity)


def per_journey(batch: JourneyBatch, values: np.ndarray) -> list[list[float | int]]:
    return [
        values[a:b].tolist() for a, b in zip(batch.offsets[:-1], batch.offsets[1:], strict=True)
    ]


@settings(max_examples=150, deadline=None)
@given(
    many=st.lists(journeys(), min_size=1, max_size=25),
    amounts=st.lists(AMOUNTS, min_size=25, max_size=25),
)
def test_every_model_agrees_with_rules_weights_and_cents(
    many: list[Journey], amounts: list[int]
) -> None:
    batch = JourneyBatch.from_journeys(many)
    cents = np.array(amounts[: len(many)], np.int64)
    for model in MODELS:
        ours = batch_weights(model, batch)
        credited = batch_credit(cents, batch, ours)
        fused = attribute_batch(model, batch, cents)
        for journey, got, parts, amount in zip(
            many,
            per_journey(batch, ours),
            per_journey(batch, credited),
            cents.tolist(),
            strict=True,
        ):
            expected = weights(model, journey)
            assert got == pytest.approx(expected, abs=1e-12, rel=0)
            assert got == expected, f"{model}: weights not bit-identical"
            assert parts == rules_cents(amount, expected), model
        assert (fused.weights == ours).all() and (fused.cents == credited).all()
        assert (fused.channel_cents == channel_totals(credited, batch)).all()


@settings(max_examples=60, deadline=None)
@given(
    many=st.lists(journeys(max_touches=40), min_size=1, max_size=8),
    half_life=st.sampled_from([0.5, 3.0, 14, 90.0]),
)
def test_time_decay_with_other_half_lives_and_long_journeys(
    many: list[Journey], half_life: float
) -> None:
    batch = JourneyBatch.from_journeys(many)
    ours = per_journey(batch, batch_weights("time_decay", batch, half_life_days=half_life))
    for journey, got in zip(many, ours, strict=True):
        assert got == MODELS["time_decay"](journey, half_life)  # type: ignore[call-arg]


@settings(max_examples=100, deadline=None)
@given(many=st.lists(journeys(), min_size=1, max_size=10), amount=AMOUNTS, data=st.data())
def test_the_exact_path_alone_agrees_with_rules(
    many: list[Journey], amount: int, data: st.DataObject
) -> None:
    # The decimal path normally runs only where floats are in doubt; run it on everything.
    model = data.draw(st.sampled_from(sorted(MODELS)))
    width = max(len(j.touches) for j in many)
    shares = np.zeros((width, len(many)))
    for column, journey in enumerate(many):
        shares[: len(journey.touches), column] = weights(model, journey)
    lengths = np.array([len(j.touches) for j in many], np.int64)
    cents = np.full(len(many), amount, np.int64)
    out = credit_module._exact_credit(shares, cents, lengths)
    for column, journey in enumerate(many):
        n = len(journey.touches)
        assert out[:n, column].tolist() == rules_cents(amount, shares[:n, column].tolist())


def test_a_decimal_tie_the_floats_break_goes_to_the_earlier_touch() -> None:
    # W-shaped, lead 1, opportunity 3: 30 % on touches 0, 1, 3 and 5 % on 2 and 4. Of $10.04,
    # each part is x.2 cents in decimal, so the one cent left goes to touch 0; in float64 the
    # 5 % parts come out a hair larger and would take it.
    touches = tuple(Touch(c, i * DAY) for i, c in enumerate(["a", "b", "c", "d", "e"]))
    journey = Journey(touches, 5 * DAY, lead_index=1, opportunity_index=3)
    batch = JourneyBatch.from_journeys([journey])
    shares = batch_weights("w_shaped", batch)
    floats = shares * 1004
    assert np.argmax(floats - np.floor(floats)) == 2
    assert batch_credit([1004], batch, shares).tolist() == [302, 301, 50, 301, 50]
    assert rules_cents(1004, weights("w_shaped", journey)) == [302, 301, 50, 301, 50]


@settings(max_examples=100, deadline=None)
@given(
    shares=st.lists(
        st.one_of(st.floats(0, 3), st.sampled_from([0.0, 0.1, 0.25, 1 / 3, 0.3, 1.0, 2.5])),
        min_size=1,
        max_size=12,
    ),
    amount=AMOUNTS,
)
def test_any_shares_are_split_as_rules_splits_them(shares: list[float], amount: int) -> None:
    # rules.credit takes shares that need not sum to 1; the batch follows it there too.
    offsets = np.array([0, len(shares)])
    assert batch_credit([amount], offsets, shares).tolist() == rules_cents(amount, shares)


@pytest.mark.parametrize("amount", [10**13 + 1, 10**15 + 7, 2**52 + 3])
def test_amounts_beyond_the_float_and_decimal_ranges_still_agree(amount: int) -> None:
    journey = Journey(tuple(Touch(c, 0.0) for c in ["a", "b", "c"]), 0.0, lead_index=1)
    batch = JourneyBatch.from_journeys([journey])
    for model in MODELS:
        shares = batch_weights(model, batch)
        assert batch_credit([amount], batch, shares).tolist() == rules_cents(
            amount, shares.tolist()
        )


@settings(max_examples=100, deadline=None)
@given(many=st.lists(journeys(), min_size=1, max_size=30), amount=AMOUNTS)
def test_credit_is_conserved_per_journey(many: list[Journey], amount: int) -> None:
    batch = JourneyBatch.from_journeys(many)
    amounts = np.full(len(many), amount, np.int64)
    for model in MODELS:
        parts = batch_credit(amounts, batch.offsets, batch_weights(model, batch))
        assert (np.add.reduceat(parts, batch.offsets[:-1]) == amounts).all()
        assert (parts >= 0).all()


@given(channel=CHANNELS, amount=AMOUNTS)
def test_a_single_touch_gets_everything_under_every_model(channel: str, amount: int) -> None:
    batch = JourneyBatch.from_journeys([Journey((Touch(channel, 5.0),), 5.0)] * 3)
    for model in MODELS:
        shares = batch_weights(model, batch)
        assert shares.tolist() == [1.0, 1.0, 1.0]
        assert batch_credit([amount] * 3, batch, shares).tolist() == [amount] * 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=30))
def test_column_sums_are_pythons_sums(values: list[float]) -> None:
    column = np.array(values)[:, None]
    assert batch_layout.python_sum(column)[0] == sum(values)


def test_channel_totals_add_up_each_channels_credit() -> None:
    first = Journey((Touch("email", 0.0), Touch("direct", DAY), Touch("email", 2 * DAY)), 0.0)
    second = Journey((Touch("webinar", 0.0),), 0.0)
    batch = JourneyBatch.from_journeys([first, second])
    cents = batch_credit([1000, 333], batch, batch_weights("linear", batch))
    assert cents.tolist() == [334, 333, 333, 333]
    totals = dict(zip(batch.channels, channel_totals(cents, batch).tolist(), strict=True))
    assert totals == {"direct": 333, "email": 667, "webinar": 333}


FIVE = JourneyBatch.from_journeys(
    [Journey(tuple(Touch("email", i * DAY) for i in range(5)), 5 * DAY, lead_index=1)]
)


def _batch(**change: object) -> JourneyBatch:
    fields = {
        "offsets": [0, 2],
        "channel": [0, 1],
        "at": [0.0, DAY],
        "lead_index": [-1],
        "opportunity_index": [-1],
        "channels": ("direct", "email"),
        "direct_code": 0,
    }
    fields.update(change)
    return JourneyBatch(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: JourneyBatch.from_journeys([Journey((), 0.0)]), "without touches"),
        (
            lambda: _batch(offsets=[0, 0, 2], lead_index=[-1, -1], opportunity_index=[-1, -1]),
            "journey 0: a journey without touches",
        ),
        (lambda: batch_weights("made_up", FIVE), "unknown model 'made_up'"),
        (lambda: batch_weights("time_decay", FIVE, half_life_days=0), "half-life must be more"),
        (lambda: batch_weights("linear", FIVE, half_life_days=-1.0), "not -1.0"),
        (lambda: _batch(lead_index=[2]), "lead_index 2 is not a touch of a 2-touch journey"),
        (lambda: _batch(opportunity_index=[-2]), "opportunity_index -2"),
        (lambda: _batch(at=[DAY, 0.0]), "in time order"),
        (lambda: _batch(channel=[0, 2]), "channel codes"),
        (lambda: _batch(direct_code=-1), "direct_code must be 0"),
        (lambda: _batch(at=[0.0]), "at needs 2 entries"),
        (lambda: batch_credit([-100], FIVE, np.full(5, 0.2)), "cannot be negative"),
        (lambda: batch_credit([100, 100], FIVE, np.full(5, 0.2)), "one whole number of cents"),
        (lambda: batch_credit([1.5], FIVE, np.full(5, 0.2)), "one whole number of cents"),
        (lambda: batch_credit([100], FIVE, np.full(4, 0.25)), "one entry per touch"),
        (lambda: batch_credit([100], FIVE, np.full(5, np.nan)), "finite and not negative"),
    ],
)
def test_bad_input_is_refused_clearly(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
