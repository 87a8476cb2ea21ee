"""The SLA report's volume periods: a report ending just after midnight keeps that day's month."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.handoff.reports import sla_report
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor

pytestmark = pytest.mark.django_db(transaction=True)

UTC = dt.UTC


def test_a_report_ending_on_the_first_of_a_month_counts_that_month(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=UTC), tick=False):
        make_mql(floor, "november@example.org")
    with time_machine.travel(dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC), tick=False):
        make_mql(floor, "december@example.org")
    now = dt.datetime(2026, 12, 1, 0, 10, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        report = sla_report(workspace, now - dt.timedelta(days=30), now)
    assert [(row.period, row.mqls) for row in report.volume] == [("2026-11", 1), ("2026-12", 1)]
    december = report.volume[-1]
    assert december.expected_by_now is not None and december.expected_by_now > 0


def test_periods_are_utc_days_whatever_the_zone_of_the_bounds(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    with time_machine.travel(dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC), tick=False):
        make_mql(floor, "december@example.org")
    # 2026-11-30 20:00 in New York is 2026-12-01 01:00 UTC: the December MQL is in range.
    new_york = dt.timezone(dt.timedelta(hours=-5))
    start = dt.datetime(2026, 11, 1, tzinfo=UTC)
    end = dt.datetime(2026, 11, 30, 20, tzinfo=new_york)
    report = sla_report(workspace, start, end)
    assert [(row.period, row.mqls) for row in report.volume] == [("2026-11", 0), ("2026-12", 1)]


def test_a_report_ending_exactly_at_midnight_stops_before_that_day(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    start = dt.datetime(2026, 11, 1, tzinfo=UTC)
    report = sla_report(workspace, start, dt.datetime(2026, 12, 1, tzinfo=UTC))
    assert [row.period for row in report.volume] == ["2026-11"]
