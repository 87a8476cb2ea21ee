"""Single activities, touchpoints and saved import mappings deleted; sign-ins, failed and
throttled sign-ins and sign-outs, one entry in each of the account's workspaces, never a
password, and nothing for an address that is no member's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.core.errors import NotFound, PermissionDenied
from accord.crm.services import activities, contacts
from accord.identity.actor import Actor, Source
from accord.identity.audit import AuditEntry
from accord.identity.models import Membership
from accord.identity.tests.factories import PASSWORD, MembershipFactory
from accord.integrations import mappings
from accord.marketing import services as marketing
from tests.audit.helpers import logged

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 4, 1, 15, 30, tzinfo=dt.UTC)
IP = "203.0.113.9"


def test_an_activity_deletion_keeps_no_subject_or_body(workspace: Any, actor: Actor) -> None:
    contact = contacts.contact_create(actor=actor, values={"email": "pat@initech.example"})
    activity = activities.activity_create(
        actor=actor,
        values={
            "kind": "call",
            "contact_id": contact.pk,
            "subject": "Pat's private number",
            "body": "Call Pat on 555-0100",
            "occurred_at": AT,
            "outcome": "connected",
        },
    )
    activities.activity_delete(actor=actor, activity_id=activity.pk)
    [entry] = logged(workspace, "activity.")
    assert entry["action"] == "activity.deleted"
    assert entry["who"] == f"{actor.user.display_name} via api"  # type: ignore[union-attr]
    assert entry["object"] == ("activity", str(activity.pk), f"activity {activity.pk}")
    assert entry["before"] == {
        "kind": "call",
        "user_id": actor.user.pk,  # type: ignore[union-attr]
        "contact_id": contact.pk,
        "deal_id": None,
        "direction": "",
        "outcome": "connected",
        "occurred_at": "2026-04-01T15:30:00+00:00",
        "created_at": activity.created_at.isoformat(),
    }
    assert entry["after"] is None
    assert "555-0100" not in repr(logged(workspace)) and "private" not in repr(logged(workspace))


def test_a_touchpoint_deletion_keeps_no_page_or_referrer(workspace: Any, actor: Actor) -> None:
    contact = contacts.contact_create(actor=actor, values={"email": "pat@initech.example"})
    touchpoint = marketing.touchpoint_create(
        actor=actor,
        values={
            "contact_id": contact.pk,
            "type": "form_fill",
            "channel": "organic_search",
            "occurred_at": AT,
            "utm_source": "google",
            "landing_page": "https://acme.example/?email=pat@initech.example",
            "referrer": "https://mail.example/pat",
        },
    )
    marketing.touchpoint_delete(actor=actor, touchpoint_id=touchpoint.pk)
    [entry] = logged(workspace, "touchpoint.")
    assert entry["action"] == "touchpoint.deleted"
    assert entry["object"] == ("touchpoint", str(touchpoint.pk), "Form fill (Organic search)")
    assert entry["before"] == {
        "contact_id": contact.pk,
        "campaign_id": None,
        "channel": "organic_search",
        "type": "form_fill",
        "occurred_at": "2026-04-01T15:30:00+00:00",
        "utm_source": "google",
        "utm_medium": "",
        "utm_campaign": "",
        "created_at": touchpoint.created_at.isoformat(),
    }
    assert "mail.example" not in repr(entry) and "?email" not in repr(entry)


def test_a_saved_mapping_deletion_keeps_the_mapping(workspace: Any, actor: Actor) -> None:
    mapping = mappings.saved_mapping_create(
        actor=actor, name="Trade show", record_type="contacts", columns={"E-Mail": "email"}
    )
    mappings.saved_mapping_delete(actor=actor, mapping_id=mapping.pk)
    assert logged(workspace) == [
        {
            "action": "saved_mapping.deleted",
            "who": f"{actor.user.display_name} via api",  # type: ignore[union-attr]
            "user_id": actor.user.pk,  # type: ignore[union-attr]
            "source": "api",
            "object": ("saved mapping", str(mapping.pk), "Trade show"),
            "before": {
                "name": "Trade show",
                "record_type": "contacts",
                "columns": {"E-Mail": "email"},
                "value_maps": {},
            },
            "after": None,
            "note": "",
        }
    ]


def test_refused_deletions_write_no_entry(
    workspace: Any, other_workspace: Any, actor: Actor, member_factory: Any
) -> None:
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    foreign = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    contact = contacts.contact_create(actor=actor, values={"email": "pat@initech.example"})
    activity = activities.activity_create(
        actor=actor, values={"kind": "note", "contact_id": contact.pk}
    )
    touchpoint = marketing.touchpoint_create(
        actor=actor, values={"contact_id": contact.pk, "type": "web_visit", "channel": "direct"}
    )
    mapping = mappings.saved_mapping_create(
        actor=actor, name="Mine", record_type="contacts", columns={"Email": "email"}
    )
    for who, error in ((viewer, PermissionDenied), (foreign, NotFound)):
        with pytest.raises(error):
            activities.activity_delete(actor=who, activity_id=activity.pk)
        with pytest.raises(error):
            marketing.touchpoint_delete(actor=who, touchpoint_id=touchpoint.pk)
        with pytest.raises(error):
            mappings.saved_mapping_delete(actor=who, mapping_id=mapping.pk)
    with pytest.raises(NotFound):
        activities.activity_delete(actor=actor, activity_id=activity.pk + 1000)
    assert logged(workspace) == []
    assert logged(other_workspace) == []


# Sign-ins ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client: Client, email: str, password: str) -> Any:
    return client.post(
        reverse("web:login"), {"username": email, "password": password}, REMOTE_ADDR=IP
    )


def _entries(workspace: Any) -> list[tuple[Any, ...]]:
    return [
        (
            e.action,
            e.actor_label,
            e.user_id,
            e.source,
            e.remote_addr,
            e.object_type,
            e.object_id,
            e.object_label,
            e.before,
            e.after,
        )
        for e in AuditEntry.objects.for_workspace(workspace).order_by("id")
    ]


def test_sign_in_and_sign_out_in_every_workspace_of_the_account(
    workspace: Any, other_workspace: Any, admin: Membership
) -> None:
    MembershipFactory(workspace=other_workspace, user=admin.user, role="viewer")
    client = Client()
    assert _sign_in(client, "admin@acme.example", PASSWORD).status_code == 302
    assert client.post(reverse("web:logout"), REMOTE_ADDR=IP).status_code == 302
    user = admin.user
    for ws in (workspace, other_workspace):
        assert _entries(ws) == [
            (
                action,
                f"{user.display_name} via web",
                user.pk,
                "web",
                IP,
                "user",
                str(user.pk),
                "admin@acme.example",
                None,
                None,
            )
            for action in ("auth.signed_in", "auth.signed_out")
        ]


def test_a_failed_sign_in_names_the_account_not_the_password(
    workspace: Any, admin: Membership
) -> None:
    client = Client()
    assert _sign_in(client, "Admin@Acme.example", "hunter2-wrong").status_code == 200
    assert _entries(workspace) == [
        (
            "auth.sign_in_failed",
            "sign-in attempt via web",
            None,
            "web",
            IP,
            "user",
            str(admin.user.pk),
            "admin@acme.example",
            None,
            None,
        )
    ]
    assert "hunter2" not in repr(logged(workspace))


def test_a_failed_sign_in_for_an_unknown_address_is_written_nowhere(
    workspace: Any, other_workspace: Any, admin: Membership
) -> None:
    client = Client()
    assert _sign_in(client, "nobody@acme.example", PASSWORD).status_code == 200
    assert _sign_in(client, "", "").status_code == 200  # the form refuses it before checking
    assert AuditEntry.objects.across_workspaces().count() == 0


def test_a_throttled_sign_in_is_recorded_once_per_lock_out(
    workspace: Any, admin: Membership, settings: Any
) -> None:
    settings.ACCORD_LOGIN_MAX_FAILURES = 2
    client = Client()
    for _ in range(2):
        assert _sign_in(client, "admin@acme.example", "wrong").status_code == 200
    refused = _sign_in(client, "admin@acme.example", PASSWORD)  # right password, still refused
    assert refused.status_code == 429
    assert _sign_in(client, "admin@acme.example", PASSWORD).status_code == 429
    assert _sign_in(client, "nobody@acme.example", "x").status_code == 200
    entries = logged(workspace)
    assert [(e["action"], e["who"], e["user_id"]) for e in entries] == [
        ("auth.sign_in_failed", "sign-in attempt via web", None),
        ("auth.sign_in_failed", "sign-in attempt via web", None),
        ("auth.sign_in_throttled", "sign-in attempt via web", None),
    ]
    wait = int(refused["Retry-After"])
    assert entries[2]["object"] == ("user", str(admin.user.pk), "admin@acme.example")
    assert entries[2]["note"] == (
        f"Refused for {wait} more seconds after too many failed sign-ins; "
        "further refusals until then are not recorded."
    )
    assert "_auth_user_id" not in client.session


def test_an_account_in_no_workspace_signs_in_without_an_entry(workspace: Any) -> None:
    from accord.identity.tests.factories import UserFactory

    UserFactory(email="loner@example.com")
    client = Client()
    assert _sign_in(client, "loner@example.com", PASSWORD).status_code == 302
    assert AuditEntry.objects.across_workspaces().count() == 0
