"""The buyer's side of the SLA: at most `limit` touches of one contact in any rolling window,
sales activities and marketing sends counted together. Pure Python, no Django."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ContactCap:
    limit: int  # touches allowed …
    window: dt.timedelta  # … in any window of this length

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("the cap allows at least one touch")
        if self.window <= dt.timedelta(0):
            raise ValueError("the window must be longer than zero")

    def touches_in_window(self, touches: Sequence[dt.datetime], at: dt.datetime) -> int:
        """Touches in (at - window, at]; `touches` sorted ascending."""
        low = bisect.bisect_right(touches, at - self.window)
        high = bisect.bisect_right(touches, at)
        return high - low

    def peak_with(self, touches: Sequence[dt.datetime], at: dt.datetime) -> int:
        """The most of `touches` (sorted ascending) in any one window that also holds a new
        touch at `at`: the windows ending from `at` up to `at + window`. A touch logged with an
        earlier time than others (backdated) may take a later window over the cap, not only
        the one ending at it. A window's count only grows when its end passes a touch, so the
        windows ending at `at` and at each later touch are the ones to check."""
        later = touches[
            bisect.bisect_right(touches, at) : bisect.bisect_left(touches, at + self.window)
        ]
        return max(self.touches_in_window(touches, end) for end in [at, *later])

    def next_allowed(self, touches: Sequence[dt.datetime], at: dt.datetime) -> dt.datetime:
        """The earliest moment from `at` on when one more touch stays within the cap, given the
        touches made up to `at` (sorted ascending): `at` itself, or the moment enough of them
        have left the window."""
        past = touches[: bisect.bisect_right(touches, at)]
        if self.touches_in_window(past, at) < self.limit:
            return at
        # The (limit)-th most recent touch must leave the window: then limit - 1 remain.
        return past[-self.limit] + self.window
