"""Logging a touch over the buyer's contact cap through the API: refused with 409 that says how
to confirm; confirmed with `confirm_contact_cap`, logged and recorded as a violation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from accord.crm.models import Activity
from accord.crm.tests.factories import ContactFactory
from accord.handoff.models import ContactCapViolation
from accord.handoff.tests.factories import ALWAYS_OPEN, activate_sla, sla_document
from tests.handoff_api.conftest import Floor

pytestmark = pytest.mark.django_db(transaction=True)

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_a_touch_over_the_cap_is_confirmed_through_the_api(floor: Floor) -> None:
    activate_sla(
        floor.floor,
        sla_document(
            buyer={"max_touches": 2, "window_hours": 24}, calendars={"default": ALWAYS_OPEN}
        ),
    )
    contact = ContactFactory(workspace=floor.workspace)
    calls = Activity.objects.for_workspace(floor.workspace).filter(contact=contact)

    def call(hours: float, **extra: Any) -> Any:
        at = (NOON + dt.timedelta(hours=hours)).isoformat()
        body = {"kind": "call", "contact_id": contact.pk, "occurred_at": at, **extra}
        return floor.rep.post("/activities", body)

    assert [call(0).status, call(1).status] == [201, 201]
    refused = call(2)
    assert refused.status == 409
    assert refused.body["error"]["code"] == "confirmation_required"
    assert refused.body["error"]["fields"] == {"confirm": ["contact_cap"]}
    assert refused.body["error"]["message"].endswith(
        'To confirm, send the request again with "confirm_contact_cap": true.'
    )
    assert calls.count() == 2
    # false is the default: still refused, nothing written.
    assert call(2, confirm_contact_cap=False).status == 409
    assert calls.count() == 2
    logged = call(2, confirm_contact_cap=True)
    assert logged.status == 201
    assert "confirm_contact_cap" not in logged.body
    violation = ContactCapViolation.objects.for_workspace(floor.workspace).get()
    assert (violation.activity_id, violation.touches, violation.limit, violation.user_id) == (
        logged.body["id"],
        3,
        2,
        floor.floor.sellers[0].user_id,
    )
    # Under the cap, confirming records nothing.
    other = ContactFactory(workspace=floor.workspace)
    body = {"kind": "call", "contact_id": other.pk, "confirm_contact_cap": True}
    assert floor.rep.post("/activities", body).status == 201
    assert ContactCapViolation.objects.for_workspace(floor.workspace).count() == 1


@pytest.mark.django_db
def test_the_openapi_document_shows_the_confirmation_field() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    field = document["components"]["schemas"]["ActivityIn"]["properties"]["confirm_contact_cap"]
    assert field["type"] == "boolean" and field["default"] is False
    assert "contact-cap violation" in field["description"]
