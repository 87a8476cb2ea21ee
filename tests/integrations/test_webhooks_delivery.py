"""Outbound webhooks end to end: domain events → deliveries → the worker → a real HTTP receiver
on 127.0.0.1, with signatures, retries, the delivery log and Slack messages."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

import accord
from accord.core.errors import ValidationFailed
from accord.crm.models import PipelineStage
from accord.crm.services import contacts, deals, ledger
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from accord.integrations.webhooks import services
from accord.integrations.webhooks.addresses import is_private
from accord.integrations.webhooks.delivery import post
from accord.integrations.webhooks.slack import SlackContext, money, slack_message
from tests.integrations.hooks_support import (  # noqa: F401 - fast_password_hashing is autouse
    FAST_RETRIES,
    Receiver,
    fast_password_hashing,
    receiver_servers,
    run_worker,
    verify,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_retries")]


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_servers()


@pytest.fixture
def receiver(receiver_factory: Callable[..., Receiver]) -> Receiver:
    return receiver_factory()


@pytest.fixture
def fast_retries(settings: Any) -> None:
    for name, value in FAST_RETRIES.items():
        setattr(settings, name, value)


@pytest.fixture
def owner(admin: Membership) -> Membership:
    admin.user.full_name = "Ana Ruiz"
    admin.user.save(update_fields=["full_name"])
    return admin


@pytest.fixture
def web_actor(owner: Membership) -> Actor:
    return Actor.for_membership(owner, Source.WEB)


def subscribe(
    actor: Actor, url: str, events: list[str], kind: str = "generic"
) -> tuple[WebhookSubscription, str | None]:
    return services.webhook_create(actor=actor, values={"url": url, "events": events, "kind": kind})


def deliveries(workspace: Workspace) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.for_workspace(workspace).order_by("pk"))


def win_deal(actor: Actor, name: str = "Northwind rollout", amount: str = "48000") -> int:
    won = PipelineStage.objects.for_workspace(actor.workspace).get(key="closed_won")
    deal = deals.deal_create(
        actor=actor,
        values={
            "name": name,
            "amount": amount,
            "currency": "USD",
            "owner_id": actor.user.pk if actor.user else None,
        },
    )
    deals.deal_update(actor=actor, deal_id=deal.pk, values={"stage_id": won.pk})
    return deal.pk


def test_signed_delivery_reaches_the_receiver_and_verifies(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    subscription, secret = subscribe(web_actor, receiver.url, ["contact.created"])
    assert secret is not None
    contact = contacts.contact_create(
        actor=web_actor,
        values={"email": "ana@northwind.example", "first_name": "Ana", "last_name": "Ruiz"},
    )
    run_worker()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"Accord-Webhooks/{accord.__version__}"
    assert request.headers["X-Accord-Event"] == "contact.created"
    delivery = deliveries(workspace)[0]
    assert request.headers["X-Accord-Delivery"] == str(delivery.pk)
    assert verify(secret, request.headers["X-Accord-Signature"], request.body)
    assert not verify("0" * 64, request.headers["X-Accord-Signature"], request.body)
    body = request.json
    assert set(body) == {"id", "event", "occurred_at", "workspace", "data"}
    assert body["id"] == str(delivery.event_id)
    assert body["event"] == "contact.created"
    assert dt.datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    assert body["workspace"] == {"id": workspace.pk, "slug": "acme", "name": "Acme Revenue"}
    assert body["data"] == {
        "contact_id": contact.pk,
        "email": "ana@northwind.example",
        "name": "Ana Ruiz",
        "stage": "lead",
    }
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.SUCCEEDED,
        1,
        200,
        "",
    )
    assert delivery.delivered_at is not None
    assert delivery.subscription_id == subscription.pk


def test_two_failures_then_success_gives_three_attempts(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any
) -> None:
    flaky = receiver_factory(statuses=[500, 500], default=200)
    _, secret = subscribe(web_actor, flaky.url, ["*"])
    contacts.contact_create(actor=web_actor, values={"email": "retry@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert len(flaky.requests) == 3
    assert len({r.headers["X-Accord-Delivery"] for r in flaky.requests}) == 1
    assert len({r.json["id"] for r in flaky.requests}) == 1
    assert all(verify(str(secret), r.headers["X-Accord-Signature"], r.body) for r in flaky.requests)


def test_a_receiver_that_always_fails_ends_failed_after_max_attempts(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any
) -> None:
    broken = receiver_factory(default=503)
    subscribe(web_actor, broken.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "down@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 6, 503)
    assert delivery.last_error == "HTTP 503 Service Unavailable: receiver says no"
    assert delivery.next_attempt_at is None
    assert delivery.delivered_at is None
    assert len(broken.requests) == 6


def test_retry_delays_follow_the_schedule(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any, settings: Any
) -> None:
    settings.ACCORD_WEBHOOK_RETRY_DELAYS = (30, 120, 600, 3600, 21600)
    broken = receiver_factory(default=500)
    subscribe(web_actor, broken.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "later@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert delivery.last_attempt_at is not None and delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 29 <= wait <= 31
    assert len(broken.requests) == 1  # the next attempt is not due yet


def test_network_errors_are_retried_and_logged(web_actor: Actor, workspace: Workspace) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscribe(web_actor, f"http://127.0.0.1:{port}/nobody", ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "void@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 6, None)
    assert delivery.last_error.startswith("Could not connect: ")
    assert "refused" in delivery.last_error.lower()


def test_redirects_are_not_followed(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any
) -> None:
    moved = receiver_factory(default=302)
    subscribe(web_actor, moved.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "moved@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.last_status_code) == ("failed", 302)
    assert (
        delivery.last_error
        == "HTTP 302 Found: redirect to http://127.0.0.1:9/elsewhere not followed"
    )


def test_events_of_a_rolled_back_transaction_are_never_delivered(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    subscribe(web_actor, receiver.url, ["*"])

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        contacts.contact_create(actor=web_actor, values={"email": "ghost@x.example"})
        win_deal(web_actor, "Ghost deal")
        raise Abort
    run_worker()
    assert deliveries(workspace) == []
    assert receiver.requests == []
    contacts.contact_create(actor=web_actor, values={"email": "real@x.example"})
    run_worker()
    assert receiver.events() == ["contact.created"]


def test_a_subscription_for_deal_won_only_receives_deal_won(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any
) -> None:
    won_only = receiver_factory()
    everything = receiver_factory()
    subscribe(web_actor, won_only.url, ["deal.won"])
    subscribe(web_actor, everything.url, ["*"])
    contact = contacts.contact_create(actor=web_actor, values={"email": "buyer@x.example"})
    ledger.change_stage(actor=web_actor, contact_id=contact.pk, to_stage="mql")
    deal_id = win_deal(web_actor)
    run_worker()
    assert won_only.events() == ["deal.won"]
    assert won_only.requests[0].json["data"]["deal_id"] == deal_id
    assert sorted(everything.events()) == sorted(
        [
            "contact.created",
            "contact.stage_changed",
            "contact.became_mql",
            "handoff.assigned",  # the new MQL was routed (to the fallback queue: no sellers)
            "handoff.escalated",  # … and the sales managers were alerted
            "deal.created",
            "deal.won",
            "deal.recognised",  # marketing's part in the won deal (attribution)
        ]
    )
    # The same event has the same id in every subscription's delivery.
    won_ids = {r.json["id"] for r in everything.requests if r.json["event"] == "deal.won"}
    assert won_ids == {won_only.requests[0].json["id"]}


def test_paused_subscriptions_get_nothing(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    subscription, _ = subscribe(web_actor, receiver.url, ["*"])
    services.webhook_update(
        actor=web_actor, subscription_id=subscription.pk, values={"active": False}
    )
    contacts.contact_create(actor=web_actor, values={"email": "quiet@x.example"})
    run_worker()
    assert deliveries(workspace) == []
    assert receiver.requests == []


def test_slack_gets_readable_messages_without_a_signature(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    _, secret = subscribe(web_actor, receiver.url, ["deal.won", "contact.became_mql"], kind="slack")
    assert secret is None
    contact = contacts.contact_create(
        actor=web_actor,
        values={
            "email": "ana@northwind.example",
            "first_name": "Ana",
            "last_name": "Ruiz",
            "original_source": "paid_search",
        },
    )
    ledger.change_stage(actor=web_actor, contact_id=contact.pk, to_stage="mql")
    win_deal(web_actor, "Northwind rollout", "48000")
    run_worker()
    assert receiver.events() == ["contact.became_mql", "deal.won"]
    assert all("X-Accord-Signature" not in r.headers for r in receiver.requests)
    mql, won = (r.json for r in receiver.requests)
    assert mql["text"] == "New MQL: Ana Ruiz (ana@northwind.example) from Paid search"
    assert won["text"] == "🎉 Deal won: Northwind rollout — $48,000 (owner Ana Ruiz)"
    assert won["blocks"] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*🎉 Deal won:* Northwind rollout — $48,000 (owner Ana Ruiz)",
            },
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Accord · Acme Revenue · `deal.won`"}],
        },
    ]
    assert set(mql) == {"text", "blocks"}


def test_slack_messages_escape_markup_and_format_money() -> None:
    context = SlackContext(workspace_name="R&D <EMEA>", owner_name="Bo")
    message = slack_message(
        "deal.lost",
        {
            "name": "<b>Big</b> & co",
            "amount": "1250.5",
            "currency": "EUR",
            "close_reason": "budget",
        },
        context,
    )
    assert (
        message["text"]
        == "Deal lost: &lt;b&gt;Big&lt;/b&gt; &amp; co — €1,250.50 (owner Bo) · reason: budget"
    )
    assert (
        message["blocks"][1]["elements"][0]["text"] == "Accord · R&amp;D &lt;EMEA&gt; · `deal.lost`"
    )
    assert money("3000", "CHF") == "3,000 CHF"
    assert money("0", "USD") == "$0"


def test_ping_is_sent_at_once_and_logged(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    subscription, secret = subscribe(web_actor, receiver.url, ["deal.won"])
    delivery = services.webhook_ping(actor=web_actor, subscription_id=subscription.pk)
    assert (delivery.event, delivery.status, delivery.attempts, delivery.last_status_code) == (
        "ping",
        "succeeded",
        1,
        200,
    )
    (request,) = receiver.requests
    assert request.headers["X-Accord-Event"] == "ping"
    assert verify(str(secret), request.headers["X-Accord-Signature"], request.body)
    assert request.json["data"]["subscription_id"] == subscription.pk
    run_worker()  # nothing else was queued for it
    assert len(receiver.requests) == 1


def test_a_failed_ping_is_not_retried(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any
) -> None:
    broken = receiver_factory(default=500)
    subscription, _ = subscribe(web_actor, broken.url, ["*"])
    delivery = services.webhook_ping(actor=web_actor, subscription_id=subscription.pk)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    run_worker()
    assert len(broken.requests) == 1


def test_retry_now_sends_a_failed_delivery_again(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any, settings: Any
) -> None:
    settings.ACCORD_WEBHOOK_MAX_ATTEMPTS = 2
    flaky = receiver_factory(statuses=[500, 500], default=204)
    subscription, _ = subscribe(web_actor, flaky.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "later@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    services.delivery_retry(
        actor=web_actor, subscription_id=subscription.pk, delivery_id=delivery.pk
    )
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "succeeded",
        3,
        204,
        "",
    )
    assert len(flaky.requests) == 3


def test_retry_now_racing_a_scheduled_retry_sends_once(
    web_actor: Actor, workspace: Workspace, receiver_factory: Any, settings: Any
) -> None:
    settings.ACCORD_WEBHOOK_RETRY_DELAYS = (0,)
    flaky = receiver_factory(statuses=[500], default=200)
    subscription, _ = subscribe(web_actor, flaky.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "twice@x.example"})
    # Only the first attempt: stop the worker after one task.
    call_command(
        "db_worker", "--queue-name", "webhooks", "--batch", "--max-tasks", "1",
        "--no-startup-delay", "--no-reload", "--verbosity", "0",
    )  # fmt: skip
    (delivery,) = deliveries(workspace)
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    services.delivery_retry(
        actor=web_actor, subscription_id=subscription.pk, delivery_id=delivery.pk
    )
    run_worker()  # the scheduled retry and the retry-now: one of them sends
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(flaky.requests) == 2


def test_a_delivery_of_a_deleted_subscription_does_nothing(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    subscription, _ = subscribe(web_actor, receiver.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "gone@x.example"})
    services.webhook_delete(actor=web_actor, subscription_id=subscription.pk)
    run_worker()
    assert receiver.requests == []
    assert deliveries(workspace) == []


def test_the_payload_is_stored_as_sent(
    web_actor: Actor, workspace: Workspace, receiver: Receiver
) -> None:
    subscribe(web_actor, receiver.url, ["contact.created"])
    contacts.contact_create(actor=web_actor, values={"email": "stored@x.example"})
    run_worker()
    (delivery,) = deliveries(workspace)
    assert delivery.payload == json.loads(receiver.requests[0].body)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8000/",
        "http://[::1]/hook",
        "https://10.0.0.5/hook",
        "http://[::ffff:192.168.1.1]/",
    ],
)
def test_private_addresses_are_refused_when_saved(
    web_actor: Actor, workspace: Workspace, settings: Any, url: str
) -> None:
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationFailed) as caught:
        subscribe(web_actor, url, ["*"])
    assert "webhooks reach public addresses only" in str(caught.value.fields["url"])
    assert not WebhookSubscription.objects.for_workspace(workspace).exists()


def test_an_attempt_never_sends_to_a_private_address(
    web_actor: Actor, workspace: Workspace, receiver: Receiver, settings: Any
) -> None:
    """Checked on the connection itself, so a public-looking name that resolves (or is
    re-pointed) to a private address sends nothing either."""
    subscription, _ = subscribe(web_actor, receiver.url, ["*"])
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = False
    delivery = services.webhook_ping(actor=web_actor, subscription_id=subscription.pk)
    assert delivery.status == "failed"
    assert "127.0.0.1 is a private address" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("8.8.8.8", False), ("2606:4700:4700::1111", False), ("127.0.0.1", True),
        ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.0.1", True),
        ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("::1", True),  # noqa: S104
        ("fe80::1%eth0", True), ("fd00::1", True), ("::ffff:127.0.0.1", True),
        ("224.0.0.1", True), ("64:ff9b::a00:5", True), ("::ffff:0:a00:5", True),
        ("64:ff9b::808:808", False),
    ],
)  # fmt: skip
def test_which_addresses_are_private(address: str, private: bool) -> None:
    assert is_private(address) is private


def test_behind_a_proxy_the_receivers_own_address_is_checked(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through HTTP(S)_PROXY the connection is the proxy's, so the receiver's name is resolved
    and checked before the request goes out."""
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setenv("http_proxy", "http://203.0.113.9:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    result = post("http://localhost:8000/hook", b"{}", {}, timeout=1)
    assert (result.succeeded, result.status_code) == (False, None)
    assert "localhost is a private address (" in result.error
