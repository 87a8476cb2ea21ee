"""Activities through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accord.crm.models import Activity
from accord.crm.tests.factories import ActivityFactory, ContactFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def count(workspace: Any) -> int:
    return Activity.objects.for_workspace(workspace).count()


def test_create_defaults_the_user_to_the_caller(api: Api, workspace: Any, admin: Any) -> None:
    contact = ContactFactory(workspace=workspace)
    reply = api.post(
        "/activities",
        {
            "kind": "Call",
            "contact_id": contact.pk,
            "direction": "outbound",
            "outcome": "connected",
            "subject": "Discovery",
            "occurred_at": "2026-03-01T09:30:00Z",
        },
    )
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["kind"] == "call"
    assert body["user_id"] == admin.user_id
    assert body["user_name"] == admin.user.display_name
    assert body["contact_id"] == contact.pk
    assert body["deal_id"] is None
    assert body["occurred_at"] == "2026-03-01T09:30:00Z"
    activity = Activity.objects.for_workspace(workspace).get(pk=body["id"])
    assert activity.occurred_at == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_custom_fields_round_trip(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace)
    reply = api.post(
        "/activities",
        {
            "kind": "call",
            "contact_id": contact.pk,
            "custom_fields": {"Gong id": "g-17", "mins": 12},
        },
    )
    assert reply.status == 201, reply.body
    pk = reply.body["id"]
    assert reply.body["custom_fields"] == {"Gong id": "g-17", "mins": 12}
    assert api.get(f"/activities/{pk}").body["custom_fields"] == {"Gong id": "g-17", "mins": 12}
    listed = api.get("/activities").body["results"]
    assert [row["custom_fields"] for row in listed] == [{"Gong id": "g-17", "mins": 12}]

    patched = api.patch(f"/activities/{pk}", {"custom_fields": {"mins": 15}})
    assert patched.status == 200, patched.body
    assert patched.body["custom_fields"] == {"mins": 15}  # replaced as a whole
    assert Activity.objects.for_workspace(workspace).get(pk=pk).custom_fields == {"mins": 15}
    assert api.patch(f"/activities/{pk}", {"subject": "Follow-up"}).body["custom_fields"] == {
        "mins": 15
    }  # not sent: kept

    bad = api.post(
        "/activities", {"kind": "call", "contact_id": contact.pk, "custom_fields": [1, 2]}
    )
    assert bad.status == 400, bad.body
    assert list(bad.fields) == ["custom_fields"]
    assert count(workspace) == 1

    default = api.post("/activities", {"kind": "note", "contact_id": contact.pk})
    assert default.body["custom_fields"] == {}


def test_needs_a_contact_or_a_deal(api: Api, workspace: Any) -> None:
    reply = api.post("/activities", {"kind": "note", "body": "Floating"})
    assert reply.status == 400
    assert reply.fields == {"contact_id": ["Give a contact_id or a deal_id."]}
    assert count(workspace) == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "telegram"}, "kind"),
        ({"kind": None}, "kind"),
        ({"outcome": "great"}, "outcome"),
        ({"occurred_at": "soon"}, "occurred_at"),
        ({"user_id": 0}, "user_id"),
    ],
)
def test_bad_input(api: Api, workspace: Any, values: dict[str, Any], field: str) -> None:
    contact = ContactFactory(workspace=workspace)
    reply = api.post("/activities", {"kind": "call", "contact_id": contact.pk, **values})
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    assert count(workspace) == 0


def test_retrieve_update_delete(api: Api, workspace: Any) -> None:
    activity = ActivityFactory(workspace=workspace, subject="First")
    assert api.get(f"/activities/{activity.pk}").body["subject"] == "First"
    reply = api.patch(f"/activities/{activity.pk}", {"subject": "Second", "kind": "meeting"})
    assert reply.status == 200
    assert (reply.body["subject"], reply.body["kind"]) == ("Second", "meeting")
    activity.refresh_from_db()
    assert activity.subject == "Second"
    assert api.delete(f"/activities/{activity.pk}").status == 204
    assert count(workspace) == 0


def test_filters_and_ordering(api: Api, workspace: Any) -> None:
    now = timezone.now()
    ann = ContactFactory(workspace=workspace)
    call = ActivityFactory(
        workspace=workspace, contact=ann, occurred_at=now - dt.timedelta(hours=2)
    )
    note = ActivityFactory(workspace=workspace, kind="note", occurred_at=now)
    email = ActivityFactory(
        workspace=workspace, kind="email", occurred_at=now - dt.timedelta(days=3)
    )

    def ids(**params: Any) -> list[int]:
        reply = api.get("/activities", **params)
        assert reply.status == 200, reply.body
        return [row["id"] for row in reply.body["results"]]

    assert ids() == [note.pk, call.pk, email.pk]  # newest first
    assert ids(ordering="occurred_at") == [email.pk, call.pk, note.pk]
    assert ids(kind="note") == [note.pk]
    assert ids(contact_id=ann.pk) == [call.pk]
    assert ids(after=(now - dt.timedelta(days=1)).isoformat()) == [note.pk, call.pk]
    assert ids(before=(now - dt.timedelta(hours=1)).isoformat()) == [call.pk, email.pk]
