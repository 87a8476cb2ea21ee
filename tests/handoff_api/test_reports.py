"""The SLA report and the dispositions over the API."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.handoff.tests.factories import activate_sla
from tests.handoff_api.conftest import Floor

pytestmark = pytest.mark.django_db(transaction=True)


def test_sla_report_and_dispositions(floor: Floor) -> None:
    activate_sla(floor.floor, in_force_since=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    floor.route_to_rep()
    first = floor.lead("one@example.org", original_source="webinar")
    second = floor.lead("two@example.org", original_source="webinar")
    floor.lead("three@example.org", original_source="paid_search")
    assert floor.rep.post(f"/handoffs/{first.pk}/accept", {}).status == 200
    rejected = floor.rep.post(
        f"/handoffs/{second.pk}/reject", {"reason": "no_budget", "comment": "next year"}
    )
    assert rejected.status == 200

    report = floor.marketer.get("/handoffs/sla-report")
    assert report.status == 200
    body = report.body
    assert (body["agreement_version"], body["first_touch_hours"]) == (1, 4.0)
    everyone = body["first_touch"][-1]
    # Accepted and rejected before the first-touch deadline: both count as met (a decision
    # is a response); the third lead's clock is still running.
    assert (everyone["owner"], everyone["handed_over"], everyone["due"], everyone["met"]) == (
        "Everyone", 3, 1, 2
    )  # fmt: skip
    compliance = everyone["compliance"]
    assert (compliance["successes"], compliance["n"], compliance["value"]) == (2, 2, 1.0)
    # Wilson's 95 % interval for 2 of 2: (1 + z²/4 - z·√(z²/16)) / (1 + z²/2) = 1 / (1 + z²/2).
    z = 1.959963984540054
    assert compliance["low"] == pytest.approx(1 / (1 + z * z / 2), abs=1e-4)
    assert compliance["high"] == 1.0
    assert [v["target"] for v in body["volume"]][-1] == 200
    assert body["volume"][-1]["mqls"] == 3

    by_source = floor.marketer.get("/handoffs/dispositions?by=source")
    assert by_source.status == 200
    rows = {r["key"]: r for r in by_source.body}
    assert (rows["webinar"]["accepted"], rows["webinar"]["rejected"]) == (1, 1)
    assert rows["webinar"]["reasons"] == {"No budget": 1}
    assert rows["webinar"]["acceptance"]["value"] == 0.5
    assert (rows["paid_search"]["open"], rows["paid_search"]["label"]) == (1, "Paid search")


def test_bad_report_parameters_are_400(floor: Floor) -> None:
    bad = floor.marketer.get("/handoffs/dispositions?by=colour")
    assert bad.status == 400
    backwards = floor.marketer.get(
        "/handoffs/sla-report?start=2026-05-01T00:00:00Z&end=2026-04-01T00:00:00Z"
    )
    assert (backwards.status, backwards.fields) == (400, {"start": ["start must be before end."]})
