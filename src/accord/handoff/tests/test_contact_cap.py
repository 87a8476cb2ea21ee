"""The buyer's contact cap against a brute-force count of every window."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.handoff.contact_cap import ContactCap

T0 = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_six_calls_in_a_day_are_not_allowed_with_a_cap_of_three() -> None:
    cap = ContactCap(limit=3, window=dt.timedelta(hours=24))
    touches = [T0, T0 + HOUR, T0 + 2 * HOUR]
    assert cap.touches_in_window(touches, T0 + 3 * HOUR) == 3
    assert cap.next_allowed(touches, T0 + 3 * HOUR) == T0 + 24 * HOUR
    assert cap.next_allowed(touches[:2], T0 + 3 * HOUR) == T0 + 3 * HOUR


def test_bad_caps_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ContactCap(limit=0, window=HOUR)
    with pytest.raises(ValueError, match="longer than zero"):
        ContactCap(limit=1, window=dt.timedelta(0))


def _brute_count(touches: list[dt.datetime], at: dt.datetime, window: dt.timedelta) -> int:
    return sum(1 for t in touches if at - window < t <= at)


@given(
    st.lists(st.integers(0, 200), max_size=15),
    st.integers(1, 4),
    st.integers(1, 48),
    st.integers(0, 250),
)
def test_next_allowed_is_the_first_moment_within_the_cap(
    offsets: list[int], limit: int, window_hours: int, at_offset: int
) -> None:
    cap = ContactCap(limit=limit, window=window_hours * HOUR)
    touches = sorted(T0 + k * HOUR for k in offsets)
    at = T0 + at_offset * HOUR
    allowed = cap.next_allowed(touches, at)
    past = [t for t in touches if t <= at]
    assert allowed >= at
    assert _brute_count(past, allowed, cap.window) < limit  # room for one more
    # …and no earlier whole hour from `at` would have had room.
    moment = at
    while moment < allowed:
        assert _brute_count(past, moment, cap.window) >= limit
        moment += HOUR


def test_a_backdated_touch_counts_in_the_windows_after_it() -> None:
    # Six calls from 12:00 to 17:00; one backdated to 10:00 is the seventh in the window
    # (10:00 - 24 h, 17:00] although the window ending at 10:00 holds nothing else.
    cap = ContactCap(limit=6, window=dt.timedelta(hours=24))
    touches = [T0 + (3 + k) * HOUR for k in range(6)]
    backdated = T0 + HOUR
    assert cap.touches_in_window(touches, backdated) == 0
    assert cap.peak_with(touches, backdated) == 6
    # A window holding the new touch ends before backdated + 24 h: a touch then is not in one.
    assert cap.peak_with([backdated + 24 * HOUR], backdated) == 0
    assert cap.peak_with([backdated + 23 * HOUR], backdated) == 1


@given(
    st.lists(st.integers(0, 200), max_size=15),
    st.integers(1, 48),
    st.integers(0, 250),
)
def test_peak_with_is_the_fullest_window_holding_the_touch(
    offsets: list[int], window_hours: int, at_offset: int
) -> None:
    """Brute force: every window (end - W, end] holding `at`, ends on a half-hour grid (the
    touches fall on whole hours, so every distinct window is among them)."""
    cap = ContactCap(limit=1, window=window_hours * HOUR)
    touches = sorted(T0 + k * HOUR for k in offsets)
    at = T0 + at_offset * HOUR
    ends = [at + k * HOUR / 2 for k in range(2 * window_hours)]
    expected = max(_brute_count(touches, end, cap.window) for end in ends)
    assert cap.peak_with(touches, at) == expected
