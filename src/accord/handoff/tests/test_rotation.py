"""Weighted rotation: shares follow the weights without bursts, unavailable people are skipped
without building a backlog, and nobody available means the fallback queue."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.handoff.rotation import Candidate, RotationState, next_owner

DAY = dt.date(2026, 11, 23)


def test_equal_weights_take_turns() -> None:
    state = RotationState()
    people = [Candidate(1), Candidate(2), Candidate(3)]
    assert [next_owner(people, state, DAY) for _ in range(6)] == [1, 2, 3, 1, 2, 3]


def test_weights_two_to_one_are_smooth() -> None:
    state = RotationState()
    people = [Candidate(1, weight=2), Candidate(2, weight=1)]
    assert [next_owner(people, state, DAY) for _ in range(6)] == [1, 2, 1, 1, 2, 1]


def test_away_and_full_people_are_skipped_without_a_backlog() -> None:
    state = RotationState()
    away = Candidate(2, away=[(DAY, DAY + dt.timedelta(days=6))])
    full = Candidate(3, capacity=5, open_handoffs=5)
    people = [Candidate(1), away, full]
    assert [next_owner(people, state, DAY) for _ in range(3)] == [1, 1, 1]
    back = [Candidate(1), Candidate(2), Candidate(3, capacity=5, open_handoffs=4)]
    later = DAY + dt.timedelta(days=7)
    # Back from leave: one turn each, not a burst for the returning people.
    assert sorted(next_owner(back, state, later) for _ in range(3)) == [1, 2, 3]


def test_nobody_available_goes_to_the_fallback_queue() -> None:
    people = [Candidate(1, weight=0), Candidate(2, capacity=0)]
    assert next_owner(people, RotationState(), DAY) is None
    assert next_owner([], RotationState(), DAY) is None


def test_state_survives_a_round_trip() -> None:
    state = RotationState()
    people = [Candidate(7, weight=3), Candidate(9)]
    next_owner(people, state, DAY)
    restored = RotationState.from_json(state.to_json())
    assert restored == state
    assert next_owner(people, restored, DAY) == next_owner(people, state, DAY)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=6), st.integers(1, 12))
def test_shares_follow_weights_closely(weights: list[int], rounds: int) -> None:
    people = [Candidate(i + 1, weight=w) for i, w in enumerate(weights)]
    state = RotationState()
    total = sum(weights)
    counts = Counter(next_owner(people, state, DAY) for _ in range(total * rounds))
    for person in people:
        assert counts[person.user_id] == person.weight * rounds  # exact after whole cycles
    # …and at every prefix no one is far from their share: at most 1.06 leads over every team
    # of up to six with weights 1-5 (checked exhaustively when this was written).
    state, seen = RotationState(), Counter[int]()
    for n in range(1, total * 2 + 1):
        seen[next_owner(people, state, DAY) or 0] += 1
        for person in people:
            assert abs(seen[person.user_id] - n * person.weight / total) < 1.5
