"""Contacts through the API: CRUD, filters, ordering, and input that must be refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accord.crm.models import Contact, LedgerEntry
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def contact_count(workspace: Any) -> int:
    return Contact.objects.for_workspace(workspace).count()


def test_create_normalises_and_writes_the_first_ledger_entry(
    api: Api, workspace: Any, admin: Any
) -> None:
    company = CompanyFactory(workspace=workspace, name="Globex")
    reply = api.post(
        "/contacts",
        {
            "email": "  Jane.Doe@Globex.EXAMPLE ",
            "first_name": "Jane",
            "last_name": "Doe",
            "company_id": company.pk,
            "owner_id": admin.user_id,
            "country": "de",
            "lifecycle_stage": "MQL",
            "custom_fields": {"segment": "enterprise"},
        },
    )
    assert reply.status == 201, reply.body
    body = reply.body
    contact = Contact.objects.for_workspace(workspace).get(pk=body["id"])
    assert body["email"] == "jane.doe@globex.example" == contact.email
    assert body["full_name"] == "Jane Doe"
    assert body["company_id"] == company.pk
    assert body["company_name"] == "Globex"
    assert body["owner_id"] == admin.user_id
    assert body["owner_name"] == admin.user.display_name
    assert body["country"] == "DE"
    assert body["lifecycle_stage"] == "mql"
    assert body["custom_fields"] == {"segment": "enterprise"}
    entries = list(LedgerEntry.objects.for_workspace(workspace).filter(contact=contact))
    assert [(e.from_stage, e.to_stage, e.source, e.actor_user_id) for e in entries] == [
        ("", "mql", "api", admin.user_id)
    ]


def test_create_defaults_to_lead(api: Api) -> None:
    reply = api.post("/contacts", {"email": "x@y.example"})
    assert reply.status == 201
    assert reply.body["lifecycle_stage"] == "lead"


def test_retrieve(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, email="ann@a.example", first_name="Ann")
    reply = api.get(f"/contacts/{contact.pk}")
    assert reply.status == 200
    assert reply.body["id"] == contact.pk
    assert reply.body["email"] == "ann@a.example"
    assert reply.body["first_name"] == "Ann"


def test_retrieve_missing_is_404(api: Api) -> None:
    reply = api.get("/contacts/424242")
    assert reply.status == 404
    assert reply.error["code"] == "not_found"
    assert reply.error["message"] == "No contact with id 424242 in this workspace."


def test_patch_changes_only_the_fields_sent(api: Api, workspace: Any) -> None:
    contact = ContactFactory(
        workspace=workspace, email="bo@b.example", first_name="Bo", title="CTO", phone="123"
    )
    reply = api.patch(f"/contacts/{contact.pk}", {"title": "CEO", "phone": None})
    assert reply.status == 200, reply.body
    contact.refresh_from_db()
    assert (contact.first_name, contact.title, contact.phone) == ("Bo", "CEO", "")
    assert reply.body["title"] == "CEO"
    assert reply.body["first_name"] == "Bo"


def test_patch_lifecycle_stage_goes_through_the_ledger(
    api: Api, workspace: Any, admin: Any
) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    reply = api.patch(f"/contacts/{contact.pk}", {"lifecycle_stage": "sql"})
    assert reply.status == 200
    assert reply.body["lifecycle_stage"] == "sql"
    last = LedgerEntry.objects.for_workspace(workspace).filter(contact=contact).latest("id")
    assert (last.from_stage, last.to_stage, last.source, last.actor_user_id) == (
        "lead",
        "sql",
        "api",
        admin.user_id,
    )


def test_patch_email_to_a_taken_one_is_409(api: Api, workspace: Any) -> None:
    ContactFactory(workspace=workspace, email="taken@x.example")
    contact = ContactFactory(workspace=workspace, email="mine@x.example")
    reply = api.patch(f"/contacts/{contact.pk}", {"email": "TAKEN@x.example"})
    assert reply.status == 409
    assert reply.error["code"] == "conflict"
    assert list(reply.fields) == ["email"]
    contact.refresh_from_db()
    assert contact.email == "mine@x.example"


def test_create_duplicate_email_is_409_and_writes_nothing(api: Api, workspace: Any) -> None:
    ContactFactory(workspace=workspace, email="dup@x.example")
    before = contact_count(workspace)
    reply = api.post("/contacts", {"email": "Dup@X.example"})
    assert reply.status == 409
    assert reply.error["code"] == "conflict"
    assert contact_count(workspace) == before


def test_delete(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace)
    reply = api.delete(f"/contacts/{contact.pk}")
    assert reply.status == 204
    assert reply.body is None
    assert not Contact.objects.for_workspace(workspace).filter(pk=contact.pk).exists()
    assert api.delete(f"/contacts/{contact.pk}").status == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "'not-an-email' is not a valid email address."),
        (
            {"email": "a@b.example", "lifecycle_stage": "golden"},
            "lifecycle_stage",
            "'golden' is not a lifecycle stage of this workspace (subscriber, lead, mql, sal, "
            "sql, opportunity, customer, recycled, disqualified).",
        ),
        ({"email": "a@b.example", "country": "Germany"}, "country", None),
        ({"email": "a@b.example", "seniority": "king"}, "seniority", None),
        ({"first_name": "No email"}, "email", "This field is required."),
        ({"email": 42}, "email", "Input should be a valid string"),
        ({"email": "a@b.example", "company_id": "abc"}, "company_id", None),
        ({"email": "a@b.example", "custom_fields": [1, 2]}, "custom_fields", None),
        ({"email": "a@b.example", "shoe_size": 44}, "shoe_size", "Unknown field."),
        ({"email": "a@b.example", "first_name": "x" * 101}, "first_name", None),
        ({"email": "a@b.example", "owner_id": 987654}, "owner_id", None),
        ({"email": "a@b.example", "created_at": "yesterday"}, "created_at", None),
    ],
)
def test_bad_input_is_400_with_a_field_error_and_writes_nothing(
    api: Api, workspace: Any, body: dict[str, Any], field: str, message: str | None
) -> None:
    before = (contact_count(workspace), LedgerEntry.objects.for_workspace(workspace).count())
    reply = api.post("/contacts", body)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert list(reply.fields) == [field]
    if message is not None:
        assert reply.fields[field] == [message]
    after = (contact_count(workspace), LedgerEntry.objects.for_workspace(workspace).count())
    assert after == before


def test_all_field_errors_are_reported_together(api: Api, workspace: Any) -> None:
    reply = api.post("/contacts", {"email": "nope", "country": "Deutschland", "lead_status": "hot"})
    assert reply.status == 400
    assert set(reply.fields) == {"email", "country", "lead_status"}
    assert reply.error["message"] == "3 fields are invalid."
    assert contact_count(workspace) == 0


def test_patch_with_bad_input_changes_nothing(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, email="keep@x.example", title="CTO")
    reply = api.patch(f"/contacts/{contact.pk}", {"title": "CEO", "email": "broken"})
    assert reply.status == 400
    assert list(reply.fields) == ["email"]
    contact.refresh_from_db()
    assert (contact.email, contact.title) == ("keep@x.example", "CTO")


def test_patch_unknown_stage_changes_nothing(api: Api, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    entries = LedgerEntry.objects.for_workspace(workspace).count()
    reply = api.patch(f"/contacts/{contact.pk}", {"lifecycle_stage": "vip", "title": "X"})
    assert reply.status == 400
    assert list(reply.fields) == ["lifecycle_stage"]
    contact.refresh_from_db()
    assert (contact.lifecycle_stage, contact.title) == ("lead", "Head of Operations")
    assert LedgerEntry.objects.for_workspace(workspace).count() == entries


def test_filters(api: Api, workspace: Any, admin: Any) -> None:
    acme = CompanyFactory(workspace=workspace, name="Acme Corp")
    a = ContactFactory(
        workspace=workspace,
        email="a@acme.example",
        company=acme,
        lifecycle_stage="mql",
        country="DE",
        owner=admin.user,
        original_source="webinar",
        lead_status="open",
    )
    b = ContactFactory(
        workspace=workspace,
        email="b@other.example",
        first_name="Zed",
        lifecycle_stage="lead",
        country="FR",
        original_source="paid_search",
    )
    old = ContactFactory(
        workspace=workspace,
        email="c@old.example",
        created_at=timezone.now() - dt.timedelta(days=30),
    )

    def ids(**params: Any) -> set[int]:
        reply = api.get("/contacts", **params)
        assert reply.status == 200, reply.body
        return {row["id"] for row in reply.body["results"]}

    assert ids() == {a.pk, b.pk, old.pk}
    assert ids(lifecycle_stage="mql") == {a.pk}
    assert ids(company_id=acme.pk) == {a.pk}
    assert ids(owner_id=admin.user_id) == {a.pk}
    assert ids(country="fr") == {b.pk}
    assert ids(original_source="webinar") == {a.pk}
    assert ids(lead_status="open") == {a.pk}
    assert ids(q="acme corp") == {a.pk}
    assert ids(q="zed") == {b.pk}
    cutoff = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert ids(created_before=cutoff) == {old.pk}
    assert ids(created_after=cutoff) == {a.pk, b.pk}


def test_filter_with_an_unknown_choice_is_400(api: Api) -> None:
    reply = api.get("/contacts", original_source="carrier_pigeon")
    assert reply.status == 400
    assert list(reply.fields) == ["original_source"]


def test_filter_with_a_bad_date_is_400(api: Api) -> None:
    reply = api.get("/contacts", created_after="last tuesday")
    assert reply.status == 400
    assert list(reply.fields) == ["created_after"]


def test_ordering_by_email_both_ways(api: Api, workspace: Any) -> None:
    for email in ["m@x.example", "a@x.example", "z@x.example"]:
        ContactFactory(workspace=workspace, email=email)
    up = [r["email"] for r in api.get("/contacts", ordering="email").body["results"]]
    down = [r["email"] for r in api.get("/contacts", ordering="-email").body["results"]]
    assert up == ["a@x.example", "m@x.example", "z@x.example"]
    assert down == list(reversed(up))


def test_default_ordering_is_newest_first(api: Api, workspace: Any) -> None:
    now = timezone.now()
    old = ContactFactory(workspace=workspace, created_at=now - dt.timedelta(days=2))
    new = ContactFactory(workspace=workspace, created_at=now)
    mid = ContactFactory(workspace=workspace, created_at=now - dt.timedelta(days=1))
    rows = api.get("/contacts").body["results"]
    assert [r["id"] for r in rows] == [new.pk, mid.pk, old.pk]
