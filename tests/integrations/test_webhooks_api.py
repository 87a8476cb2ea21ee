"""The webhooks and integration-keys endpoints: admins only, secrets shown once, validation,
workspace isolation and the delivery log."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.events import EVENT_NAMES
from accord.identity.models import Membership, Workspace
from accord.integrations.models import (
    DeliveryStatus,
    IntegrationKey,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.api.conftest import Api, make_token
from tests.integrations.hooks_support import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin: Membership) -> Api:
    return Api(make_token(admin)[1])


@pytest.fixture
def other_api(other_workspace: Workspace, member_factory: Any) -> Api:
    return Api(make_token(member_factory("admin", ws=other_workspace))[1])


def create(api: Api, **values: Any) -> dict[str, Any]:
    body = {"url": "https://hooks.example.com/accord", "events": ["deal.won"], **values}
    reply = api.post("/webhooks", body)
    assert reply.status == 201, reply.body
    return reply.body  # type: ignore[no-any-return]


def log(
    workspace: Workspace, subscription_id: int, count: int, status: str = "failed"
) -> list[int]:
    subscription = WebhookSubscription.objects.for_workspace(workspace).get(pk=subscription_id)
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            workspace=workspace,
            subscription=subscription,
            event="deal.won",
            event_id=uuid.uuid4(),
            payload={"n": i},
            status=status,
            attempts=6 if status == "failed" else 1,
            last_status_code=500 if status == "failed" else 200,
            last_error="HTTP 500 Internal Server Error" if status == "failed" else "",
        )
        for i in range(count)
    )
    return [row.pk for row in rows]


def test_create_shows_the_secret_once(api: Api, workspace: Workspace) -> None:
    created = create(api, description="Data warehouse", events=["deal.won", "contact.became_mql"])
    subscription = WebhookSubscription.objects.for_workspace(workspace).get()
    expected = hmac.new(
        settings.SECRET_KEY.encode(),
        f"accord-webhook:{subscription.pk}:{subscription.salt}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert created["signing_secret"] == expected
    assert {k: created[k] for k in ("url", "description", "events", "kind", "active")} == {
        "url": "https://hooks.example.com/accord",
        "description": "Data warehouse",
        "events": ["deal.won", "contact.became_mql"],
        "kind": "generic",
        "active": True,
    }
    fetched = api.get(f"/webhooks/{created['id']}")
    assert fetched.status == 200
    assert "signing_secret" not in fetched.body
    listed = api.get("/webhooks")
    assert [row["id"] for row in listed.body["results"]] == [created["id"]]
    assert all("signing_secret" not in row for row in listed.body["results"])


def test_slack_webhooks_have_no_secret(api: Api) -> None:
    created = create(
        api, url="https://hooks.slack.com/services/T0/B0/x", kind="slack", events=["*"]
    )
    assert (created["kind"], created["signing_secret"], created["events"]) == ("slack", None, ["*"])


def test_rotating_the_secret_changes_it(api: Api) -> None:
    created = create(api)
    rotated = api.post(f"/webhooks/{created['id']}/rotate-secret")
    assert rotated.status == 200
    assert rotated.body["signing_secret"] not in (None, created["signing_secret"])


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"url": "ftp://files.example.com/x", "events": ["deal.won"]},
            {"url": ["Use an http:// or https:// URL (not ftp)."]},
        ),
        (
            {"url": "javascript:alert(1)", "events": ["deal.won"]},
            {"url": ["Use an http:// or https:// URL (not javascript)."]},
        ),
        ({"url": "https://", "events": ["deal.won"]}, {"url": ["'https://' is not a valid URL."]}),
        (
            {"url": "https://ok.example.com", "events": []},
            {"events": ["Choose at least one event."]},
        ),
        (
            {"url": "https://ok.example.com", "events": ["deal.exploded"]},
            {
                "events": [
                    f"Unknown event 'deal.exploded'; use * or some of: {', '.join(EVENT_NAMES)}."
                ]
            },
        ),
        (
            {"url": "https://ok.example.com", "events": ["*"], "kind": "teams"},
            {"kind": ["'teams' is not one of: generic, slack."]},
        ),
    ],
)
def test_invalid_subscriptions_are_refused(
    api: Api, workspace: Workspace, body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    reply = api.post("/webhooks", body)
    assert reply.status == 400, reply.body
    assert reply.fields == fields
    assert WebhookSubscription.objects.for_workspace(workspace).count() == 0


def test_loopback_receivers_are_allowed(api: Api) -> None:
    assert create(api, url="http://127.0.0.1:8765/hook")["url"] == "http://127.0.0.1:8765/hook"


def test_update_and_delete(api: Api, workspace: Workspace) -> None:
    created = create(api)
    updated = api.patch(
        f"/webhooks/{created['id']}", {"events": ["*", "deal.won"], "active": False}
    )
    assert updated.status == 200, updated.body
    assert (updated.body["events"], updated.body["active"]) == (["*"], False)
    refused = api.patch(f"/webhooks/{created['id']}", {"url": "mailto:ops@example.com"})
    assert refused.status == 400
    assert api.delete(f"/webhooks/{created['id']}").status == 204
    assert WebhookSubscription.objects.for_workspace(workspace).count() == 0


def test_the_event_list(api: Api) -> None:
    reply = api.get("/webhook-events")
    assert reply.status == 200
    assert [row["name"] for row in reply.body["results"]] == list(EVENT_NAMES)


@pytest.mark.parametrize("role", ["manager", "marketer", "sales_rep", "viewer"])
def test_only_admins_manage_webhooks(
    api: Api, member_factory: Any, role: str, workspace: Workspace
) -> None:
    created = create(api)
    (delivery_id,) = log(workspace, created["id"], 1)
    other = Api(make_token(member_factory(role))[1])
    calls = [
        ("GET", "/webhooks", None),
        ("POST", "/webhooks", {"url": "https://x.example.com", "events": ["*"]}),
        ("GET", f"/webhooks/{created['id']}", None),
        ("PATCH", f"/webhooks/{created['id']}", {"active": False}),
        ("DELETE", f"/webhooks/{created['id']}", None),
        ("POST", f"/webhooks/{created['id']}/ping", None),
        ("POST", f"/webhooks/{created['id']}/rotate-secret", None),
        ("GET", f"/webhooks/{created['id']}/deliveries", None),
        ("POST", f"/webhooks/{created['id']}/deliveries/{delivery_id}/retry", None),
        ("GET", "/integration-keys", None),
        ("POST", "/integration-keys", {"name": "x"}),
    ]
    for method, path, body in calls:
        reply = other.call(method, path, body)
        assert (reply.status, reply.error["code"]) == (403, "permission_denied"), (method, path)
    assert WebhookSubscription.objects.for_workspace(workspace).get().active is True
    assert IntegrationKey.objects.for_workspace(workspace).count() == 0


def test_another_workspaces_webhook_is_not_found(
    api: Api, other_api: Api, workspace: Workspace
) -> None:
    created = create(api)
    (delivery_id,) = log(workspace, created["id"], 1)
    for method, path, body in [
        ("GET", f"/webhooks/{created['id']}", None),
        ("PATCH", f"/webhooks/{created['id']}", {"active": False}),
        ("DELETE", f"/webhooks/{created['id']}", None),
        ("POST", f"/webhooks/{created['id']}/ping", None),
        ("POST", f"/webhooks/{created['id']}/rotate-secret", None),
        ("GET", f"/webhooks/{created['id']}/deliveries", None),
        ("GET", f"/webhooks/{created['id']}/deliveries/{delivery_id}", None),
        ("POST", f"/webhooks/{created['id']}/deliveries/{delivery_id}/retry", None),
    ]:
        reply = other_api.call(method, path, body)
        assert (reply.status, reply.error["code"]) == (404, "not_found"), (method, path)
    assert other_api.get("/webhooks").body["results"] == []
    assert WebhookSubscription.objects.for_workspace(workspace).get().active is True


def test_the_delivery_log_pages_and_filters(api: Api, workspace: Workspace) -> None:
    created = create(api)
    failed = log(workspace, created["id"], 3, "failed")
    succeeded = log(workspace, created["id"], 4, "succeeded")
    rows = api.all_pages(f"/webhooks/{created['id']}/deliveries", limit=2)
    assert sorted(r["id"] for r in rows) == sorted(failed + succeeded)
    only_failed = api.get(f"/webhooks/{created['id']}/deliveries", status="failed")
    assert sorted(r["id"] for r in only_failed.body["results"]) == failed
    first = only_failed.body["results"][0]
    assert {
        k: first[k] for k in ("status", "attempts", "last_status_code", "last_error", "event")
    } == {
        "status": "failed",
        "attempts": 6,
        "last_status_code": 500,
        "last_error": "HTTP 500 Internal Server Error",
        "event": "deal.won",
    }
    summary = api.get(f"/webhooks/{created['id']}").body
    assert (summary["delivery_count"], summary["failed_count"]) == (7, 3)
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/webhooks/{created['id']}/deliveries", limit=50).status == 200
    assert len(queries) <= 6  # token, membership, subscription, one page


def test_retry_now_queues_a_failed_delivery(api: Api, workspace: Workspace) -> None:
    created = create(api)
    (delivery_id,) = log(workspace, created["id"], 1, "failed")
    reply = api.post(f"/webhooks/{created['id']}/deliveries/{delivery_id}/retry")
    assert reply.status == 202, reply.body
    assert reply.body["status"] == "pending"
    (done,) = log(workspace, created["id"], 1, "succeeded")
    again = api.post(f"/webhooks/{created['id']}/deliveries/{done}/retry")
    assert (again.status, again.error["code"]) == (409, "conflict")
    assert (
        WebhookDelivery.objects.for_workspace(workspace).get(pk=done).status
        == DeliveryStatus.SUCCEEDED
    )


# Integration keys --------------------------------------------------------------------------


def test_integration_keys_show_the_secret_once_and_can_be_revoked(
    api: Api, other_api: Api, workspace: Workspace
) -> None:
    created = api.post("/integration-keys", {"name": "HubSpot forms", "require_signature": True})
    assert created.status == 201, created.body
    key = IntegrationKey.objects.for_workspace(workspace).get()
    expected = hmac.new(
        settings.SECRET_KEY.encode(),
        f"accord-integration:{key.key_id}:{key.salt}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert created.body["signing_secret"] == expected
    assert (created.body["key_id"], created.body["require_signature"]) == (key.key_id, True)
    listed = api.get("/integration-keys")
    assert [r["key_id"] for r in listed.body["results"]] == [key.key_id]
    assert "signing_secret" not in listed.body["results"][0]
    assert other_api.post(f"/integration-keys/{key.pk}/revoke").status == 404
    revoked = api.post(f"/integration-keys/{key.pk}/revoke")
    assert revoked.status == 200
    assert revoked.body["revoked_at"] is not None
    assert api.get(f"/integration-keys/{key.pk}").body["revoked_at"] == revoked.body["revoked_at"]


def test_an_integration_key_needs_a_name(api: Api, workspace: Workspace) -> None:
    reply = api.post("/integration-keys", {"name": "  "})
    assert reply.status == 400
    assert reply.fields == {"name": ["This field is required."]}
    assert IntegrationKey.objects.for_workspace(workspace).count() == 0
