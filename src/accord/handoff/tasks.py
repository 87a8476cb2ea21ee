"""Background work of the handoff, run by `accord worker`: the SLA sweep every 30 seconds
(breaches, escalations, MQLs the router missed), escalation delivery, and the daily return of
recycled leads whose re-engagement date has come."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

SWEEP_EVERY = dt.timedelta(seconds=30)
DAILY = dt.timedelta(days=1)


@task(queue_name="default")
def sla_sweep() -> dict[str, int]:
    from accord.handoff.sweep import sweep_all

    try:
        return sweep_all()
    finally:  # even if this sweep failed: one bad run must not end the sweeps for good
        sla_sweep.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()


@task(queue_name="default")
def deliver_escalations(workspace_id: int) -> int:
    from accord.handoff.notify import deliver_pending

    return deliver_pending(workspace_id)


@task(queue_name="default")
def reengage_daily() -> int:
    from accord.handoff.sweep import reengage_due

    try:
        return reengage_due()
    finally:  # as the sweep: tomorrow's pass is scheduled whatever happened today
        reengage_daily.using(run_after=timezone.now() + DAILY).enqueue()


def start_sla_sweeps() -> None:
    """Called when a worker starts: make sure one sweep and one daily re-engagement pass are
    scheduled (a READY task of each)."""
    from django_tasks_db.models import DBTaskResult

    for scheduled_task in (sla_sweep, reengage_daily):
        pending = DBTaskResult.objects.filter(
            task_path=scheduled_task.module_path, status="READY"
        ).exists()
        if not pending:
            scheduled_task.enqueue()
