"""Erasing a contact: the contact with everything that points to it (ledger rows, touchpoints,
activities, handoffs with their disputes, escalations and rejection reviews, scores,
predictions, experiment assignments, contact-cap violations), and its personal data kept
elsewhere: stored responses of idempotent requests, webhook deliveries, rows of stored import
files and their row errors, and the columnar copy. Deals stay, without their primary contact,
so revenue, pipeline and recognition do not change. Audited as `contact.erased`, with counts
and no personal field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accord.core.errors import Conflict
from accord.crm.models import Activity, Contact, Deal, LedgerEntry
from accord.crm.services.records import locked
from accord.experiments.models import Assignment
from accord.handoff.models import Handoff
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.integrations.models import DeliveryStatus, ImportJob, ImportRowError, JobStatus
from accord.integrations.privacy import copies, files, matching
from accord.marketing.models import Touchpoint

REDACTED = "personal data erased"
_UNFINISHED = (JobStatus.PENDING, JobStatus.RUNNING)


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed and scrubbed (counts only: the audit entry's `after`)."""

    contact_id: int
    removed: dict[str, int]
    scrubbed: dict[str, int]
    deals_kept: int

    def as_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "removed": self.removed,
            "scrubbed": self.scrubbed,
            "deals_kept": self.deals_kept,
        }


def _counts(ws: int, contact: Contact) -> dict[str, int]:
    def count(model: Any) -> int:
        return int(model.objects.for_workspace(ws).filter(contact=contact).count())

    return {
        "ledger_entries": count(LedgerEntry),
        "touchpoints": count(Touchpoint),
        "activities": count(Activity),
        "handoffs": count(Handoff),
        "experiment_assignments": count(Assignment),
    }


def _redact_deliveries(ws: int, who: matching.Identity) -> int:
    found = matching.deliveries_naming(ws, who)
    for delivery in found:
        payload = delivery.payload if isinstance(delivery.payload, dict) else {}
        delivery.payload = {
            **{k: payload[k] for k in ("id", "event", "occurred_at") if k in payload},
            "redacted": REDACTED,
        }
        fields = ["payload", "updated_at"]
        if not delivery.is_final:  # never send what names an erased contact
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = "Not sent: it named a contact that was erased."
            fields += ["status", "next_attempt_at", "last_error"]
        delivery.save(update_fields=fields)
    return len(found)


def _redact_idempotency(ws: int, who: matching.Identity) -> int:
    found = matching.idempotency_records_naming(ws, who)
    for record in found:  # a replay answers this, not the work done again
        record.response_body = json.dumps({"redacted": REDACTED})
        record.save(update_fields=["response_body", "updated_at"])
    return len(found)


def _scrub_imports(ws: int, who: matching.Identity) -> tuple[int, int, list[Path]]:
    """Blank the contact's rows in stored import files and clear its row errors' values;
    returns (rows blanked, row errors cleared, files to remove once committed)."""
    found = matching.import_files_naming(ws, who)
    if any(job.status in _UNFINISHED for f in found for job in f.jobs):
        raise Conflict(
            "An import that holds this contact has not finished; erase it once the import is done."
        )
    blanked, replaced = 0, []
    errors = {e.pk for e in matching.row_errors_naming(ws, who)}
    for file in found:
        if file.unreadable or not file.rows:
            continue
        target, sha, size = files.blank_rows(file.path, set(file.rows))
        ImportJob.objects.for_workspace(ws).filter(stored_path=str(file.path)).update(
            stored_path=str(target), file_sha256=sha, file_size=size, updated_at=timezone.now()
        )
        errors |= set(
            ImportRowError.objects.filter(job__in=file.jobs, row__in=list(file.rows)).values_list(
                "pk", flat=True
            )
        )
        blanked += len(file.rows) * len(file.jobs)
        if target != file.path:
            replaced.append(file.path)
    ImportRowError.objects.filter(pk__in=errors).update(value="")
    return blanked, len(errors), replaced


def _admin_log_delete(contact: Contact) -> int:
    """Django admin's change log names the record it changed (its text, e.g. the email)."""
    kind = ContentType.objects.get_for_model(Contact)
    deleted, _ = LogEntry.objects.filter(content_type=kind, object_id=str(contact.pk)).delete()
    return deleted


@transaction.atomic
def erase_contact(*, actor: Actor, contact_id: int) -> Erasure:
    """Erase the contact of the actor's workspace (admins and managers). Everything happens in
    one transaction; the replaced import files go, and the contact leaves the columnar copy,
    once it commits."""
    actor.require(Action.MANAGE_PERSONAL_DATA)
    contact = locked(Contact, actor, contact_id, "contact")
    ws = actor.workspace.pk
    who = matching.Identity.of(contact)
    removed = _counts(ws, contact)
    rows_blanked, errors_cleared, old_files = _scrub_imports(ws, who)
    scrubbed = {
        "webhook_deliveries": _redact_deliveries(ws, who),
        "idempotency_records": _redact_idempotency(ws, who),
        "import_rows": rows_blanked,
        "import_row_errors": errors_cleared,
        "admin_log_entries": _admin_log_delete(contact),
    }
    # Deals stay; the change time moves so the columnar copies pick up the cleared contact.
    deals_kept = (
        Deal.objects.for_workspace(ws)
        .filter(primary_contact=contact)
        .update(primary_contact=None, updated_at=timezone.now())
    )
    contact.delete()
    transaction.on_commit(lambda: _after_commit(contact_id, old_files))
    erasure = Erasure(contact_id, removed, scrubbed, deals_kept)
    audit.record(
        actor,
        "contact.erased",
        object_type="contact",
        object_id=contact_id,
        label=f"contact {contact_id}",
        after=erasure.as_json(),
    )
    return erasure


def _after_commit(contact_id: int, old_files: list[Path]) -> None:
    for path in old_files:
        path.unlink(missing_ok=True)
    copies.remove_from_columnar(contact_id)
