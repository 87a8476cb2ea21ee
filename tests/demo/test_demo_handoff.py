"""The demo's handoff: every past MQL handed over, and the SLA report's first-touch compliance
per rep agrees with the generator's follow-up parameters.

Independent check: rep r's first touch comes lognormal(0, sigma) x median_r wall-clock hours
after the MQL, capped. A handoff assigned at t with its business-hours due time d is met with
probability p = Phi(ln(hours(d - t) / median_r) / sigma) (1 when the cap is within reach). The
expected number met is the sum of p over the rep's handoffs, with variance sum p(1 - p); the
report's count must lie within 4 standard deviations.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db.models import Count
from scipy.stats import norm

from accord.crm.models import LedgerEntry
from accord.demo.parameters import DEFAULT_PARAMETERS as P
from accord.handoff.models import Handoff, HandoffStatus, SlaAgreement
from accord.handoff.reports import sla_report
from accord.identity.models import User

SEED = 7
CONTACTS = 6_000
pytestmark = pytest.mark.django_db


def test_every_past_mql_was_handed_over(demo) -> None:  # type: ignore[no-untyped-def]
    ws = demo.dataset.workspace
    mqls = LedgerEntry.objects.for_workspace(ws).filter(to_stage="mql").count()
    handoffs = Handoff.objects.for_workspace(ws)
    assert handoffs.count() == mqls > 500
    assert SlaAgreement.objects.for_workspace(ws).get().status == "active"
    # Decisions follow the ledger: accepted = transitions MQL -> SAL.
    sal = LedgerEntry.objects.for_workspace(ws).filter(from_stage="mql", to_stage="sal").count()
    assert handoffs.filter(status=HandoffStatus.ACCEPTED).count() == sal
    rejected = dict(
        handoffs.filter(status=HandoffStatus.REJECTED)
        .values_list("reason__key")
        .annotate(n=Count("id"))
    )
    assert "other" not in rejected and set(rejected) <= {
        "not_icp", "no_budget", "student_competitor", "bad_data", "unresponsive",
    }  # fmt: skip


def test_first_touch_compliance_matches_the_reps_parameters(demo) -> None:  # type: ignore[no-untyped-def]
    ws = demo.dataset.workspace
    as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
    # Only handoffs whose first touch has certainly happened (the cap has passed).
    settled = as_of - dt.timedelta(hours=P.first_touch_max_hours + 1)
    start = as_of - dt.timedelta(days=400)
    report = sla_report(ws, start, settled)
    medians = {r.email: r.median_first_touch_hours for r in P.reps}
    emails = dict(User.objects.filter(email__in=medians).values_list("pk", "email"))
    handoffs = Handoff.objects.for_workspace(ws).filter(
        assigned_at__gte=start, assigned_at__lt=settled, owner_id__in=emails
    )
    expected: dict[int, tuple[float, float]] = {}
    for owner_id, assigned, due in handoffs.values_list(
        "owner_id", "assigned_at", "first_touch_due_at"
    ):
        hours = (due - assigned).total_seconds() / 3600
        median = medians[emails[owner_id]]
        p = (
            1.0
            if hours >= P.first_touch_max_hours
            else float(norm.cdf(math.log(hours / median) / P.first_touch_sigma))
        )
        mean, var = expected.get(owner_id, (0.0, 0.0))
        expected[owner_id] = (mean + p, var + p * (1 - p))
    checked = 0
    for row in report.first_touch:
        if row.owner_id not in expected:
            continue
        mean, var = expected[row.owner_id]
        assert row.due == 0  # every clock in the window has resolved
        assert abs(row.met - mean) <= 4 * math.sqrt(var) + 1, (row.owner, row.met, mean)
        checked += 1
    assert checked == len(P.reps)
    # The fastest rep is almost always on time, the slowest mostly late.
    by_email = {
        emails[r.owner_id]: r.compliance.value for r in report.first_touch if r.owner_id in emails
    }
    assert by_email["hannah.lee@northwind.example"] > 0.95
    assert by_email["nina.petrova@northwind.example"] < 0.5


def test_marketing_volume_counts_the_ledger(demo) -> None:  # type: ignore[no-untyped-def]
    ws = demo.dataset.workspace
    as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
    start = dt.datetime(as_of.year, as_of.month, 1, tzinfo=dt.UTC) - dt.timedelta(days=60)
    start = start.replace(day=1)
    report = sla_report(ws, start, as_of)
    for row in report.volume:
        year, month = map(int, row.period.split("-"))
        low = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        high = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
        assert (
            row.mqls
            == LedgerEntry.objects.for_workspace(ws)
            .filter(to_stage="mql", occurred_at__gte=low, occurred_at__lt=high)
            .count()
        )
        assert row.target > 0
