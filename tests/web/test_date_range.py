"""Dates beyond the ones Accord reports on (before 1900, after 2999, or an offset that takes
9999-12-31 past the calendar's end in UTC) are refused or ignored like any bad date: the page
answers, never with a server error, and says what it ignored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accord.core.periods import FIRST_DAY, LAST_DAY, in_range
from tests.web.conftest import Records

pytestmark = pytest.mark.django_db

FAR = "9999-12-31T23:59:59-05:00"
EARLY = "0001-01-01T00:00:00+05:00"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("web:dashboard", {"start": "1000-01-01", "end": "2026-01-01"}),
        ("web:dashboard", {"start": "2026-01-01", "end": "9000-01-01"}),
        ("web:dashboard", {"start": "2026-01-01", "end": "9999-12-31", "by": "source"}),
        ("web:attribution_panel", {"start": "2026-01-01", "end": "9999-12-31"}),
        ("web:attribution", {"start": "0001-01-01", "end": "9999-12-31"}),
        ("web:enablement_report", {"start": "2026-01-01", "end": "9999-12-31"}),
        ("web:contacts", {"created_before": FAR}),
        ("web:contacts", {"created_after": EARLY}),
        ("web:contacts", {"moved_to": "mql", "moved_after": EARLY, "moved_before": FAR}),
        ("web:deals", {"closed_before": FAR}),
        ("web:audit", {"since": "0001-01-01", "until": "9999-12-31"}),
    ],
)
def test_dates_out_of_range_never_fail_a_page(
    admin_client: Client, records: Records, name: str, params: dict[str, str]
) -> None:
    response = admin_client.get(reverse(name), params)
    # 400: the dashboard's fallback start lies after the end asked for, and it says so.
    assert response.status_code in (200, 400), response.content[:500]


@pytest.mark.parametrize("name", ["web:contacts", "web:deals"])
def test_a_drill_down_bound_out_of_range_is_ignored_and_said(
    admin_client: Client, records: Records, name: str
) -> None:
    field = "created_before"
    response = admin_client.get(reverse(name), {field: FAR})
    assert "Ignored filter with an invalid value" in response.content.decode()


def test_the_export_of_a_list_refuses_a_bound_out_of_range(
    admin_client: Client, records: Records
) -> None:
    response = admin_client.get(
        reverse("exports:list", args=["contacts"]), {"format": "csv", "created_before": FAR}
    )
    assert response.status_code == 400
    assert "out of range: dates must lie between 1900-01-01 and 2999-12-31" in (
        response.content.decode()
    )


def test_the_range_edges() -> None:
    utc = dt.UTC
    assert in_range(FIRST_DAY) and in_range(LAST_DAY)
    assert not in_range(FIRST_DAY - dt.timedelta(days=1))
    assert not in_range(LAST_DAY + dt.timedelta(days=1))
    # An instant may be the end of the last day (a period's exclusive end), not later.
    end = dt.datetime(3000, 1, 1, tzinfo=utc)
    assert in_range(end) and not in_range(end + dt.timedelta(microseconds=1))
    # Offsets are read in UTC: 1900-01-01 00:30+01:00 is still 1899 in UTC.
    assert not in_range(dt.datetime(1900, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert in_range(dt.datetime(1900, 1, 1, tzinfo=utc))
    assert not in_range(dt.datetime.fromisoformat(FAR))
    assert not in_range(dt.datetime.fromisoformat(EARLY))
