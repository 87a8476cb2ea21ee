""" "The last N days" is one definition: whole UTC days, today included."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from accord.core.periods import last_days


def test_the_last_90_days_end_at_midnight_after_today() -> None:
    now = dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    # 23:30 at UTC-5 is 04:30 UTC on the 26th: the UTC day decides.
    start, end = last_days(90, now)
    assert end == dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    assert start == dt.datetime(2026, 8, 29, tzinfo=dt.UTC)


@given(
    st.integers(1, 3650),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1),
                 timezones=st.just(dt.UTC)),
)  # fmt: skip
def test_n_whole_days_with_now_inside_the_last(days: int, now: dt.datetime) -> None:
    start, end = last_days(days, now)
    assert end - start == dt.timedelta(days=days)
    assert start.time() == end.time() == dt.time() and start.tzinfo == dt.UTC
    assert end - dt.timedelta(days=1) <= now < end
