"""The API's default report window is the web page's and the CLI's: the last 90 whole UTC days,
today included (`core.periods.last_days`), not a rolling 90 days of 24 hours back from now."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.core.periods import last_days
from accord.handoff.models import Handoff
from accord.handoff.reports import sla_report
from accord.handoff.tests.factories import activate_sla
from tests.handoff_api.conftest import Floor, iso

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)


def test_the_default_window_is_the_last_90_whole_days(floor: Floor) -> None:
    activate_sla(floor.floor, in_force_since=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    floor.route_to_rep()
    # 27 Aug 20:00 is within 90 days of 24 hours of now, but before the 90 days 28 Aug to 25 Nov.
    with time_machine.travel(dt.datetime(2026, 8, 27, 20, tzinfo=dt.UTC), tick=False):
        floor.lead("rolling-only@example.org")
    with time_machine.travel(dt.datetime(2026, 8, 28, 1, tzinfo=dt.UTC), tick=False):
        floor.lead("inside@example.org")
    assert Handoff.objects.for_workspace(floor.workspace).count() == 2
    start, end = last_days(90, NOW)
    assert (start, end) == (
        dt.datetime(2026, 8, 28, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    )
    with time_machine.travel(NOW, tick=False):
        body = floor.marketer.get("/handoffs/sla-report").body
        web = sla_report(floor.workspace, *last_days(90))
        dispositions = floor.marketer.get("/handoffs/dispositions", by="owner").body
    assert (body["start"], body["end"]) == (iso(start), iso(end))
    assert body["first_touch"][-1]["handed_over"] == web.first_touch[-1].handed_over == 1
    assert sum(row["handed_over"] for row in dispositions) == 1
    # An explicit end keeps the 90 days before it.
    with time_machine.travel(NOW, tick=False):
        ending = floor.marketer.get("/handoffs/sla-report", end="2026-11-01T00:00:00Z").body
    assert ending["start"] == iso(dt.datetime(2026, 8, 3, tzinfo=dt.UTC))
