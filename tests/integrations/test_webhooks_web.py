"""The Webhooks and Integration keys pages: admins only, secrets shown once, test pings, the
delivery log with its retry button."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from accord.core.events import EVENT_NAMES
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.integrations.models import IntegrationKey, WebhookDelivery, WebhookSubscription
from accord.integrations.webhooks import services
from tests.integrations.hooks_support import (  # noqa: F401 - fast_password_hashing is autouse
    Receiver,
    fast_password_hashing,
    receiver_servers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_servers()


@pytest.fixture
def receiver(receiver_factory: Callable[..., Receiver]) -> Receiver:
    return receiver_factory()


LIST = "/integrations/webhooks/"
KEYS = "/integrations/keys/"


@pytest.fixture
def admin_client(client: Client, admin: Membership) -> Client:
    client.force_login(admin.user)
    return client


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def subscription_for(
    membership: Membership, url: str = "https://hooks.example.com/a"
) -> WebhookSubscription:
    actor = Actor.for_membership(membership, Source.WEB)
    subscription, _ = services.webhook_create(
        actor=actor, values={"url": url, "events": ["deal.won"]}
    )
    return subscription


def failed_delivery(subscription: WebhookSubscription) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        workspace_id=subscription.workspace_id,
        subscription=subscription,
        event="deal.won",
        event_id=uuid.uuid4(),
        payload={"event": "deal.won"},
        status="failed",
        attempts=6,
        last_status_code=502,
        last_error="HTTP 502 Bad Gateway: upstream down",
    )


def test_the_page_lists_subscriptions_and_offers_every_event(
    admin_client: Client, admin: Membership
) -> None:
    subscription_for(admin)
    response = admin_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "https://hooks.example.com/a" in html
    for name in ["*", *EVENT_NAMES]:
        assert f'value="{name}"' in html
    assert 'name="kind"' in html and 'value="slack"' in html
    assert "Test ping" in html


def test_adding_a_webhook_shows_its_secret_once(admin_client: Client, workspace: Workspace) -> None:
    response = admin_client.post(
        LIST,
        {
            "url": "https://hooks.example.com/new",
            "kind": "generic",
            "events": ["deal.won", "contact.became_mql"],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    subscription = WebhookSubscription.objects.for_workspace(workspace).get()
    assert (subscription.url, subscription.events, subscription.kind) == (
        "https://hooks.example.com/new",
        ["deal.won", "contact.became_mql"],
        "generic",
    )
    first = admin_client.get(LIST).content.decode()
    secret = re.search(r'<code class="secret mono">([0-9a-f]{64})</code>', first)
    assert secret is not None
    from accord.integrations.webhooks.delivery import subscription_secret

    assert secret.group(1) == subscription_secret(subscription)
    assert secret.group(1) not in admin_client.get(LIST).content.decode()


def test_an_invalid_webhook_is_refused_on_the_form(
    admin_client: Client, workspace: Workspace
) -> None:
    response = admin_client.post(
        LIST, {"url": "ftp://files.example.com", "kind": "generic", "events": ["*"]}
    )
    assert response.status_code == 400
    assert "Use an http:// or https:// URL (not ftp)." in response.content.decode()
    no_events = admin_client.post(LIST, {"url": "https://ok.example.com", "kind": "slack"})
    assert no_events.status_code == 400
    assert "Choose at least one event." in no_events.content.decode()
    assert WebhookSubscription.objects.for_workspace(workspace).count() == 0


def test_a_test_ping_reaches_the_receiver(
    admin_client: Client, admin: Membership, receiver: Receiver, workspace: Workspace
) -> None:
    subscription = subscription_for(admin, receiver.url)
    response = admin_client.post(f"{LIST}{subscription.pk}/ping/", follow=True)
    assert response.status_code == 200
    assert "Test ping delivered (HTTP 200)." in response.content.decode()
    assert receiver.events() == ["ping"]
    delivery = WebhookDelivery.objects.for_workspace(workspace).get()
    assert (delivery.event, delivery.status, delivery.attempts) == ("ping", "succeeded", 1)


def test_the_delivery_log_shows_status_attempts_code_and_error_and_retries(
    admin_client: Client, admin: Membership, workspace: Workspace
) -> None:
    subscription = subscription_for(admin)
    delivery = failed_delivery(subscription)
    page = admin_client.get(f"{LIST}{subscription.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    row = re.search(rf'<tr data-delivery="{delivery.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()
    assert "deal.won" in cells and "Failed" in cells and " 6 " in cells and " 502 " in cells
    assert "HTTP 502 Bad Gateway: upstream down" in cells
    assert "Retry now" in cells
    retried = admin_client.post(
        f"{LIST}{subscription.pk}/deliveries/{delivery.pk}/retry/", follow=True
    )
    assert "Retry queued" in retried.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    filtered = admin_client.get(f"{LIST}{subscription.pk}/", {"status": "succeeded"})
    assert f'data-delivery="{delivery.pk}"' not in filtered.content.decode()


def test_pause_and_delete(admin_client: Client, admin: Membership, workspace: Workspace) -> None:
    subscription = subscription_for(admin)
    admin_client.post(f"{LIST}{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert subscription.active is False
    response = admin_client.post(f"{LIST}{subscription.pk}/delete/")
    assert response.status_code == 302
    assert WebhookSubscription.objects.for_workspace(workspace).count() == 0


@pytest.mark.parametrize("role", ["manager", "marketer", "viewer"])
def test_non_admins_get_403(
    member_factory: Any, admin: Membership, workspace: Workspace, role: str
) -> None:
    subscription = subscription_for(admin)
    delivery = failed_delivery(subscription)
    client = signed_in(member_factory(role))
    for path in (LIST, f"{LIST}{subscription.pk}/", KEYS):
        assert client.get(path).status_code == 403, path
    for path, data in [
        (LIST, {"url": "https://x.example.com", "kind": "generic", "events": ["*"]}),
        (f"{LIST}{subscription.pk}/ping/", {}),
        (f"{LIST}{subscription.pk}/toggle/", {}),
        (f"{LIST}{subscription.pk}/delete/", {}),
        (f"{LIST}{subscription.pk}/deliveries/{delivery.pk}/retry/", {}),
        (KEYS, {"name": "sneaky"}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 403, path
        assert "Only workspace admins" in response.content.decode()
    assert WebhookSubscription.objects.for_workspace(workspace).get().active is True
    assert WebhookDelivery.objects.for_workspace(workspace).get().status == "failed"
    assert IntegrationKey.objects.for_workspace(workspace).count() == 0


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_another_workspaces_webhook_is_404(
    admin_client: Client, other_workspace: Workspace, member_factory: Any
) -> None:
    theirs = subscription_for(
        member_factory("admin", ws=other_workspace), "https://theirs.example.com"
    )
    delivery = failed_delivery(theirs)
    assert admin_client.get(f"{LIST}{theirs.pk}/").status_code == 404
    for suffix in ("ping/", "toggle/", "delete/", f"deliveries/{delivery.pk}/retry/"):
        assert admin_client.post(f"{LIST}{theirs.pk}/{suffix}").status_code == 404, suffix
    assert "theirs.example.com" not in admin_client.get(LIST).content.decode()
    assert WebhookSubscription.objects.for_workspace(other_workspace).get().active is True


def test_the_navigation_links_webhooks_for_admins_only(
    admin_client: Client, member_factory: Any
) -> None:
    assert f'href="{LIST}"' in admin_client.get("/").content.decode()
    viewer = signed_in(member_factory("viewer"))
    assert f'href="{LIST}"' not in viewer.get("/").content.decode()


def test_integration_keys_page_creates_shows_the_secret_once_and_revokes(
    admin_client: Client, workspace: Workspace
) -> None:
    response = admin_client.post(KEYS, {"name": "Webinar tool", "require_signature": "on"})
    assert response.status_code == 302
    key = IntegrationKey.objects.for_workspace(workspace).get()
    assert (key.name, key.require_signature) == ("Webinar tool", True)
    first = admin_client.get(KEYS).content.decode()
    assert key.key_id in first
    assert re.search(r'<code class="secret mono">[0-9a-f]{64}</code>', first)
    assert not re.search(r'<code class="secret mono">', admin_client.get(KEYS).content.decode())
    admin_client.post(f"{KEYS}{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None
