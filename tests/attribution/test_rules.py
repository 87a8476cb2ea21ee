"""Rule-based attribution: each model's shares on hand-made journeys, and the properties every
model keeps — credit conserved to the cent, everything to the only touch of a one-touch journey,
no negative credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.attribution.rules import MODELS, Journey, Touch, attribute, credit, weights

DAY = 86_400.0


def journey(*channels: str, lead: int | None = None, opportunity: int | None = None) -> Journey:
    touches = tuple(Touch(c, i * DAY) for i, c in enumerate(channels))
    return Journey(touches, milestone_at=len(channels) * DAY, lead_index=lead,
                   opportunity_index=opportunity)  # fmt: skip


FIVE = journey("webinar", "email", "direct", "paid_search", "direct", lead=1, opportunity=3)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", [1, 0, 0, 0, 0]),
        ("last_touch", [0, 0, 0, 0, 1]),
        ("last_non_direct", [0, 0, 0, 1, 0]),
        ("linear", [0.2] * 5),
        # 40 first, 40 on the lead-creation touch, 20 over the three others.
        ("u_shaped", [0.4, 0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3]),
        # 30 first, 30 lead, 30 opportunity, 10 over the two others.
        ("w_shaped", [0.3, 0.3, 0.05, 0.3, 0.05]),
        # 22.5 on first, lead, opportunity and the last touch, 10 on the only other one.
        ("full_path", [0.225, 0.225, 0.1, 0.225, 0.225]),
        ("j_shaped", [0.2, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.6]),
        ("inverse_j", [0.6, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.2]),
    ],
)
def test_each_models_shares_on_a_five_touch_journey(model: str, expected: list[float]) -> None:
    assert weights(model, FIVE) == pytest.approx(expected)


def test_time_decay_halves_a_touch_every_half_life() -> None:
    # Touches 0, 7 and 14 days before the last: weights 1/4, 1/2, 1 (normalised).
    j = Journey((Touch("a", 0.0), Touch("b", 7 * DAY), Touch("c", 14 * DAY)), 14 * DAY)
    assert weights("time_decay", j) == pytest.approx([0.25 / 1.75, 0.5 / 1.75, 1 / 1.75])
    assert MODELS["time_decay"](j, 14.0) == pytest.approx(  # type: ignore[call-arg]
        [2**-1 / (2**-1 + 2**-0.5 + 1), 2**-0.5 / (2**-1 + 2**-0.5 + 1), 1 / (2**-1 + 2**-0.5 + 1)]
    )


def test_coinciding_milestones_add_up_and_nothing_is_lost() -> None:
    # The first touch created the lead and the opportunity: 90 % there, 10 % over the others.
    j = journey("event", "email", "webinar", lead=0, opportunity=0)
    assert weights("w_shaped", j) == pytest.approx([0.9, 0.05, 0.05])
    # Two touches, both milestones (60 % and 30 %): the rest has nowhere to go and is shared
    # in proportion, 2 : 1.
    two = journey("event", "email", lead=0, opportunity=1)
    assert weights("w_shaped", two) == pytest.approx([2 / 3, 1 / 3])
    assert weights("u_shaped", journey("event", "email")) == pytest.approx([0.5, 0.5])
    assert weights("j_shaped", journey("event", "email")) == pytest.approx([0.25, 0.75])


def test_only_direct_touches_credit_the_last_one() -> None:
    assert weights("last_non_direct", journey("direct", "direct")) == [0.0, 1.0]


def test_credit_to_the_cent_by_largest_remainder() -> None:
    assert credit(Decimal("100.00"), [1 / 3] * 3) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33"),
    ]  # fmt: skip
    assert credit(Decimal("0.00"), [0.5, 0.5]) == [Decimal("0.00"), Decimal("0.00")]
    assert sum(attribute("w_shaped", FIVE, Decimal("12345.67"))) == Decimal("12345.67")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: weights("made_up", FIVE), "unknown model"),
        (lambda: weights("linear", Journey((), 0.0)), "without touches"),
        (lambda: credit(Decimal("-1.00"), [1.0]), "negative"),
        (lambda: credit(Decimal("1.005"), [1.0]), "whole cents"),
        (lambda: Journey((Touch("a", 1.0),), 1.0, lead_index=3), "lead_index 3"),
        (lambda: Journey((Touch("a", 5.0), Touch("b", 1.0)), 5.0), "time order"),
        (lambda: MODELS["time_decay"](FIVE, 0), "half-life"),  # type: ignore[call-arg]
    ],
)
def test_bad_input_is_refused_clearly(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


CHANNELS = st.sampled_from(["webinar", "email", "direct", "paid_search", "event"])


@st.composite
def journeys(draw: st.DrawFn) -> Journey:
    n = draw(st.integers(1, 40))
    gaps = draw(st.lists(st.floats(0, 30 * DAY), min_size=n, max_size=n))
    times, t = [], 0.0
    for gap in gaps:
        t += gap
        times.append(t)
    touches = tuple(Touch(draw(CHANNELS), at) for at in times)
    lead = draw(st.none() | st.integers(0, n - 1))
    opportunity = draw(st.none() | st.integers(0, n - 1))
    return Journey(touches, times[-1], lead, opportunity)


AMOUNTS = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(j=journeys(), amount=AMOUNTS, model=st.sampled_from(sorted(MODELS)))
def test_every_model_conserves_credit_to_the_cent(j: Journey, amount: Decimal, model: str) -> None:
    shares = weights(model, j)
    assert len(shares) == len(j.touches)
    assert all(s >= 0 for s in shares)
    assert sum(shares) == pytest.approx(1.0)
    parts = attribute(model, j, amount)
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)


@given(channel=CHANNELS, amount=AMOUNTS)
def test_all_models_agree_on_a_single_touch_journey(channel: str, amount: Decimal) -> None:
    j = Journey((Touch(channel, 0.0),), 0.0)
    for model in MODELS:
        assert attribute(model, j, amount) == [amount]
