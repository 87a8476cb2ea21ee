"""An import killed with SIGKILL midway, run again, ends with exactly the file's rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from accord.crm.models import Contact, LedgerEntry
from accord.integrations.models import ImportJob

ROWS = 60_000


def _write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Email,First Name,Company Name,Lifecycle Stage\n")
        for i in range(ROWS):
            fh.write(f"person{i}@firm{i % 900}.example,P{i},Firm {i % 900},lead\n")


def _accord(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ACCORD_DEBUG": "1"}
    if connection.vendor == "sqlite":
        env["ACCORD_DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    else:
        s = connection.settings_dict
        env["ACCORD_DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "import", *args, "--workspace", "acme",
         "--user", "ana@acme.example", "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_kill_9_then_resume(workspace, importer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a file database shared with a second process")
    path = tmp_path / "big.csv"
    _write_file(path)
    process = _accord(str(path), "--mode", "valid-rows")
    deadline = time.monotonic() + 120
    job = None
    while time.monotonic() < deadline:
        job = ImportJob.objects.for_workspace(workspace).first()
        if job is not None and 0 < job.rows_done < ROWS:
            break
        if process.poll() is not None:
            pytest.fail(f"the import ended before it could be killed: {process.communicate()}")
        time.sleep(0.05)
    else:
        pytest.fail("the import made no progress")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    job.refresh_from_db()
    assert job.status == "running"
    assert 0 < job.rows_done < ROWS
    committed = Contact.objects.for_workspace(workspace).count()
    assert committed == job.rows_done  # each checkpoint commits with its rows

    resumed = _accord("--resume", str(job.pk))
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"created {ROWS}," in out  # the job's totals include the rows of the first run
    assert Contact.objects.for_workspace(workspace).count() == ROWS
    assert LedgerEntry.objects.for_workspace(workspace).count() == ROWS
    emails = Contact.objects.for_workspace(workspace).values_list("email", flat=True)
    assert len(set(emails)) == ROWS


@pytest.mark.django_db
def test_an_all_or_nothing_run_is_alive_through_its_progress_file(
    workspace, importer, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from accord.identity.actor import Actor, Source
    from accord.integrations.importing import jobs, progress
    from accord.integrations.tasks import requeue_stale_imports

    path = tmp_path / "c.csv"
    path.write_text("Email\nana@x.example\n", encoding="utf-8")
    job = jobs.import_create(
        actor=Actor.for_membership(importer, Source.CLI), path=path, file_name="c.csv",
        record_type="contacts",
    )  # fmt: skip
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ImportJob.objects.for_workspace(workspace).filter(pk=job.pk).update(
        status="running", heartbeat_at=long_ago, rows_done=0
    )
    job.refresh_from_db()
    job.rows_done = 40_000
    progress.write_progress(job)  # what a live all-or-nothing run writes every second
    assert (
        progress.live_progress(ImportJob.objects.for_workspace(workspace).get(pk=job.pk)).rows_done
        == 40_000
    )
    assert requeue_stale_imports() == 0  # alive: not queued a second time
    progress.drop_progress(job.pk)
    assert requeue_stale_imports() == 1  # no sign of life: resumed by the worker
