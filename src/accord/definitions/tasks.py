"""Background tasks of lead definitions, run by `accord worker`: queued re-scores and the daily
pass that applies time decay (and the demotions it causes) in every workspace."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

DAILY = dt.timedelta(days=1)


@task(queue_name="default")
def run_rescore(workspace_id: int, job_id: int) -> dict[str, int]:
    from accord.definitions.rescoring import rescore_run

    job = rescore_run(workspace_id, job_id)
    return {"scored": job.done, "promoted": job.promoted, "demoted": job.demoted}


@task(queue_name="default")
def rescore_daily() -> int:
    """Queue a re-score in every workspace with an active definition, then run again tomorrow."""
    from accord.definitions.rescoring import rescore_all_active

    queued = rescore_all_active()
    rescore_daily.using(run_after=timezone.now() + DAILY).enqueue()
    return queued


def start_rescoring() -> int:
    """Called when a worker starts: resume interrupted re-scores and make sure the daily pass
    and the weekly retraining of predictive models are scheduled. Returns the number of
    resumed jobs."""
    from django_tasks_db.models import DBTaskResult

    from accord.definitions.predictive.tasks import schedule_weekly_retraining
    from accord.definitions.rescoring import requeue_stale_rescores

    resumed = requeue_stale_rescores()
    schedule_weekly_retraining()  # the predictive models learn from the newest history
    scheduled = DBTaskResult.objects.filter(
        task_path=rescore_daily.module_path, status="READY"
    ).exists()
    if not scheduled:
        rescore_daily.using(run_after=timezone.now() + DAILY).enqueue()
    return resumed
