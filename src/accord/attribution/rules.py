"""Rule-based attribution: how a deal's amount is shared among the touches of its journey.

Each model gives every touch a weight (non-negative, summing to 1); `credit` turns the weights
into money to the cent with the largest-remainder method, so a deal's credits always sum to its
amount exactly. The models and what each assumes:

- **first touch** — the touch that brought the buyer in did all the work;
- **last touch** — the touch just before the milestone did all the work;
- **last non-direct touch** — as last touch, but a direct visit only gets credit when nothing
  else happened (it is the buyer coming back, not a campaign);
- **linear** — every touch counts the same;
- **U-shaped** — 40 % first touch, 40 % the lead-creation touch (the last touch when that is
  not known), 20 % over the rest;
- **W-shaped** — 30 % each on the first touch, the lead-creation touch and the
  opportunity-creation touch, 10 % over the rest;
- **full path** — 22.5 % each on first touch, lead creation, opportunity creation and close,
  10 % over the rest;
- **time decay** — a touch's weight halves every `half_life_days` (default 7) before the
  milestone: recent touches mattered more;
- **J-shaped** — 20 % first, 60 % last, 20 % over the middle: the close counts most;
- **inverse J** — 60 % first, 20 % last, 20 % over the middle: the introduction counts most.

Where milestone touches coincide (the first touch also created the lead), their shares add up.
A share that has no touch to go to (no middle touches) is spread over the milestone touches in
proportion to their shares, so nothing is lost. A journey of one touch gives it everything in
every model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Literal

DAY = 86_400.0
DIRECT = "direct"
CENT = Decimal("0.01")

Model = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "u_shaped", "w_shaped",
    "full_path", "time_decay", "j_shaped", "inverse_j",
]  # fmt: skip


@dataclass(frozen=True)
class Touch:
    channel: str
    at: float  # seconds since the epoch
    campaign: str = ""


@dataclass(frozen=True)
class Journey:
    """The touches before a milestone (opportunity creation, or close), oldest first, with the
    positions of the touches that created the lead and the opportunity (the last touch at or
    before each, when known)."""

    touches: tuple[Touch, ...]
    milestone_at: float  # when the opportunity was created, or the deal closed
    lead_index: int | None = None
    opportunity_index: int | None = None
    mql_index: int | None = None  # marked for people to read; no model weighs it

    def __post_init__(self) -> None:
        n = len(self.touches)
        for name in ("lead_index", "opportunity_index", "mql_index"):
            index = getattr(self, name)
            if index is not None and not 0 <= index < n:
                raise ValueError(f"{name} {index} is not a touch of a {n}-touch journey")
        if any(b.at < a.at for a, b in zip(self.touches, self.touches[1:], strict=False)):
            raise ValueError("a journey's touches must be in time order")


Weights = list[float]


def _positional(n: int, shares: dict[int, float], rest: float) -> Weights:
    """`shares` on given positions (adding up where positions coincide), `rest` spread over
    the other touches — or, when there are none, over the positions in proportion."""
    weights = [0.0] * n
    for index, share in shares.items():
        weights[index] += share
    others = [i for i in range(n) if i not in shares]
    if others:
        for i in others:
            weights[i] += rest / len(others)
    else:
        named = sum(shares.values())
        for index, share in shares.items():
            weights[index] += rest * share / named
    total = sum(weights)
    return [w / total for w in weights]


def _milestones(journey: Journey, spec: Sequence[tuple[str, float]]) -> dict[int, float]:
    n = len(journey.touches)
    at = {
        "first": 0,
        "last": n - 1,
        "lead": journey.lead_index if journey.lead_index is not None else 0,
        "opportunity": (
            journey.opportunity_index if journey.opportunity_index is not None else n - 1
        ),
    }
    shares: dict[int, float] = {}
    for name, share in spec:
        shares[at[name]] = shares.get(at[name], 0.0) + share
    return shares


def first_touch(journey: Journey) -> Weights:
    return _positional(len(journey.touches), {0: 1.0}, 0.0)


def last_touch(journey: Journey) -> Weights:
    n = len(journey.touches)
    return _positional(n, {n - 1: 1.0}, 0.0)


def last_non_direct(journey: Journey) -> Weights:
    n = len(journey.touches)
    chosen = next((i for i in range(n - 1, -1, -1) if journey.touches[i].channel != DIRECT), n - 1)
    return _positional(n, {chosen: 1.0}, 0.0)


def linear(journey: Journey) -> Weights:
    n = len(journey.touches)
    return [1.0 / n] * n


def u_shaped(journey: Journey) -> Weights:
    # The lead-creation touch, when known; else the last touch before the milestone.
    n = len(journey.touches)
    lead = journey.lead_index if journey.lead_index is not None else n - 1
    shares = {0: 0.4}
    shares[lead] = shares.get(lead, 0.0) + 0.4
    return _positional(n, shares, 0.2)


def w_shaped(journey: Journey) -> Weights:
    shares = _milestones(journey, (("first", 0.3), ("lead", 0.3), ("opportunity", 0.3)))
    return _positional(len(journey.touches), shares, 0.1)


def full_path(journey: Journey) -> Weights:
    spec = (("first", 0.225), ("lead", 0.225), ("opportunity", 0.225), ("last", 0.225))
    return _positional(len(journey.touches), _milestones(journey, spec), 0.1)


def j_shaped(journey: Journey) -> Weights:
    n = len(journey.touches)
    return _positional(n, _milestones(journey, (("first", 0.2), ("last", 0.6))), 0.2)


def inverse_j(journey: Journey) -> Weights:
    n = len(journey.touches)
    return _positional(n, _milestones(journey, (("first", 0.6), ("last", 0.2))), 0.2)


def time_decay(journey: Journey, half_life_days: float = 7.0) -> Weights:
    if half_life_days <= 0:
        raise ValueError(f"the half-life must be more than 0 days, not {half_life_days}")
    # Relative to the latest touch, so the weights never underflow however old the journey.
    latest = journey.touches[-1].at
    raw = [2.0 ** (-(latest - t.at) / (half_life_days * DAY)) for t in journey.touches]
    total = sum(raw)
    return [w / total for w in raw]


MODELS: dict[str, Callable[[Journey], Weights]] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "last_non_direct": last_non_direct,
    "linear": linear,
    "u_shaped": u_shaped,
    "w_shaped": w_shaped,
    "full_path": full_path,
    "time_decay": time_decay,
    "j_shaped": j_shaped,
    "inverse_j": inverse_j,
}


def weights(model: str, journey: Journey, *, half_life_days: float = 7.0) -> Weights:
    if model not in MODELS:
        raise ValueError(f"unknown model '{model}'; choose one of: {', '.join(MODELS)}")
    if not journey.touches:
        raise ValueError("a journey without touches has nothing to credit")
    if model == "time_decay":
        return time_decay(journey, half_life_days)
    return MODELS[model](journey)


def credit(amount: Decimal, shares: Sequence[float]) -> list[Decimal]:
    """`amount` split by `shares` to the cent, summing to `amount` exactly: each part rounded
    down, the cents left over given to the largest remainders (ties: the earlier touch)."""
    if not shares:
        raise ValueError("nothing to split the amount over")
    if amount < 0:
        raise ValueError(f"an amount to credit cannot be negative, not {amount}")
    total_cents = int((amount / CENT).to_integral_value())
    if Decimal(total_cents) * CENT != amount:
        raise ValueError(f"the amount {amount} is not in whole cents")
    exact = [Decimal(repr(s)) * total_cents for s in shares]
    floors = [int(x.to_integral_value(ROUND_DOWN)) for x in exact]
    left = total_cents - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(0, left)]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def attribute(
    model: str, journey: Journey, amount: Decimal, *, half_life_days: float = 7.0
) -> list[Decimal]:
    """The amount's credit per touch of the journey under `model`."""
    return credit(amount, weights(model, journey, half_life_days=half_life_days))
