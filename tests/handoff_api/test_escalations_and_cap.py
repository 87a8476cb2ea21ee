"""The escalation inbox over the API, and a contact's standing against the buyer's contact cap."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.crm.services.activities import activity_create
from accord.crm.tests.factories import ContactFactory
from accord.handoff.models import Escalation
from accord.handoff.tests.factories import ALWAYS_OPEN, activate_sla, sla_document
from tests.handoff_api.conftest import Floor, client, iso

pytestmark = pytest.mark.django_db(transaction=True)

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_the_fallback_alert_reaches_the_sales_managers_inbox(floor: Floor) -> None:
    handoff = floor.lead("queue@example.org")
    escalation = Escalation.objects.for_workspace(floor.workspace).get()
    inbox = floor.sales_manager.get("/handoffs/escalations")
    assert inbox.status == 200
    assert inbox.body == {
        "results": [
            {
                "id": escalation.pk,
                "handoff_id": handoff.pk,
                "contact_id": handoff.contact_id,
                "kind": "unassigned",
                "recipient_id": floor.floor.sales_manager.user_id,
                "message": "No seller was available for the new MQL queue@example.org: it waits "
                "in the fallback queue. Claim or assign it.",
                "created_at": iso(escalation.created_at),
                "delivered_at": iso(escalation.delivered_at),
                "emailed": escalation.emailed,
                "read_at": None,
            }
        ],
        "next_cursor": None,
    }
    assert floor.rep.get("/handoffs/escalations").body["results"] == []
    assert floor.sales_manager.get("/handoffs/escalations", kind="breach_owner").body == {
        "results": [],
        "next_cursor": None,
    }
    bad_kind = floor.sales_manager.get("/handoffs/escalations", kind="fire")
    assert (bad_kind.status, list(bad_kind.fields)) == (400, ["kind"])


def test_only_managers_and_admins_see_everyones(floor: Floor, member_factory: Any) -> None:
    floor.lead("queue@example.org")
    escalation = Escalation.objects.for_workspace(floor.workspace).get()
    for caller in (floor.rep, floor.marketer, client(member_factory("viewer"))):
        reply = caller.get("/handoffs/escalations", all="true")
        assert reply.status == 403
        assert reply.error["message"] == "Only managers and admins can see everyone's escalations."
    for caller in (floor.admin, floor.marketing_manager):
        reply = caller.get("/handoffs/escalations", all="true")
        assert [r["id"] for r in reply.body["results"]] == [escalation.pk]
        assert caller.get("/handoffs/escalations").body["results"] == []


def test_marking_read(floor: Floor, other_api: Any) -> None:
    floor.lead("queue@example.org")
    escalation = Escalation.objects.for_workspace(floor.workspace).get()
    path = f"/handoffs/escalations/{escalation.pk}/read"
    assert [
        r["id"]
        for r in floor.sales_manager.get("/handoffs/escalations", unread="true").body["results"]
    ] == [escalation.pk]

    refused = floor.admin.post(path)
    assert (refused.status, refused.error["message"]) == (
        403,
        "Only its recipient can mark an escalation read.",
    )
    foreign = other_api.post(path)
    assert (foreign.status, foreign.error["message"]) == (
        404,
        f"No escalation with id {escalation.pk} in this workspace.",
    )
    escalation.refresh_from_db()
    assert escalation.read_at is None

    read = floor.sales_manager.post(path)
    assert read.status == 200
    escalation.refresh_from_db()
    assert escalation.read_at is not None
    assert read.body["read_at"] == iso(escalation.read_at)
    again = floor.sales_manager.post(path)
    assert again.body["read_at"] == iso(escalation.read_at)

    def unread(flag: str) -> list[int]:
        reply = floor.sales_manager.get("/handoffs/escalations", unread=flag)
        return [r["id"] for r in reply.body["results"]]

    assert (unread("true"), unread("false")) == ([], [escalation.pk])


def test_contact_cap_without_an_agreement(floor: Floor) -> None:
    contact = ContactFactory(workspace=floor.workspace)
    reply = floor.marketer.get(f"/contacts/{contact.pk}/contact-cap")
    assert (reply.status, reply.body) == (200, {"agreed": False})


def test_contact_cap_counts_touches_in_the_window(floor: Floor, other_api: Any) -> None:
    activate_sla(
        floor.floor,
        sla_document(
            buyer={"max_touches": 2, "window_hours": 24}, calendars={"default": ALWAYS_OPEN}
        ),
    )
    contact = ContactFactory(workspace=floor.workspace)
    rep = floor.floor.actor(floor.floor.sellers[0])
    path = f"/contacts/{contact.pk}/contact-cap"
    with time_machine.travel(NOON, tick=False):
        assert floor.rep.get(path).body == {
            "agreed": True,
            "limit": 2,
            "window_hours": 24.0,
            "touches_in_window": 0,
            "next_allowed": "2026-03-02T12:00:00Z",
            "would_exceed": False,
        }
        for hours in (3, 1):
            activity_create(
                actor=rep,
                values={
                    "kind": "call",
                    "contact_id": contact.pk,
                    "occurred_at": NOON - dt.timedelta(hours=hours),
                },
            )
        assert floor.rep.get(path).body == {
            "agreed": True,
            "limit": 2,
            "window_hours": 24.0,
            "touches_in_window": 2,
            "next_allowed": "2026-03-03T09:00:00Z",
            "would_exceed": True,
        }
    assert other_api.get(path).status == 404
    missing = floor.rep.get("/contacts/999999/contact-cap")
    assert (missing.status, missing.error["message"]) == (
        404,
        "No contact with id 999999 in this workspace.",
    )
