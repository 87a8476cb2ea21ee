"""Background tasks of webhooks, run by `accord worker`: one task per delivery attempt on the
"webhooks" queue, and the hourly clean-up of expired idempotency records."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

PRUNE_EVERY = dt.timedelta(hours=1)


@task(queue_name="webhooks")
def deliver_webhook(workspace_id: int, delivery_id: int, attempt: int) -> str:
    """Make attempt number `attempt` of a delivery (a no-op if another task made it)."""
    from accord.integrations.webhooks.delivery import attempt_delivery

    return attempt_delivery(workspace_id=workspace_id, delivery_id=delivery_id, attempt=attempt)


def enqueue_attempt(
    workspace_id: int, delivery_id: int, attempt: int, run_after: dt.datetime | None = None
) -> None:
    runner = deliver_webhook if run_after is None else deliver_webhook.using(run_after=run_after)
    runner.enqueue(workspace_id, delivery_id, attempt)


@task(queue_name="default")
def prune_expired_records() -> int:
    """Delete idempotency records older than 24 hours and journal entries of in-place changes
    older than a week (`core.copy_changes`), then run again in an hour."""
    from accord.core import copy_changes
    from accord.integrations.inbound.idempotency import prune_idempotency_records

    deleted = prune_idempotency_records() + copy_changes.prune()
    prune_expired_records.using(run_after=timezone.now() + PRUNE_EVERY).enqueue()
    return deleted


def start_maintenance() -> int:
    """Called when a worker starts: prune now, and make sure the hourly prune is queued."""
    from django_tasks_db.models import DBTaskResult

    from accord.core import copy_changes
    from accord.integrations.inbound.idempotency import prune_idempotency_records

    deleted = prune_idempotency_records() + copy_changes.prune()
    queued = DBTaskResult.objects.filter(
        task_path=prune_expired_records.module_path, status="READY"
    ).exists()
    if not queued:
        prune_expired_records.using(run_after=timezone.now() + PRUNE_EVERY).enqueue()
    return deleted
