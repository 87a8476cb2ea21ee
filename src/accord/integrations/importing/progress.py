"""Live progress of import jobs whose database writes are not committed yet."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accord.integrations.models import ImportJob, JobStatus


def sidecar_path(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "jobs" / f"import-{job_id}.json"


def write_progress(job: ImportJob) -> None:
    """Progress of a job whose database writes are not committed yet (an all-or-nothing file
    is one transaction): a small file beside the database, so the web page, the API and the
    worker's stale-job check can see that it is alive and how far it is."""
    path = sidecar_path(job.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"rows_done": job.rows_done, "heartbeat": timezone.now().isoformat()})
    )
    temporary.replace(path)


def live_progress(job: ImportJob) -> ImportJob:
    """Overlay the progress file (when it is newer) on a running job read from the database."""
    if job.status != JobStatus.RUNNING:
        return job
    try:
        data = json.loads(sidecar_path(job.pk).read_text())
        heartbeat = dt.datetime.fromisoformat(data["heartbeat"])
    except (OSError, ValueError, KeyError):
        return job
    if job.heartbeat_at is None or heartbeat > job.heartbeat_at:
        job.rows_done = max(job.rows_done, int(data["rows_done"]))
        job.heartbeat_at = heartbeat
    return job


def drop_progress(job_id: int) -> None:
    sidecar_path(job_id).unlink(missing_ok=True)
