"""The SLA report's volume periods: a report ending just after midnight keeps that day's month."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.handoff.reports import sla_report
from accord.handoff.tests.factories import (
    ALWAYS_OPEN,
    activate_sla,
    make_mql,
    sales_floor,
    sla_document,
)

pytestmark = pytest.mark.django_db(transaction=True)

UTC = dt.UTC
IN_FORCE = dt.datetime(2026, 10, 1, tzinfo=UTC)  # the SLA is active before every period here


def test_a_report_ending_on_the_first_of_a_month_counts_that_month(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    with time_machine.travel(IN_FORCE, tick=False):
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
    with time_machine.travel(IN_FORCE, tick=False):
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
    with time_machine.travel(IN_FORCE, tick=False):
        activate_sla(floor)
    start = dt.datetime(2026, 11, 1, tzinfo=UTC)
    report = sla_report(workspace, start, dt.datetime(2026, 12, 1, tzinfo=UTC))
    assert [row.period for row in report.volume] == ["2026-11"]


def test_volume_is_owed_from_when_the_sla_came_into_force(workspace) -> None:  # type: ignore[no-untyped-def]
    """Months before any agreement are not judged; the month it began in counts from then,
    against the target prorated to what was left of the month."""
    floor = sales_floor(workspace, sellers=1)
    with time_machine.travel(dt.datetime(2026, 11, 20, tzinfo=UTC), tick=False):
        make_mql(floor, "before@example.org")  # before the SLA: not owed, not counted
    with time_machine.travel(dt.datetime(2026, 11, 21, tzinfo=UTC), tick=False):
        activate_sla(floor, sla_document(calendars={"default": ALWAYS_OPEN},
                                          marketing={"targets": [{"mqls": 120}]}))  # fmt: skip
    target = 120
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=UTC), tick=False):
        make_mql(floor, "after@example.org")
    now = dt.datetime(2026, 11, 26, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        report = sla_report(workspace, dt.datetime(2026, 8, 1, tzinfo=UTC), now)
    (november,) = report.volume  # August to October are before the SLA
    assert november.period == "2026-11"
    assert november.in_force_from == dt.datetime(2026, 11, 21, tzinfo=UTC)
    assert november.mqls == 1
    assert november.target == round(target * 10 / 30)  # 21 to 30 November: 10 of 30 days
    assert november.expected_by_now == pytest.approx(target * 10 / 30 * 5 / 10)


def test_the_cli_report_says_touch_and_contact_in_the_singular(workspace) -> None:  # type: ignore[no-untyped-def]
    import io

    from django.core.management import call_command

    from accord.crm.services.activities import activity_create
    from accord.handoff.models import ContactCapViolation

    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(buyer={"max_touches": 1, "window_hours": 24}))
    contact = make_mql(floor, "one-over@example.org")
    rep = floor.actor(floor.sellers[0])
    call = {"kind": "call", "contact_id": contact.pk}
    activity_create(actor=rep, values=call)
    activity_create(actor=rep, values=call, confirmed=["contact_cap"])
    assert ContactCapViolation.objects.for_workspace(workspace).count() == 1
    out = io.StringIO()
    call_command("sla", "report", "--workspace", workspace.slug, stdout=out)
    assert "Buyer: 1 touch over the cap on 1 contact." in out.getvalue()
