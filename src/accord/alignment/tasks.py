"""Background work of the alignment survey, run by `accord worker`: once a day, close the pulses
whose time is up and remind the members who have not answered the open ones."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

DAILY = dt.timedelta(days=1)


@task(queue_name="default")
def tend_pulses() -> dict[str, int]:
    from accord.alignment.services import pulses_tend

    done = pulses_tend()
    tend_pulses.using(run_after=timezone.now() + DAILY).enqueue()
    return done


def start_pulse_tending() -> None:
    """Called when a worker starts: make sure one daily pass is scheduled."""
    from django_tasks_db.models import DBTaskResult

    if not DBTaskResult.objects.filter(task_path=tend_pulses.module_path, status="READY").exists():
        tend_pulses.enqueue()
