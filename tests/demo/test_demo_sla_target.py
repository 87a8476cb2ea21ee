"""The demo's SLA MQL target: the mean of exactly the six full calendar months before the demo's
end, +5 %, whatever the month and the time of day the demo ends at."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.crm.models import LedgerEntry
from accord.crm.tests.factories import ContactFactory
from accord.demo.handoff_setup import monthly_mql_target
from accord.identity.models import Workspace

pytestmark = pytest.mark.django_db


def mqls(workspace: Workspace, at: dt.datetime, n: int) -> None:
    contact = ContactFactory(workspace=workspace)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(workspace=workspace, contact=contact, from_stage="lead", to_stage="mql",
                    occurred_at=at + dt.timedelta(minutes=i), source="system")
        for i in range(n)
    )  # fmt: skip


@pytest.mark.parametrize(
    "as_of",
    [
        dt.datetime(2026, 8, 15, 10, tzinfo=dt.UTC),  # February to July: 181 days, under 183
        dt.datetime(2026, 8, 1, 6, tzinfo=dt.UTC),  # hours into the month
        dt.datetime(2026, 8, 31, 23, 59, tzinfo=dt.UTC),
    ],
)
def test_the_target_reads_the_six_full_months_before(
    workspace: Workspace, as_of: dt.datetime
) -> None:
    mqls(workspace, dt.datetime(2026, 1, 20, tzinfo=dt.UTC), 100)  # the seventh month back
    for month in range(2, 8):  # February to July
        mqls(workspace, dt.datetime(2026, month, 10, tzinfo=dt.UTC), 20)
    mqls(workspace, dt.datetime(2026, 8, 1, 5, tzinfo=dt.UTC), 7)  # as_of's own month
    assert monthly_mql_target(workspace, as_of) == 20  # 20 a month, +5 %, to the ten
