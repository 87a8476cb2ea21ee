"""Background tasks of the integrations context, run by `accord worker`."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from accord.integrations.models import ImportJob, JobStatus

STALE_AFTER = dt.timedelta(minutes=2)


@task(queue_name="imports")
def run_import(workspace_id: int, job_id: int) -> dict[str, int]:
    from accord.integrations.importing.jobs import import_run

    job = import_run(workspace_id=workspace_id, job_id=job_id)
    return job.summary


def enqueue_import(job: ImportJob) -> None:
    run_import.enqueue(job.workspace_id, job.pk)


def requeue_stale_imports() -> int:
    """Imports whose process died (no heartbeat for two minutes) are queued again; the run
    resumes from its last checkpoint."""
    from accord.integrations.importing.progress import live_progress

    cutoff = timezone.now() - STALE_AFTER
    stale = ImportJob.objects.across_workspaces().filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=cutoff
    )
    count = 0
    for job in stale:
        # An all-or-nothing run commits its heartbeat only at the end; its progress file says
        # whether it is still alive.
        heartbeat = live_progress(job).heartbeat_at
        if heartbeat is not None and heartbeat >= cutoff:
            continue
        enqueue_import(job)
        count += 1
    return count
