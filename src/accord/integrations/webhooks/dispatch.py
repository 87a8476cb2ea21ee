"""The event-bus subscriber: one delivery per matching active subscription, each queued for the
worker. It runs after the publishing transaction has committed (`accord.core.events`), so an
event of a rolled-back transaction is never delivered."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction

from accord.core.channels import Channel
from accord.core.events import Event
from accord.crm.models import Contact
from accord.identity.models import User, Workspace
from accord.integrations.models import WebhookDelivery, WebhookKind, WebhookSubscription
from accord.integrations.webhooks.slack import SlackContext, slack_message
from accord.integrations.webhooks.tasks import enqueue_attempt


def envelope(
    workspace: Workspace, event_name: str, event_id: uuid.UUID, occurred_at: str, data: Any
) -> dict[str, Any]:
    """The JSON body generic receivers get."""
    return {
        "id": str(event_id),
        "event": event_name,
        "occurred_at": occurred_at,
        "workspace": {"id": workspace.pk, "slug": workspace.slug, "name": workspace.name},
        "data": data,
    }


def slack_context(workspace: Workspace, data: dict[str, Any]) -> SlackContext:
    """The names a Slack message mentions, read from the records the event points to."""
    owner_name = ""
    if isinstance(owner_id := data.get("owner_id"), int):
        owner = User.objects.filter(pk=owner_id).values_list("full_name", "email").first()
        owner_name = (owner[0] or owner[1]) if owner else ""
    source_label = ""
    if isinstance(contact_id := data.get("contact_id"), int) and data.get("to_stage"):
        source = (
            Contact.objects.for_workspace(workspace)
            .filter(pk=contact_id)
            .values_list("original_source", flat=True)
            .first()
        )
        source_label = Channel(source).label if source in Channel.values else ""
    return SlackContext(
        workspace_name=workspace.name, owner_name=str(owner_name), source_label=str(source_label)
    )


def payload_for(
    *,
    subscription: WebhookSubscription,
    workspace: Workspace,
    event_name: str,
    event_id: uuid.UUID,
    occurred_at: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    if subscription.kind == WebhookKind.SLACK:
        return slack_message(event_name, data, slack_context(workspace, data))
    return envelope(workspace, event_name, event_id, occurred_at, data)


def create_deliveries(
    workspace: Workspace,
    subscriptions: list[WebhookSubscription],
    event_name: str,
    occurred_at: str,
    data: dict[str, Any],
    *,
    queue: bool = True,
) -> list[WebhookDelivery]:
    """Record one pending delivery per subscription and (unless `queue` is false) queue the
    first attempt of each. The task rows are written in the same transaction as the
    deliveries (the database is the queue), so both exist or neither does, for one commit."""
    event_id = uuid.uuid4()
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                workspace=workspace,
                subscription=subscription,
                event=event_name,
                event_id=event_id,
                payload=payload_for(
                    subscription=subscription,
                    workspace=workspace,
                    event_name=event_name,
                    event_id=event_id,
                    occurred_at=occurred_at,
                    data=data,
                ),
            )
            for subscription in subscriptions
        )
        if queue:
            for delivery in deliveries:
                enqueue_attempt(workspace.pk, delivery.pk, 1)
    return deliveries


# How long a process trusts its list of a workspace's active subscriptions. Nearly every
# workspace has none, and a bulk change publishes an event per record (a re-score that makes
# 80,000 MQLs publishes several hundred thousand): without the list, each event was a query.
# Changes made through the services forget the list at once (in every process with a shared
# cache, see docs/deployment.md); elsewhere they take effect within this many seconds.
LISTENING_SECONDS = 2.0


def _listening_key(workspace_id: int) -> str:
    return f"accord:webhooks-listening:{workspace_id}"


def listening(workspace_id: int) -> list[tuple[int, list[str]]]:
    """(id, event names) of the workspace's active subscriptions, briefly cached."""
    key = _listening_key(workspace_id)
    found: list[tuple[int, list[str]]] | None = cache.get(key)
    if found is None:
        rows = (
            WebhookSubscription.objects.for_workspace(workspace_id)
            .filter(active=True)
            .values_list("pk", "events")
        )
        found = [(pk, list(events or [])) for pk, events in rows]
        cache.set(key, found, LISTENING_SECONDS)
    return found


def forget_listening(workspace_id: int) -> None:
    """A subscription was created, changed or deleted: read the list again (now and once the
    change commits, so no event in between caches the old one)."""
    cache.delete(_listening_key(workspace_id))
    transaction.on_commit(lambda: cache.delete(_listening_key(workspace_id)))


def on_event(event: Event) -> None:
    """Subscribed to the event bus in IntegrationsConfig.ready()."""
    wanted = [
        pk for pk, names in listening(event.workspace_id) if "*" in names or event.name in names
    ]
    if not wanted:
        return
    subscriptions = [
        s
        for s in WebhookSubscription.objects.for_workspace(event.workspace_id).filter(
            pk__in=wanted, active=True
        )
        if s.wants(event.name)
    ]
    if not subscriptions:
        return
    workspace = Workspace.objects.get(pk=event.workspace_id)
    create_deliveries(workspace, subscriptions, event.name, event.occurred_at, dict(event.data))
