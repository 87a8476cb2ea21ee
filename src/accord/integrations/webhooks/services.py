"""The webhook write path: subscriptions (workspace admins only), test pings and retry-now.
Reads are in `accord.integrations.webhooks.selectors`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.events import EVENT_NAMES
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookKind,
    WebhookSubscription,
)
from accord.integrations.signing import new_salt
from accord.integrations.webhooks.addresses import literal_refusal
from accord.integrations.webhooks.delivery import attempt_delivery, subscription_secret
from accord.integrations.webhooks.dispatch import create_deliveries, forget_listening
from accord.integrations.webhooks.tasks import enqueue_attempt

PING_EVENT = "ping"
# What the audit log keeps of a subscription: never its salt, from which the secret derives.
AUDITED_FIELDS = ["url", "description", "events", "kind", "active"]
_url_validator = URLValidator(schemes=["http", "https"])


def _url(value: Any, field: str, workspace_id: int) -> str:
    text = c.Text(2000, required=True)(value, field, workspace_id)
    scheme = urlsplit(text).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationFailed.single(
            field, f"Use an http:// or https:// URL (not {scheme or 'a bare address'})."
        )
    try:
        _url_validator(text)
    except DjangoValidationError:
        raise ValidationFailed.single(field, f"'{text}' is not a valid URL.") from None
    refused = literal_refusal(urlsplit(text).hostname or "")
    if refused:
        raise ValidationFailed.single(field, refused)
    return text


def _events(value: Any, field: str, workspace_id: int) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed.single(field, 'Give a list of event names, or ["*"] for all.')
    names = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if not names:
        raise ValidationFailed.single(field, "Choose at least one event.")
    unknown = [n for n in names if n != "*" and n not in EVENT_NAMES]
    if unknown:
        raise ValidationFailed.single(
            field,
            f"Unknown event {', '.join(repr(u) for u in unknown)}; "
            f"use * or some of: {', '.join(EVENT_NAMES)}.",
        )
    return ["*"] if "*" in names else names


def _boolean(value: Any, field: str, workspace_id: int) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationFailed.single(field, "Expected true or false.")


WEBHOOK_FIELDS: dict[str, c.Cleaner] = {
    "url": _url,
    "description": c.Text(200),
    "events": _events,
    "kind": c.Choice(WebhookKind),
    "active": _boolean,
}


def _locked(actor: Actor, subscription_id: int) -> WebhookSubscription:
    subscription = (
        WebhookSubscription.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise NotFound(f"No webhook with id {subscription_id} in this workspace.")
    return subscription


@transaction.atomic
def webhook_create(
    *, actor: Actor, values: Mapping[str, Any]
) -> tuple[WebhookSubscription, str | None]:
    """Subscribe a URL to events. Returns the subscription and, for generic receivers, its
    signing secret, which is shown this once (Slack needs none)."""
    actor.require(Action.MANAGE_WORKSPACE)
    cleaned = c.clean(WEBHOOK_FIELDS, values, actor.workspace.pk, required=["url", "events"])
    cleaned["kind"] = cleaned.get("kind") or WebhookKind.GENERIC
    subscription = WebhookSubscription.objects.create(
        workspace=actor.workspace, salt=new_salt(), created_by=actor.user, **cleaned
    )
    secret = subscription_secret(subscription) if subscription.kind == WebhookKind.GENERIC else None
    after = audit.snapshot(subscription, AUDITED_FIELDS)
    audit.record(actor, "webhook.created", subscription, after=after)
    forget_listening(actor.workspace.pk)
    return subscription, secret


@transaction.atomic
def webhook_update(
    *, actor: Actor, subscription_id: int, values: Mapping[str, Any]
) -> WebhookSubscription:
    actor.require(Action.MANAGE_WORKSPACE)
    subscription = _locked(actor, subscription_id)
    cleaned = c.clean(WEBHOOK_FIELDS, values, actor.workspace.pk)
    for required in ("url", "events", "kind"):
        if required in cleaned and not cleaned[required]:
            raise ValidationFailed.single(required, "This field is required.")
    changed = [k for k, v in cleaned.items() if getattr(subscription, k) != v]
    before = audit.snapshot(subscription, changed)
    for name in changed:
        setattr(subscription, name, cleaned[name])
    if changed:
        subscription.save(update_fields=[*changed, "updated_at"])
        action = "webhook.changed"
        if changed == ["active"]:
            action = "webhook.resumed" if subscription.active else "webhook.paused"
        after = audit.snapshot(subscription, changed)
        audit.record(actor, action, subscription, before=before, after=after)
        forget_listening(actor.workspace.pk)
    return subscription


@transaction.atomic
def webhook_rotate_secret(*, actor: Actor, subscription_id: int) -> tuple[WebhookSubscription, str]:
    """Issue a new signing secret (the old one stops working at once)."""
    actor.require(Action.MANAGE_WORKSPACE)
    subscription = _locked(actor, subscription_id)
    subscription.salt = new_salt()
    subscription.save(update_fields=["salt", "updated_at"])
    audit.record(actor, "webhook.secret_rotated", subscription, note="A new signing secret.")
    return subscription, subscription_secret(subscription)


@transaction.atomic
def webhook_delete(*, actor: Actor, subscription_id: int) -> None:
    """Delete a subscription with its delivery log; queued attempts then do nothing."""
    actor.require(Action.MANAGE_WORKSPACE)
    subscription = _locked(actor, subscription_id)
    audit.record(
        actor,
        "webhook.deleted",
        subscription,
        before=audit.snapshot(subscription, AUDITED_FIELDS),
    )
    subscription.delete()
    forget_listening(actor.workspace.pk)


def webhook_ping(*, actor: Actor, subscription_id: int) -> WebhookDelivery:
    """Send a "ping" event to the subscription now, once (no retries), and return its
    delivery with the outcome."""
    actor.require(Action.MANAGE_WORKSPACE)
    with transaction.atomic():
        subscription = _locked(actor, subscription_id)
        data = {
            "message": "A test delivery from Accord.",
            "subscription_id": subscription.pk,
            "events": subscription.events,
            "requested_by": actor.label,
        }
        (delivery,) = create_deliveries(
            actor.workspace,
            [subscription],
            PING_EVENT,
            timezone.now().isoformat(),
            data,
            queue=False,
        )
    # Outside the transaction: no lock is held while the receiver answers.
    attempt_delivery(
        workspace_id=actor.workspace.pk, delivery_id=delivery.pk, attempt=1, retry=False
    )
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def delivery_retry(*, actor: Actor, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    """Queue another attempt of a delivery now (failed, retrying or still pending)."""
    actor.require(Action.MANAGE_WORKSPACE)
    subscription = _locked(actor, subscription_id)
    delivery = (
        WebhookDelivery.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=delivery_id, subscription=subscription)
        .first()
    )
    if delivery is None:
        raise NotFound(f"No delivery with id {delivery_id} for this webhook.")
    if delivery.status == DeliveryStatus.SUCCEEDED:
        raise Conflict("This delivery succeeded already; nothing to retry.")
    delivery.status = (
        DeliveryStatus.PENDING if delivery.status == DeliveryStatus.FAILED else delivery.status
    )
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    workspace_id, pk, attempt = delivery.workspace_id, delivery.pk, delivery.attempts + 1
    transaction.on_commit(lambda: enqueue_attempt(workspace_id, pk, attempt))
    return delivery
