"""Inputs found to fail with a server error in a review of the API, each now a clear 400 that
writes nothing: NaN and Infinity in JSON, nesting deeper than the encoder goes, an upload
without its multipart boundary, ids larger than a database column, a time zone name longer than
a file name, and dates beyond those Accord reports on in the report endpoints (whose default
periods reach back from the end, which overflowed near year 1); and a cap on the SLA report's
period."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accord.crm.models import Activity, Contact
from accord.marketing.calendar_models import CalendarEntry
from tests.api.conftest import BASE, Api

pytestmark = pytest.mark.django_db

HUGE = 2**63  # one past the largest id a column holds


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_malformed_json(api: Api, workspace: Any, constant: str) -> None:
    raw = '{"email": "nan@x.example", "custom_fields": {"a": ' + constant + "}}"
    reply = api.post("/contacts", raw=raw)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "malformed_json"
    assert f"{constant} is not a JSON number" in reply.error["message"]
    assert not Contact.objects.for_workspace(workspace).exists()


def test_nesting_the_encoder_cannot_follow_is_400(api: Api, workspace: Any) -> None:
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    contact = api.post("/contacts", {"email": "deep@x.example"}).body
    raw = f'{{"kind": "call", "contact_id": {contact["id"]}, "custom_fields": {deep}}}'
    reply = api.post("/activities", raw=raw)
    assert reply.status == 400, reply.body
    assert reply.error["code"] in ("malformed_json", "validation_error")
    assert not Activity.objects.for_workspace(workspace).exists()


@pytest.mark.parametrize("path", ["/imports", "/imports/preview", "/assets/upload"])
def test_an_upload_without_its_boundary_is_400(api: Api, path: str) -> None:
    client = Client()
    response = client.post(
        f"{BASE}{path}", data="x", content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api.token}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "malformed_upload"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/calendar", {"title": "t", "kind": "webinar", "start_date": "2026-12-01",
                       "owner_id": HUGE}),
        ("/campaigns", {"name": "c", "channel": "webinar", "owner_id": HUGE}),
    ],
)  # fmt: skip
def test_ids_beyond_a_column_are_400_not_overflow(
    api: Api, workspace: Any, path: str, body: dict[str, Any]
) -> None:
    reply = api.post(path, body)
    assert reply.status == 400, reply.body
    assert "owner_id" in reply.fields
    assert not CalendarEntry.objects.for_workspace(workspace).exists()


def test_a_time_zone_name_longer_than_a_file_name_is_400(api: Api) -> None:
    reply = api.call("PUT", "/meetings/cadence", {"time_zone": "x" * 300})
    assert reply.status == 400, reply.body
    assert "time_zone" in reply.fields


@pytest.mark.parametrize(
    "path", ["/handoffs/sla-report", "/handoffs/dispositions", "/metrics/funnel",
             "/metrics/leads", "/enablement/report", "/alignment/index"],
)  # fmt: skip
def test_report_dates_out_of_range_are_400(api: Api, path: str) -> None:
    for params in ({"end": "0001-01-01T00:00:00+14:00"}, {"start": "0100-01-01T00:00:00Z"},
                   {"end": "9999-12-31T23:59:59-05:00"}):  # fmt: skip
        query = {k: v[:10] for k, v in params.items()} if path == "/enablement/report" else params
        reply = api.get(path, **query)
        assert reply.status == 400, (path, query, reply.body)
        (field,) = reply.fields
        assert field in ("start", "end")
        assert "dates must lie between 1900-01-01 and 2999-12-31" in reply.fields[field][0]


def test_the_sla_report_covers_three_years_at_most(api: Api) -> None:
    long = api.get("/handoffs/sla-report", start="2020-01-01T00:00:00Z", end="2026-01-01T00:00:00Z")
    assert long.status == 400
    assert long.fields == {"start": ["The period is at most 1096 days."]}
    assert api.get("/handoffs/sla-report", start="2024-01-01T00:00:00Z",
                   end="2026-01-01T00:00:00Z").status == 200  # fmt: skip


@pytest.mark.parametrize("limit", [0, -5, 501])
def test_the_meeting_list_limit_is_checked(api: Api, limit: int) -> None:
    reply = api.get("/meetings", limit=limit)
    assert reply.status == 400
    assert list(reply.fields) == ["limit"]


def test_setting_a_goal_says_whether_it_created_it(api: Api) -> None:
    body = {"period": "month", "period_start": "2026-12-01", "revenue": "1000"}
    assert api.post("/goals", body).status == 201
    again = api.post("/goals", {**body, "revenue": "2000"})
    assert (again.status, again.body["revenue"]) == (200, "2000.00")


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/exports/contacts", "owner_id", str(HUGE)),
        ("/exports/deals", "company_id", str(HUGE)),
        ("/exports/activities", "contact_id", "-1"),
        ("/exports/companies", "min_employees", str(HUGE)),
        ("/exports/contacts", "q", "a\x00b"),
    ],
)
def test_export_filters_beyond_a_column_are_400(
    api: Api, workspace: Any, path: str, name: str, value: str
) -> None:
    reply = api.get(path, format="csv", **{name: value})
    assert reply.status == 400, reply.body
    assert name in reply.fields


def test_a_list_page_ignores_an_id_beyond_a_column(admin: Any) -> None:
    client = Client()
    client.force_login(admin.user)
    for path in ("/deals/", "/contacts/"):
        response = client.get(path, {"company": str(HUGE)})
        assert response.status_code == 200, path
