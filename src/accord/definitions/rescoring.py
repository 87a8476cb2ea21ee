"""Keeping scores current: re-evaluation when a contact or its engagement changes, and full
re-scores as resumable jobs with progress.

- A contact created or edited, a touchpoint recorded or an activity logged re-scores that
  contact as soon as its transaction commits (`on_record_event`, subscribed at start-up).
- Bulk changes (a finished import, a newly activated definition, the daily pass that applies
  decay) queue a `RescoreJob`; the worker runs it in contact-id slices and records progress
  after each slice. Evaluation is idempotent, so a job interrupted half-way is simply run again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from accord.core.errors import Conflict, NotFound
from accord.core.events import Event
from accord.crm.models import Contact
from accord.definitions.contact_loading import ContactTable
from accord.definitions.copy_inputs import read_from_copy
from accord.definitions.document import CONTACT_ATTRIBUTES, parse_stored_document
from accord.definitions.evaluation import evaluate_contacts
from accord.definitions.event_loading import EventTable, load_event_table_for
from accord.definitions.models import JobState, RescoreJob
from accord.definitions.score_store import StoredScores, read_stored_scores
from accord.definitions.selectors import active_definition
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace
from accord.identity.permissions import Action

logger = logging.getLogger(__name__)

SLICE = 100_000  # contact ids per evaluation slice: bounded memory, visible progress
STALE_AFTER = dt.timedelta(minutes=10)
_RESCORE_AFTER_IMPORT = {"contacts", "companies", "touchpoints", "activities"}
# The contact fields a score can read: its attributes, the email (domain signals), the company
# (company attributes) and custom fields. A change to anything else (owner, name, phone, lead
# status) cannot move a score, so it is not re-scored: routing thousands of new MQLs to their
# owners after a re-score would otherwise re-score each of them again, one by one.
SCORED_CONTACT_FIELDS = frozenset(
    {*CONTACT_ATTRIBUTES, "email", "company", "company_id", "custom_fields"}
)


def _event_contacts(event: Event) -> list[int]:
    data = event.data
    if event.name == "contact.updated":
        fields = data.get("fields")
        if isinstance(fields, list) and not SCORED_CONTACT_FIELDS.intersection(fields):
            return []
        return [int(data["contact_id"])]
    if event.name == "contact.created":
        return [int(data["contact_id"])]
    if event.name in {"touchpoint.recorded", "activity.logged"} and data.get("contact_id"):
        return [int(data["contact_id"])]
    if event.name in {"touchpoints.recorded", "touchpoint.changed", "activity.changed"}:
        return [int(c) for c in data.get("contact_ids", []) if c is not None]
    return []


def on_record_event(event: Event) -> None:
    """Re-score the contacts an event touched; queue a full re-score after an import."""
    if event.name == "import.finished":
        wrote = int(event.data.get("created", 0)) + int(event.data.get("updated", 0))
        if event.data.get("record_type") in _RESCORE_AFTER_IMPORT and wrote:
            workspace = Workspace.objects.get(pk=event.workspace_id)
            if active_definition(workspace) is not None:
                rescore_queue(Actor.system(workspace, Source.RULE, rule="import finished"))
        return
    contact_ids = _event_contacts(event)
    if not contact_ids or active_definition(event.workspace_id) is None:
        return
    workspace = Workspace.objects.get(pk=event.workspace_id)
    evaluate_contacts(Actor.system(workspace, Source.RULE), contact_ids)


def _enqueue(job: RescoreJob) -> None:
    from accord.definitions.tasks import run_rescore

    run_rescore.enqueue(job.workspace_id, job.pk)


def rescore_queue(actor: Actor) -> RescoreJob:
    """Queue a full re-score with the active definition (one queued job at a time)."""
    if actor.user is not None:
        actor.require(Action.EDIT_DEFINITIONS)
    definition = active_definition(actor.workspace)
    if definition is None:
        raise Conflict("There is no active lead definition to score with yet.")
    with transaction.atomic():
        waiting = (
            RescoreJob.objects.for_workspace(actor.workspace)
            .select_for_update()
            .filter(status=JobState.QUEUED)
            .first()
        )
        if waiting is not None:
            return waiting
        job = RescoreJob.objects.create(
            workspace=actor.workspace,
            requested_by=actor.user,
            definition_version=definition.version,
        )
        transaction.on_commit(lambda: _enqueue(job))
    return job


def _slices(workspace: Workspace) -> list[tuple[int, int]]:
    bounds = Contact.objects.for_workspace(workspace).aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    return [(lo, lo + SLICE) for lo in range(bounds["lo"], bounds["hi"] + 1, SLICE)]


@dataclass(frozen=True)
class _BulkTables:
    """What a job with several slices reads once instead of per slice (None: per slice)."""

    contacts: ContactTable | None = None
    events: EventTable | None = None
    scores: StoredScores | None = None


def _bulk_tables(workspace: Workspace) -> _BulkTables:
    """All scored events (and, from the columnar copy, all contacts) and the stored scores,
    read once when the job has several slices."""
    definition = active_definition(workspace)
    if definition is None or len(_slices(workspace)) < 2:
        return _BulkTables()
    doc = parse_stored_document(definition.document)
    if connection.in_atomic_block:  # a second connection would not see this transaction
        copied = read_from_copy(workspace.pk, doc)
        scores = read_stored_scores(workspace.pk)
    else:  # the stored scores come from the record store while the copy is read
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(_stored_scores_in_thread, workspace.pk)
            copied = read_from_copy(workspace.pk, doc)
            scores = reading.result()
    if copied is not None:
        return _BulkTables(copied.contacts, copied.events, scores)
    return _BulkTables(None, load_event_table_for(workspace.pk, doc), scores)


def _stored_scores_in_thread(workspace_id: int) -> StoredScores:
    try:
        return read_stored_scores(workspace_id)
    finally:
        connection.close()  # this thread's own connection


def rescore_run(
    workspace_id: int, job_id: int, progress: Callable[[RescoreJob], None] | None = None
) -> RescoreJob:
    """Run (or run again) a re-score job to the end, slice by slice."""
    workspace = Workspace.objects.get(pk=workspace_id)
    job = RescoreJob.objects.for_workspace(workspace).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No re-score job with id {job_id} in this workspace.")
    if job.status == JobState.SUCCEEDED:
        return job
    actor = Actor.system(workspace, Source.RULE, rule="re-score job")
    scoped = RescoreJob.objects.for_workspace(workspace).filter(pk=job.pk)
    total = Contact.objects.for_workspace(workspace).count()
    now = timezone.now()
    scoped.update(status=JobState.RUNNING, started_at=now, total=total, done=0, updated_at=now)
    try:
        bulk = _bulk_tables(workspace)
        for id_range in _slices(workspace):
            result = evaluate_contacts(
                actor,
                id_range=id_range,
                as_of=now,
                event_table=bulk.events,
                contact_table=bulk.contacts,
                stored_scores=bulk.scores,
            )
            scoped.update(
                done=F("done") + result.scored,
                promoted=F("promoted") + result.promoted,
                demoted=F("demoted") + result.demoted,
                definition_version=result.version,
                updated_at=timezone.now(),
            )
            if progress is not None:
                progress(scoped.get())
    except Exception as exc:
        logger.exception("re-score job %s failed", job.pk)
        scoped.update(status=JobState.FAILED, message=str(exc)[:500], finished_at=timezone.now())
        raise
    scoped.update(status=JobState.SUCCEEDED, finished_at=timezone.now(), message="")
    return scoped.get()


def requeue_stale_rescores() -> int:
    """Jobs whose worker died mid-run (no progress for ten minutes) are queued again."""
    cutoff = timezone.now() - STALE_AFTER
    stale = list(
        RescoreJob.objects.across_workspaces().filter(
            status=JobState.RUNNING, updated_at__lt=cutoff
        )
    )
    for job in stale:
        _enqueue(job)
    return len(stale)


def rescore_all_active() -> int:
    """Queue a re-score in every workspace with an active definition (the daily decay pass)."""
    from accord.definitions.models import DefinitionStatus, LeadDefinition

    ids = (
        LeadDefinition.objects.across_workspaces()
        .filter(status=DefinitionStatus.ACTIVE)
        .values_list("workspace_id", flat=True)
    )
    queued = 0
    for workspace in Workspace.objects.filter(pk__in=list(ids)):
        rescore_queue(Actor.system(workspace, Source.RULE, rule="daily re-score"))
        queued += 1
    return queued
