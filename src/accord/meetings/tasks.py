"""Background work of joint meetings, run by `accord worker`: the reminder pass (action items
due tomorrow or overdue, the meeting tomorrow), hourly; each reminder goes out once a day."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

EVERY = dt.timedelta(hours=1)


@task(queue_name="default")
def meeting_reminders() -> dict[str, int]:
    from accord.meetings.reminders import send_reminders

    try:
        return send_reminders()
    finally:  # the schedule goes on whatever happened
        meeting_reminders.using(run_after=timezone.now() + EVERY).enqueue()


def start_meeting_reminders() -> None:
    """Called when a worker starts: make sure one reminder pass is scheduled (a READY task)."""
    from django_tasks_db.models import DBTaskResult

    scheduled = DBTaskResult.objects.filter(
        task_path=meeting_reminders.module_path, status="READY"
    ).exists()
    if not scheduled:
        meeting_reminders.enqueue()
