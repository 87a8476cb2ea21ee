"""POST /api/v1/events: batches of touchpoints, contact matching and creation, all-or-nothing
validation, Idempotency-Key replays, integration keys and request signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accord.crm.models import Company, Contact, LedgerEntry
from accord.crm.services.contacts import contact_create
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.integrations.inbound.idempotency import prune_idempotency_records
from accord.integrations.inbound.keys import integration_key_create
from accord.integrations.models import IdempotencyRecord, IntegrationKey
from accord.marketing.models import Touchpoint
from accord.marketing.services import campaign_create
from tests.api.conftest import make_token
from tests.integrations.hooks_support import fast_password_hashing, sign  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/events"


@dataclass
class Reply:
    status: int
    body: Any
    raw: bytes
    headers: Any

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]  # type: ignore[no-any-return]


class Events:
    """Posts to /api/v1/events with a bearer token and any extra headers."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()

    def post(
        self,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = raw if raw is not None else json.dumps(payload).encode()
        response = self.client.post(
            URL,
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
        )
        content = response.content
        return Reply(response.status_code, json.loads(content), content, response.headers)


@pytest.fixture
def events(admin: Membership) -> Events:
    return Events(make_token(admin)[1])


def event(email: str = "ana@northwind.example", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "form_fill",
        "occurred_at": "2026-03-01T09:30:00Z",
        "channel": "paid_search",
        "contact": {"email": email},
    }
    return {**base, **overrides}


def counts(workspace: Workspace) -> tuple[int, int, int, int]:
    return (
        Contact.objects.for_workspace(workspace).count(),
        Touchpoint.objects.for_workspace(workspace).count(),
        LedgerEntry.objects.for_workspace(workspace).count(),
        Company.objects.for_workspace(workspace).count(),
    )


# Contacts and touchpoints ------------------------------------------------------------------


def test_an_unknown_contact_is_created_as_a_lead_with_its_first_ledger_row(
    events: Events, workspace: Workspace, admin: Membership
) -> None:
    reply = events.post(
        {
            "events": [
                event(
                    "Ana@Northwind.example",
                    type="ad_click",
                    occurred_at="2026-03-01T09:00:00Z",
                    utm_source="google",
                    utm_medium="cpc",
                    utm_campaign="spring",
                    landing_page="https://acme.example/pricing",
                    referrer="https://www.google.com/",
                    contact={
                        "email": "Ana@Northwind.example",
                        "first_name": "Ana",
                        "last_name": "Ruiz",
                        "title": "CMO",
                        "company": "Northwind",
                        "country": "es",
                    },
                ),
                event("ana@northwind.example", type="webinar", channel="webinar"),
            ]
        }
    )
    assert reply.status == 201, reply.body
    contact = Contact.objects.for_workspace(workspace).get()
    assert reply.body == {
        "accepted": 2,
        "contacts_created": 1,
        "contacts_updated": 0,
        "touchpoints_created": 2,
        "duplicates": 0,
        "results": [
            {
                "index": i,
                "touchpoint_id": tp,
                "contact_id": contact.pk,
                "contact_created": True,
                "duplicate": False,
            }
            for i, tp in enumerate(
                Touchpoint.objects.for_workspace(workspace)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        ],
    }
    assert (contact.email, contact.first_name, contact.last_name, contact.title) == (
        "ana@northwind.example",
        "Ana",
        "Ruiz",
        "CMO",
    )
    assert (contact.country, contact.lifecycle_stage, contact.original_source) == (
        "ES",
        "lead",
        "paid_search",
    )
    assert (contact.utm_source, contact.utm_medium, contact.utm_campaign) == (
        "google",
        "cpc",
        "spring",
    )
    assert contact.company is not None
    assert (contact.company.name, contact.company.domain) == ("Northwind", "northwind.example")
    entry = LedgerEntry.objects.for_workspace(workspace).get()
    assert (entry.contact_id, entry.from_stage, entry.to_stage, entry.source) == (
        contact.pk,
        "",
        "lead",
        "api",
    )
    assert (entry.actor_user_id, entry.rule, entry.reason) == (
        admin.user_id,
        "inbound events",
        "created",
    )
    first, second = Touchpoint.objects.for_workspace(workspace).order_by("pk")
    assert (first.type, first.channel, first.utm_source, first.landing_page, first.referrer) == (
        "ad_click",
        "paid_search",
        "google",
        "https://acme.example/pricing",
        "https://www.google.com/",
    )
    assert first.occurred_at == dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert (second.type, second.channel, second.contact_id) == ("webinar", "webinar", contact.pk)


def test_a_touch_sent_again_without_a_key_is_recorded_once(
    events: Events, workspace: Workspace
) -> None:
    """A sender retrying without an Idempotency-Key, or repeating an event in one batch (the
    same contact, type, time, channel and campaign, the time in any offset), writes it once."""
    first = events.post({"events": [event(), event(type="webinar", channel="webinar")]})
    assert first.status == 201, first.body
    again = event("ANA@northwind.example", occurred_at="2026-03-01T10:30:00+01:00")
    reply = events.post({"events": [again, again, event(occurred_at="2026-03-02T09:30:00Z")]})
    assert reply.status == 201, reply.body
    assert (reply.body["touchpoints_created"], reply.body["duplicates"]) == (1, 2)
    original = first.body["results"][0]["touchpoint_id"]
    results = reply.body["results"]
    assert [(r["touchpoint_id"], r["duplicate"]) for r in results[:2]] == [
        (original, True), (original, True)
    ]  # fmt: skip
    assert results[2]["duplicate"] is False and results[2]["touchpoint_id"] != original
    assert Touchpoint.objects.for_workspace(workspace).count() == 3
    # Two page views in the same second on different pages are two touches.
    views = [event(type="web_visit", landing_page=f"https://acme.example/{p}") for p in "ab"]
    reply = events.post({"events": views})
    assert (reply.body["touchpoints_created"], reply.body["duplicates"]) == (2, 0)


def test_a_known_contact_is_matched_by_normalised_email_and_only_empty_fields_are_filled(
    events: Events, workspace: Workspace, actor: Actor
) -> None:
    known = contact_create(
        actor=actor,
        values={"email": "bo@globex.example", "first_name": "Bo", "lifecycle_stage": "mql"},
    )
    reply = events.post(
        {
            "events": [
                event(
                    "  BO@Globex.Example ",
                    contact={
                        "email": "  BO@Globex.Example ",
                        "first_name": "Robert",
                        "title": "VP",
                    },
                )
            ]
        }
    )
    assert reply.status == 201, reply.body
    assert reply.body["results"][0]["contact_id"] == known.pk
    assert reply.body["results"][0]["contact_created"] is False
    assert (reply.body["contacts_created"], reply.body["contacts_updated"]) == (0, 1)
    known.refresh_from_db()
    assert (known.first_name, known.title, known.lifecycle_stage) == ("Bo", "VP", "mql")
    assert Contact.objects.for_workspace(workspace).count() == 1
    assert LedgerEntry.objects.for_workspace(workspace).count() == 1  # only its creation


def test_a_contact_is_matched_by_external_id_first(
    events: Events, workspace: Workspace, actor: Actor
) -> None:
    by_external = contact_create(
        actor=actor, values={"email": "crm@initech.example", "external_id": "hs-991"}
    )
    contact_create(actor=actor, values={"email": "other@initech.example"})
    reply = events.post(
        {
            "events": [
                event(contact={"external_id": "hs-991"}),
                event(contact={"external_id": "hs-991", "email": "other@initech.example"}),
            ]
        }
    )
    assert reply.status == 201, reply.body
    assert [r["contact_id"] for r in reply.body["results"]] == [by_external.pk, by_external.pk]
    assert Contact.objects.for_workspace(workspace).count() == 2


def test_an_unknown_external_id_without_email_is_an_error(
    events: Events, workspace: Workspace
) -> None:
    reply = events.post({"events": [event(contact={"external_id": "nobody-1"})]})
    assert reply.status == 400
    assert reply.error["fields"] == {
        "events[0].contact.external_id": [
            "No contact has external_id 'nobody-1'; add the contact's email so that it can be "
            "created."
        ]
    }
    assert counts(workspace) == (0, 0, 0, 0)


def test_an_external_id_introduced_in_the_same_batch_resolves(
    events: Events, workspace: Workspace
) -> None:
    reply = events.post(
        {
            "events": [
                event(contact={"external_id": "mkto-7"}),
                event(contact={"email": "new@hooli.example", "external_id": "mkto-7"}),
            ]
        }
    )
    assert reply.status == 201, reply.body
    contact = Contact.objects.for_workspace(workspace).get()
    assert (contact.email, contact.external_id) == ("new@hooli.example", "mkto-7")
    assert [r["contact_id"] for r in reply.body["results"]] == [contact.pk, contact.pk]
    assert reply.body["contacts_created"] == 1


def test_campaigns_by_id_or_name_give_the_channel(
    events: Events, workspace: Workspace, actor: Actor
) -> None:
    webinar = campaign_create(actor=actor, values={"name": "Spring webinar", "channel": "webinar"})
    ads = campaign_create(actor=actor, values={"name": "Brand ads", "channel": "paid_social"})
    reply = events.post(
        {
            "events": [
                {**event(), "campaign": "Spring webinar", "channel": None},
                {**event(), "campaign": ads.pk, "channel": ""},
                {**event(), "campaign": webinar.pk, "channel": "email"},
            ]
        }
    )
    assert reply.status == 201, reply.body
    rows = (
        Touchpoint.objects.for_workspace(workspace)
        .order_by("pk")
        .values_list("campaign_id", "channel")
    )
    assert list(rows) == [(webinar.pk, "webinar"), (ads.pk, "paid_social"), (webinar.pk, "email")]


# Validation: the whole batch or nothing ----------------------------------------------------


def test_an_invalid_event_refuses_the_batch_with_per_event_errors(
    events: Events, workspace: Workspace, actor: Actor
) -> None:
    contact_create(actor=actor, values={"email": "kept@x.example"})
    before = counts(workspace)
    batch = [event(f"p{i}@x.example") for i in range(6)]
    batch[1]["type"] = "carrier_pigeon"
    batch[3]["occurred_at"] = "yesterday-ish"
    batch[4]["contact"] = {"email": "not an email", "country": "Spain"}
    batch[5] = {**event("p5@x.example"), "campaign": "No such campaign", "colour": "red"}
    del batch[5]["channel"]
    reply = events.post({"events": batch})
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    types = (
        "ad_click, form_fill, webinar, email_send, email_open, email_click, event, web_visit, "
        "content_download, chat, unsubscribe, bounce"
    )
    assert reply.error["fields"] == {
        "events[1].type": [f"'carrier_pigeon' is not one of: {types}."],
        "events[3].occurred_at": [
            "'yesterday-ish' is not a date-time (use ISO 8601, e.g. 2026-03-01T09:30:00Z)."
        ],
        "events[4].contact.email": ["'not an email' is not a valid email address."],
        "events[4].contact.country": ["Use a two-letter ISO 3166 country code, e.g. 'DE'."],
        "events[5].colour": ["Unknown field."],
        "events[5].campaign": ["No campaign named 'No such campaign' in this workspace."],
    }
    assert reply.error["message"] == "6 fields are invalid."
    assert counts(workspace) == before


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ([], {"body": ['A JSON object {"events": [...]} is required.']}),
        ({"events": []}, {"events": ["Send at least one event."]}),
        ({"events": {"type": "x"}}, {"events": ["A list of events is required."]}),
        ({"events": [event()], "extra": 1}, {"extra": ["Unknown field."]}),
        ({"events": ["form_fill"]}, {"events[0]": ["Expected an event object."]}),
        (
            {"events": [{"type": "form_fill", "occurred_at": "2026-03-01"}]},
            {
                "events[0].contact": ["This field is required."],
                "events[0].channel": ["Give a channel or a campaign."],
            },
        ),
        (
            {"events": [event(contact={"first_name": "Ana"})]},
            {"events[0].contact": ["Identify the contact by email or external_id."]},
        ),
        (
            {"events": [event(contact="ana@x.example")]},
            {
                "events[0].contact": [
                    "Expected a JSON object with the contact's email or external_id."
                ]
            },
        ),
        (
            {"events": [{**event(), "occurred_at": None}]},
            {"events[0].occurred_at": ["This field is required."]},
        ),
        (
            {"events": [{**event(), "campaign": True}]},
            {"events[0].campaign": ["Give the campaign's id or its name."]},
        ),
        (
            {"events": [{**event(), "campaign": 424242}]},
            {"events[0].campaign": ["No campaign with id 424242 in this workspace."]},
        ),
    ],
)
def test_malformed_batches_are_refused_and_write_nothing(
    events: Events, workspace: Workspace, payload: Any, fields: dict[str, list[str]]
) -> None:
    reply = events.post(payload)
    assert reply.status == 400, reply.body
    assert reply.error["fields"] == fields
    assert counts(workspace) == (0, 0, 0, 0)


def test_malformed_json_is_refused(events: Events, workspace: Workspace) -> None:
    reply = events.post(raw=b'{"events": [')
    assert reply.status == 400
    assert reply.error["code"] == "malformed_json"
    assert list(reply.error["fields"]) == ["body"]


def test_more_than_1000_events_are_refused(events: Events, workspace: Workspace) -> None:
    reply = events.post({"events": [event(f"u{i}@x.example") for i in range(1001)]})
    assert reply.status == 413
    assert reply.error == {
        "code": "batch_too_large",
        "message": "At most 1,000 events per request; this one has 1,001. Split the batch.",
        "fields": {
            "events": ["At most 1,000 events per request; this one has 1,001. Split the batch."]
        },
    }
    assert counts(workspace) == (0, 0, 0, 0)


def test_1000_events_are_accepted_in_one_batch(events: Events, workspace: Workspace) -> None:
    batch = [
        event(f"u{i % 400}@x{i % 7}.example", occurred_at=f"2026-03-01T09:{i % 60:02d}:00Z")
        for i in range(1000)
    ]
    reply = events.post({"events": batch})
    assert reply.status == 201, reply.body
    distinct = len({e["contact"]["email"] for e in batch})
    assert (reply.body["accepted"], reply.body["contacts_created"]) == (1000, distinct)
    assert counts(workspace)[:3] == (distinct, 1000, distinct)


def test_writing_events_needs_a_role_that_writes_records(
    workspace: Workspace, member_factory: Any
) -> None:
    viewer = Events(make_token(member_factory("viewer"))[1])
    reply = viewer.post({"events": [event()]})
    assert (reply.status, reply.error["code"]) == (403, "permission_denied")
    read_only = Events(make_token(member_factory("marketer"), scope="read")[1])
    assert read_only.post({"events": [event()]}).status == 403
    assert counts(workspace) == (0, 0, 0, 0)


def test_without_credentials_the_request_is_refused(workspace: Workspace) -> None:
    response = Client().post(
        URL, data=json.dumps({"events": [event()]}), content_type="application/json"
    )
    assert response.status_code == 401
    assert counts(workspace) == (0, 0, 0, 0)


# Idempotency -------------------------------------------------------------------------------


def test_100_replays_leave_one_copy_and_get_the_identical_response(
    events: Events, workspace: Workspace
) -> None:
    batch = {
        "events": [event(f"r{i}@x.example", type="email_click") for i in range(20)]
        + [event("r0@x.example")]
    }
    body = json.dumps(batch).encode()
    headers = {"Idempotency-Key": "9a1f0c52-7e0b-4d6c-9a55-3f1f2b7d0e11"}
    first = events.post(raw=body, headers=headers)
    assert first.status == 201, first.body
    assert "Idempotent-Replayed" not in first.headers
    snapshot = counts(workspace)
    assert snapshot[:3] == (20, 21, 20)
    for _ in range(100):
        replay = events.post(raw=body, headers=headers)
        assert replay.status == 201
        assert replay.raw == first.raw
        assert replay.headers["Idempotent-Replayed"] == "true"
    assert counts(workspace) == snapshot
    assert IdempotencyRecord.objects.for_workspace(workspace).count() == 1


def test_the_same_key_with_another_body_is_refused(events: Events, workspace: Workspace) -> None:
    headers = {"Idempotency-Key": "order-42"}
    assert events.post({"events": [event("a@x.example")]}, headers=headers).status == 201
    snapshot = counts(workspace)
    reply = events.post({"events": [event("b@x.example")]}, headers=headers)
    assert reply.status == 422
    assert reply.error["code"] == "idempotency_key_reused"
    assert reply.error["message"] == (
        "The Idempotency-Key 'order-42' was already used with a different request body. "
        "Use a new key for a new request."
    )
    assert counts(workspace) == snapshot


def test_keys_belong_to_their_workspace(
    events: Events, workspace: Workspace, other_workspace: Workspace, member_factory: Any
) -> None:
    other = Events(make_token(member_factory("admin", ws=other_workspace))[1])
    headers = {"Idempotency-Key": "shared-key"}
    assert events.post({"events": [event("a@x.example")]}, headers=headers).status == 201
    reply = other.post({"events": [event("z@x.example")]}, headers=headers)
    assert reply.status == 201
    assert reply.headers.get("Idempotent-Replayed") is None
    assert Contact.objects.for_workspace(other_workspace).get().email == "z@x.example"


def test_a_refused_batch_keeps_no_record_so_the_key_can_be_used_again(
    events: Events, workspace: Workspace
) -> None:
    headers = {"Idempotency-Key": "retry-after-fix"}
    bad = events.post({"events": [event(occurred_at="not a time")]}, headers=headers)
    assert bad.status == 400
    assert IdempotencyRecord.objects.for_workspace(workspace).count() == 0
    good = events.post({"events": [event()]}, headers=headers)
    assert good.status == 201


def test_a_malformed_idempotency_key_is_refused(events: Events, workspace: Workspace) -> None:
    reply = events.post({"events": [event()]}, headers={"Idempotency-Key": "x" * 256})
    assert reply.status == 400
    assert reply.error["fields"] == {
        "Idempotency-Key": ["Use at most 255 printable ASCII characters, e.g. a UUID."]
    }
    assert counts(workspace) == (0, 0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_records_are_kept_24_hours_then_pruned_by_the_worker(
    events: Events, workspace: Workspace
) -> None:
    for key in ("old", "recent"):
        assert (
            events.post(
                {"events": [event(f"{key}@x.example")]}, headers={"Idempotency-Key": key}
            ).status
            == 201
        )
    records = IdempotencyRecord.objects.for_workspace(workspace)
    records.filter(key="old").update(created_at=timezone.now() - dt.timedelta(hours=24, minutes=1))
    records.filter(key="recent").update(created_at=timezone.now() - dt.timedelta(hours=23))
    call_command("worker", "--once", stdout=io.StringIO())
    assert list(records.values_list("key", flat=True)) == ["recent"]
    assert prune_idempotency_records(now=timezone.now() + dt.timedelta(hours=2)) == 1
    assert records.count() == 0


# Integration keys and signatures -----------------------------------------------------------


@pytest.fixture
def signing_key(admin: Membership) -> tuple[IntegrationKey, str]:
    return integration_key_create(
        actor=Actor.for_membership(admin, Source.WEB), name="HubSpot forms", require_signature=True
    )


def test_the_signing_secret_is_derived_not_stored(signing_key: tuple[IntegrationKey, str]) -> None:
    key, secret = signing_key
    expected = hmac.new(
        settings.SECRET_KEY.encode(),
        f"accord-integration:{key.key_id}:{key.salt}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert secret == expected
    stored = IntegrationKey.objects.for_workspace(key.workspace_id).filter(pk=key.pk).values().get()
    assert secret not in json.dumps(stored, default=str)
    assert key.key_id.startswith("ik_")


def _signed(
    key: IntegrationKey, secret: str, body: bytes, stamp: int | None = None
) -> dict[str, str]:
    return {"X-Accord-Integration": key.key_id, "X-Accord-Signature": sign(secret, body, stamp)}


def test_a_good_signature_is_accepted(
    events: Events, workspace: Workspace, signing_key: tuple[IntegrationKey, str]
) -> None:
    key, secret = signing_key
    body = json.dumps({"events": [event()]}).encode()
    reply = events.post(raw=body, headers=_signed(key, secret, body))
    assert reply.status == 201, reply.body
    entry = LedgerEntry.objects.for_workspace(workspace).get()
    assert entry.rule == "inbound events (HubSpot forms)"
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing", "signature_missing"),
        ("wrong-secret", "signature_invalid"),
        ("tampered-body", "signature_invalid"),
        ("malformed", "signature_invalid"),
        ("stale", "signature_expired"),
        ("future", "signature_expired"),
        ("no-key-header", "integration_key_required"),
        ("unknown-key", "integration_key_invalid"),
    ],
)
def test_bad_signatures_are_refused_with_401(
    events: Events,
    workspace: Workspace,
    signing_key: tuple[IntegrationKey, str],
    case: str,
    code: str,
) -> None:
    key, secret = signing_key
    body = json.dumps({"events": [event()]}).encode()
    now = int(time.time())
    headers = {
        "missing": {"X-Accord-Integration": key.key_id},
        "wrong-secret": _signed(key, "0" * 64, body),
        "tampered-body": _signed(key, secret, body.replace(b"ana", b"eve")),
        "malformed": {"X-Accord-Integration": key.key_id, "X-Accord-Signature": "sha256=abc"},
        # Well outside the 300 s tolerance: a busy machine may take seconds to answer.
        "stale": _signed(key, secret, body, now - 900),
        "future": _signed(key, secret, body, now + 900),
        "no-key-header": {},
        "unknown-key": {**_signed(key, secret, body), "X-Accord-Integration": "ik_nope"},
    }[case]
    reply = events.post(raw=body, headers=headers)
    assert reply.status == 401, reply.body
    assert reply.error["code"] == code
    assert reply.headers["WWW-Authenticate"] == 'Accord-Signature realm="accord-events"'
    assert counts(workspace) == (0, 0, 0, 0)


def test_a_signature_just_inside_the_tolerance_is_accepted(
    events: Events, signing_key: tuple[IntegrationKey, str]
) -> None:
    key, secret = signing_key
    body = json.dumps({"events": [event()]}).encode()
    reply = events.post(raw=body, headers=_signed(key, secret, body, int(time.time()) - 240))
    assert reply.status == 201


def test_a_revoked_key_is_refused(
    events: Events, api_admin_actor: Actor, signing_key: tuple[IntegrationKey, str]
) -> None:
    from accord.integrations.inbound.keys import integration_key_revoke

    key, secret = signing_key
    integration_key_revoke(actor=api_admin_actor, key_pk=key.pk)
    body = json.dumps({"events": [event()]}).encode()
    reply = events.post(raw=body, headers=_signed(key, secret, body))
    assert (reply.status, reply.error["code"]) == (401, "integration_key_invalid")
    # With the only signing key revoked, unsigned requests without a key are accepted again.
    assert events.post(raw=body).status == 201


def test_an_optional_key_accepts_unsigned_requests_but_never_a_wrong_signature(
    events: Events, admin: Membership
) -> None:
    key, _ = integration_key_create(
        actor=Actor.for_membership(admin, Source.WEB), name="Webinar tool"
    )
    body = json.dumps({"events": [event()]}).encode()
    assert events.post(raw=body, headers={"X-Accord-Integration": key.key_id}).status == 201
    wrong = events.post(
        raw=body,
        headers={"X-Accord-Integration": key.key_id, "X-Accord-Signature": sign("f" * 64, body)},
    )
    assert (wrong.status, wrong.error["code"]) == (401, "signature_invalid")


def test_a_key_of_another_workspace_is_unknown_here(
    events: Events, other_workspace: Workspace, member_factory: Any
) -> None:
    other_admin = member_factory("admin", ws=other_workspace)
    key, secret = integration_key_create(
        actor=Actor.for_membership(other_admin, Source.WEB), name="Theirs", require_signature=True
    )
    body = json.dumps({"events": [event()]}).encode()
    reply = events.post(raw=body, headers=_signed(key, secret, body))
    assert (reply.status, reply.error["code"]) == (401, "integration_key_invalid")


def test_the_signature_is_checked_before_an_idempotent_replay(
    events: Events, signing_key: tuple[IntegrationKey, str]
) -> None:
    key, secret = signing_key
    body = json.dumps({"events": [event()]}).encode()
    headers = {**_signed(key, secret, body), "Idempotency-Key": "signed-1"}
    assert events.post(raw=body, headers=headers).status == 201
    unsigned = events.post(
        raw=body, headers={"X-Accord-Integration": key.key_id, "Idempotency-Key": "signed-1"}
    )
    assert (unsigned.status, unsigned.error["code"]) == (401, "signature_missing")


@pytest.fixture
def api_admin_actor(admin: Membership) -> Actor:
    return Actor.for_membership(admin, Source.API)


def test_a_contact_created_concurrently_is_matched_instead(
    events: Events, workspace: Workspace, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord.integrations.inbound import batch

    original = batch._match

    def match_then_race(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        # Another request commits the same new contact between our lookup and our insert.
        contact_create(actor=actor, values={"email": "race@x.example"})
        return result

    monkeypatch.setattr(batch, "_match", match_then_race)
    reply = events.post({"events": [event("race@x.example"), event("fresh@x.example")]})
    assert reply.status == 201, reply.body
    raced = Contact.objects.for_workspace(workspace).get(email="race@x.example")
    assert reply.body["results"][0]["contact_id"] == raced.pk
    assert [r["contact_created"] for r in reply.body["results"]] == [False, True]
    assert reply.body["contacts_created"] == 1
    assert Contact.objects.for_workspace(workspace).count() == 2
