"""Choosing the next owner inside a team: weighted round-robin that skips people who are away
or at capacity. Pure Python, no Django; the caller stores the state between assignments.

Smooth weighted round-robin: every available member's credit grows by its weight, the member
with the most credit is chosen and pays back the total weight of the available members. After
each full cycle every member has had exactly its weight's share, and in between no one drifts
much more than a lead from it, without bursts (weights 2:1 give A, B, A, A, B, A … not A, A,
B). People who are unavailable neither earn nor pay, so returning from leave does not bring a
backlog of leads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    user_id: int
    weight: float = 1.0
    away: Sequence[tuple[dt.date, dt.date]] = ()  # inclusive out-of-office date ranges
    capacity: int | None = None  # most open handoffs at once; None = no limit
    open_handoffs: int = 0

    def available(self, on: dt.date) -> bool:
        if self.weight <= 0:
            return False
        if any(start <= on <= end for start, end in self.away):
            return False
        return self.capacity is None or self.open_handoffs < self.capacity


@dataclass
class RotationState:
    """Each member's accumulated credit (persisted per team between assignments)."""

    credit: dict[int, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, float] | None) -> RotationState:
        return cls({int(k): float(v) for k, v in (data or {}).items()})

    def to_json(self) -> dict[str, float]:
        return {str(k): v for k, v in sorted(self.credit.items())}


def next_owner(candidates: Sequence[Candidate], state: RotationState, on: dt.date) -> int | None:
    """The user to assign the next lead to, updating `state`; None when nobody is available
    (the caller sends the lead to the fallback queue and raises an alert)."""
    available = [c for c in candidates if c.available(on)]
    if not available:
        return None
    total = sum(c.weight for c in available)
    for c in available:
        state.credit[c.user_id] = state.credit.get(c.user_id, 0.0) + c.weight
    # Ties go to the lower user id, so the order is reproducible.
    chosen = max(available, key=lambda c: (state.credit[c.user_id], -c.user_id))
    state.credit[chosen.user_id] -= total
    return chosen.user_id
