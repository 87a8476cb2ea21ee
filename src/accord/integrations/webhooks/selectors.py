"""Reads for webhooks: subscriptions and their delivery log, always of one workspace."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from accord.core.errors import NotFound
from accord.identity.models import Workspace
from accord.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def webhook_list(workspace: Workspace) -> QuerySet[WebhookSubscription]:
    """Subscriptions, newest first, with their delivery counts and last delivery status."""
    last = WebhookDelivery.objects.filter(
        workspace=workspace, subscription=OuterRef("pk")
    ).order_by("-created_at", "-pk")
    return (
        WebhookSubscription.objects.for_workspace(workspace)
        .select_related("created_by")
        .annotate(
            delivery_count=Count("deliveries"),
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            last_status=Subquery(last.values("status")[:1]),
            last_delivery_at=Subquery(last.values("created_at")[:1]),
        )
        .order_by("-created_at", "-pk")
    )


def webhook_get(workspace: Workspace, subscription_id: int) -> WebhookSubscription:
    subscription = webhook_list(workspace).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(f"No webhook with id {subscription_id} in this workspace.")
    return subscription


def delivery_list(
    workspace: Workspace, subscription_id: int, status: str = ""
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.for_workspace(workspace).filter(
        subscription_id=subscription_id
    )
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries


def delivery_get(workspace: Workspace, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = delivery_list(workspace, subscription_id).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(f"No delivery with id {delivery_id} for this webhook.")
    return delivery
