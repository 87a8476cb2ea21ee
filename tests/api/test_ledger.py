"""The lifecycle ledger, lifecycle changes and a contact's timeline through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accord.crm.models import Contact, LedgerEntry
from accord.crm.tests.factories import ActivityFactory, ContactFactory
from accord.marketing.tests.factories import TouchpointFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def entries(workspace: Any, contact: Contact) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.for_workspace(workspace).filter(contact=contact).order_by("id"))


def test_lifecycle_change_lands_in_the_ledger_with_the_api_actor(
    api: Api, workspace: Any, admin: Any
) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    reply = api.post(
        f"/contacts/{contact.pk}/lifecycle", {"to_stage": "MQL", "reason": "Webinar + fit"}
    )
    assert reply.status == 201, reply.body
    assert reply.body["changed"] is True
    assert reply.body["lifecycle_stage"] == "mql"
    entry = reply.body["entry"]
    stored = entries(workspace, contact)[-1]
    assert entry["id"] == stored.pk
    assert (stored.from_stage, stored.to_stage) == ("lead", "mql")
    assert stored.actor_user_id == admin.user_id
    assert stored.source == "api"
    assert stored.reason == "Webinar + fit"
    assert entry["actor_user_id"] == admin.user_id
    assert entry["actor"] == admin.user.display_name
    assert (entry["from_stage"], entry["to_stage"], entry["source"]) == ("lead", "mql", "api")
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"


def test_lifecycle_change_to_the_current_stage_writes_nothing(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="sql")
    before = len(entries(workspace, contact))
    reply = api.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": "sql"})
    assert reply.status == 200
    assert reply.body == {"changed": False, "lifecycle_stage": "sql", "entry": None}
    assert len(entries(workspace, contact)) == before


def test_lifecycle_change_to_an_unknown_stage_is_400(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    reply = api.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": "unicorn"})
    assert reply.status == 400
    assert list(reply.fields) == ["to_stage"]
    assert reply.fields["to_stage"][0].startswith("'unicorn' is not a lifecycle stage")
    assert len(entries(workspace, contact)) == 1
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "lead"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "to_stage"),
        ({"to_stage": "mql", "reason": "x" * 501}, "reason"),
        ({"to_stage": "mql", "reason": None}, "reason"),
        ({"to_stage": 3}, "to_stage"),
        ({"to_stage": "mql", "when": "now"}, "when"),
    ],
)
def test_lifecycle_change_bad_input(
    api: Api, workspace: Any, body: dict[str, Any], field: str
) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    reply = api.post(f"/contacts/{contact.pk}/lifecycle", body)
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    assert len(entries(workspace, contact)) == 1


def test_lifecycle_change_of_a_missing_contact_is_404(api: Api) -> None:
    reply = api.post("/contacts/31337/lifecycle", {"to_stage": "mql"})
    assert reply.status == 404
    assert reply.error["code"] == "not_found"


def test_backwards_move_is_a_new_row(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="sql")
    assert api.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": "recycled"}).status == 201
    assert [(e.from_stage, e.to_stage) for e in entries(workspace, contact)] == [
        ("", "sql"),
        ("sql", "recycled"),
    ]


def test_ledger_list_and_filters(api: Api, workspace: Any) -> None:
    ann = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    bob = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    api.post(f"/contacts/{ann.pk}/lifecycle", {"to_stage": "mql"})
    api.post(f"/contacts/{bob.pk}/lifecycle", {"to_stage": "mql"})
    api.post(f"/contacts/{ann.pk}/lifecycle", {"to_stage": "sql"})

    reply = api.get("/ledger")
    assert reply.status == 200
    rows = reply.body["results"]
    # Oldest first: the two 'created' rows from the factories, then the three API changes.
    assert [(r["contact_id"], r["from_stage"], r["to_stage"]) for r in rows] == [
        (ann.pk, "", "lead"),
        (bob.pk, "", "lead"),
        (ann.pk, "lead", "mql"),
        (bob.pk, "lead", "mql"),
        (ann.pk, "mql", "sql"),
    ]
    times = [r["occurred_at"] for r in rows]
    assert times == sorted(times)

    def pairs(**params: Any) -> list[tuple[int, str]]:
        got = api.get("/ledger", **params)
        assert got.status == 200, got.body
        return [(r["contact_id"], r["to_stage"]) for r in got.body["results"]]

    assert pairs(contact_id=ann.pk) == [(ann.pk, "lead"), (ann.pk, "mql"), (ann.pk, "sql")]
    assert pairs(to_stage="mql") == [(ann.pk, "mql"), (bob.pk, "mql")]
    assert pairs(from_stage="mql") == [(ann.pk, "sql")]
    assert pairs(source="system") == [(ann.pk, "lead"), (bob.pk, "lead")]
    assert pairs(ordering="-occurred_at")[0] == (ann.pk, "sql")
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert pairs(after=future) == []
    assert len(pairs(before=future)) == 5


def test_contact_ledger(api: Api, workspace: Any) -> None:
    ann = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    other = ContactFactory(workspace=workspace)
    api.post(f"/contacts/{ann.pk}/lifecycle", {"to_stage": "customer"})
    reply = api.get(f"/contacts/{ann.pk}/ledger")
    assert reply.status == 200
    assert [(r["from_stage"], r["to_stage"]) for r in reply.body["results"]] == [
        ("", "lead"),
        ("lead", "customer"),
    ]
    assert {r["contact_id"] for r in reply.body["results"]} == {ann.pk}
    assert other.pk != ann.pk
    assert api.get("/contacts/999999/ledger").status == 404


def test_timeline_merges_touchpoints_activities_and_ledger(api: Api, workspace: Any) -> None:
    now = timezone.now()
    contact = ContactFactory(workspace=workspace, created_at=now - dt.timedelta(days=3))
    TouchpointFactory(workspace=workspace, contact=contact, occurred_at=now - dt.timedelta(days=2))
    ActivityFactory(
        workspace=workspace,
        contact=contact,
        subject="Intro",
        occurred_at=now - dt.timedelta(days=1),
    )
    reply = api.get(f"/contacts/{contact.pk}/timeline")
    assert reply.status == 200
    assert [(i["kind"], i["title"]) for i in reply.body["results"]] == [
        ("lifecycle", "new → lead"),
        ("touchpoint", "Ad click"),
        ("activity", "Call: Intro"),
    ]
    assert api.get("/contacts/999999/timeline").status == 404


def test_configuration_lists(api: Api) -> None:
    stages = api.get("/lifecycle-stages")
    assert stages.status == 200
    assert [s["key"] for s in stages.body["results"]] == [
        "subscriber",
        "lead",
        "mql",
        "sal",
        "sql",
        "opportunity",
        "customer",
        "recycled",
        "disqualified",
    ]
    pipelines = api.get("/pipelines")
    assert pipelines.status == 200
    [pipeline] = pipelines.body["results"]
    assert pipeline["name"] == "Sales pipeline"
    assert pipeline["is_default"] is True
    assert [s["key"] for s in pipeline["stages"]][:2] == ["qualification", "discovery"]
    assert [s["outcome"] for s in pipeline["stages"]][-2:] == ["won", "lost"]
