"""A full re-score killed with SIGKILL after some of its slices committed: the worker picks the
job up again and the end state equals a clean run's: every contact scored once, exactly one
lead -> MQL ledger row per qualifying contact, none for the others."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accord.crm.models import Contact, LedgerEntry
from accord.definitions.models import ContactScore, JobState, RescoreJob
from accord.definitions.tests.factories import active_version
from accord.marketing.models import Touchpoint
from tests.faults.support import kill_when, needs_a_shared_database, python

CONTACTS = 3000
SLICE = 100  # lowered in the killed process so that a small workspace spans 30 slices


def _contacts(workspace) -> None:  # type: ignore[no-untyped-def]
    """Half the contacts are VPs with a form fill (they qualify), half are not."""
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(workspace=workspace, email=f"c{i}@firm{i % 50}.example", lifecycle_stage="lead",
                seniority="vp" if i % 2 == 0 else "", created_at=now)
        for i in range(CONTACTS)
    )  # fmt: skip
    ids = list(Contact.objects.for_workspace(workspace).values_list("pk", flat=True))
    LedgerEntry.objects.bulk_create(
        LedgerEntry(workspace=workspace, contact_id=pk, from_stage="", to_stage="lead",
                    occurred_at=now, source="system", reason="created")
        for pk in ids
    )  # fmt: skip
    Touchpoint.objects.bulk_create(
        Touchpoint(workspace=workspace, contact_id=pk, channel="organic_search", type="form_fill",
                   occurred_at=now - dt.timedelta(days=1))
        for pk in ids
    )  # fmt: skip


def _mql_rows(workspace) -> int:  # type: ignore[no-untyped-def]
    return LedgerEntry.objects.for_workspace(workspace).filter(to_stage="mql").count()


@pytest.mark.django_db(transaction=True)
def test_a_killed_rescore_resumes_with_nothing_lost_or_duplicated(workspace) -> None:  # type: ignore[no-untyped-def]
    needs_a_shared_database()
    active_version(workspace)
    _contacts(workspace)
    process = python(
        "from accord.definitions import rescoring\n"
        f"rescoring.SLICE = {SLICE}\n"
        "from django.core.management import call_command\n"
        "call_command('rescore', '--workspace', 'acme')\n"
    )

    def partial() -> bool:
        job = RescoreJob.objects.for_workspace(workspace).first()
        return job is not None and 0 < job.done < CONTACTS

    kill_when(process, partial)
    job = RescoreJob.objects.for_workspace(workspace).get()
    assert job.status == JobState.RUNNING
    assert 0 < job.done < CONTACTS
    assert 0 < _mql_rows(workspace) < CONTACTS // 2  # some slices committed, not all

    # Ten minutes without progress: the next worker start queues the job again.
    RescoreJob.objects.for_workspace(workspace).filter(pk=job.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=11)
    )
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)  # a new worker, after the crash
    assert "Resuming 1 interrupted re-score(s)." in out.getvalue()

    job.refresh_from_db()
    assert (job.status, job.done) == (JobState.SUCCEEDED, CONTACTS)
    assert ContactScore.objects.for_workspace(workspace).count() == CONTACTS
    assert _mql_rows(workspace) == CONTACTS // 2
    twice = (
        LedgerEntry.objects.for_workspace(workspace)
        .filter(to_stage="mql")
        .values("contact_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    stages = Contact.objects.for_workspace(workspace).values_list("seniority", "lifecycle_stage")
    assert {(s, stage) for s, stage in stages} == {("vp", "mql"), ("", "lead")}
