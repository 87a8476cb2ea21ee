"""The subject access document: everything Accord holds about one contact, as one JSON
document (`SCHEMA_VERSION`). Reading it is audited (`contact.personal_data_exported`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.alignment.models import RejectionReview
from accord.attribution.models import Recognition
from accord.core.errors import NotFound
from accord.crm.models import Activity, Contact, Deal, LedgerEntry
from accord.definitions.models import ContactPrediction, ContactScore, LeadDefinition
from accord.experiments.models import Assignment
from accord.handoff.models import ContactCapViolation, Dispute, Escalation, Handoff
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.audit_models import AuditEntry
from accord.identity.permissions import Action
from accord.integrations.models import ImportRowError
from accord.integrations.privacy import matching
from accord.integrations.privacy.document import fields, plain, rows
from accord.marketing.models import Touchpoint

SCHEMA_VERSION = 1

# Every model with a foreign key to Contact, and the section of the document that holds its
# rows. A test fails when a model gains such a key and is not listed here.
SECTIONS: dict[str, str] = {
    "crm.LedgerEntry": "ledger",
    "crm.Deal": "deals",
    "crm.Activity": "activities",
    "marketing.Touchpoint": "touchpoints",
    "definitions.ContactScore": "score",
    "definitions.ContactPrediction": "prediction",
    "handoff.Handoff": "handoffs",
    "handoff.ContactCapViolation": "contact_cap_violations",
    "experiments.Assignment": "experiment_assignments",
}


def contact_for(actor: Actor, contact_id: int) -> Contact:
    """The contact of the actor's workspace; another workspace's is reported as missing."""
    contact = Contact.objects.for_workspace(actor.workspace).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(f"No contact with id {contact_id} in this workspace.")
    return contact


def _contact(contact: Contact) -> dict[str, Any]:
    return fields(contact, leave_out=("workspace", "company", "owner"))


def _company(contact: Contact) -> dict[str, Any] | None:
    company = contact.company
    return (
        None
        if company is None
        else {"id": company.pk, "name": company.name, "domain": company.domain}
    )


def _owner(contact: Contact) -> dict[str, Any] | None:
    owner = contact.owner
    return None if owner is None else {"id": owner.pk, "name": owner.display_name}


def _score(ws: int, contact: Contact) -> dict[str, Any] | None:
    score = ContactScore.objects.for_workspace(ws).filter(contact=contact).first()
    if score is None:
        return None
    found = fields(score, leave_out=("workspace", "contact", "id"))
    version = (
        LeadDefinition.objects.for_workspace(ws).filter(version=score.definition_version).first()
    )
    found["definition"] = None if version is None else {
        "version": version.version,
        "status": version.status,
        "activated_at": plain(version.activated_at),
        "retired_at": plain(version.retired_at),
    }  # fmt: skip
    return found


def _prediction(ws: int, contact: Contact) -> dict[str, Any] | None:
    found = ContactPrediction.objects.for_workspace(ws).filter(contact=contact).first()
    return None if found is None else fields(found, leave_out=("workspace", "contact", "id"))


def _handoffs(ws: int, contact: Contact) -> list[dict[str, Any]]:
    handoffs = list(Handoff.objects.for_workspace(ws).filter(contact=contact).order_by("pk"))
    ids = [h.pk for h in handoffs]
    disputes = {
        d.handoff_id: d for d in Dispute.objects.for_workspace(ws).filter(handoff_id__in=ids)
    }
    reviews = {
        r.handoff_id: r
        for r in RejectionReview.objects.for_workspace(ws).filter(handoff_id__in=ids)
    }
    escalations = Escalation.objects.for_workspace(ws).filter(handoff_id__in=ids).order_by("pk")
    found = []
    skip = ("workspace", "contact")
    for handoff in handoffs:
        item = fields(handoff, leave_out=skip)
        item["reason_label"] = handoff.reason.label if handoff.reason else None
        dispute, review = disputes.get(handoff.pk), reviews.get(handoff.pk)
        item["dispute"] = (
            None if dispute is None else fields(dispute, leave_out=("workspace", "handoff"))
        )
        item["rejection_review"] = (
            None if review is None else fields(review, leave_out=("workspace", "handoff"))
        )
        item["escalations"] = rows(
            [e for e in escalations if e.handoff_id == handoff.pk],
            leave_out=("workspace", "handoff"),
        )
        found.append(item)
    return found


def _deals(ws: int, contact: Contact) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    deals = list(Deal.objects.for_workspace(ws).filter(primary_contact=contact).order_by("pk"))
    keep = ("id", "name", "status", "amount", "currency", "stage", "owner", "company",
            "created_at", "closed_at", "source")  # fmt: skip
    listed = [
        {**fields(d, leave_out=[f.name for f in d._meta.concrete_fields if f.name not in keep]),
         "stage_label": d.stage.label}
        for d in deals
    ]  # fmt: skip
    recognitions = Recognition.objects.for_workspace(ws).filter(deal__in=deals).order_by("pk")
    return listed, rows(recognitions)


def _imports(ws: int, who: matching.Identity) -> list[dict[str, Any]]:
    found = []
    for file in matching.import_files_naming(ws, who):
        for job in file.jobs:
            item: dict[str, Any] = {
                "job_id": job.pk,
                "record_type": job.record_type,
                "file_name": job.file_name,
                "status": job.status,
                "created_at": plain(job.created_at),
                "rows": [
                    {"row": n, "cells": dict(zip(file.header, cells, strict=False))}
                    for n, cells in sorted(file.rows.items())
                ],
            }
            if file.unreadable:
                item["unreadable"] = file.unreadable
            found.append(item)
    found.sort(key=lambda item: item["job_id"])
    return found


def _row_errors(
    ws: int, who: matching.Identity, imports: list[dict[str, Any]]
) -> list[ImportRowError]:
    in_rows = Q()
    for item in imports:
        numbers = [r["row"] for r in item["rows"]]
        if numbers:
            in_rows |= Q(job_id=item["job_id"], row__in=numbers)
    by_row = list(ImportRowError.objects.filter(in_rows)) if in_rows else []
    by_value = matching.row_errors_naming(ws, who)
    return sorted({e.pk: e for e in [*by_row, *by_value]}.values(), key=lambda e: e.pk)


def _audit(ws: int, contact: Contact, handoff_ids: list[int]) -> list[dict[str, Any]]:
    about = Q(object_type="contact", object_id=str(contact.pk))
    if handoff_ids:
        about |= Q(object_type="handoff", object_id__in=[str(i) for i in handoff_ids])
    entries = AuditEntry.objects.for_workspace(ws).filter(about).order_by("occurred_at", "pk")
    return rows(entries, leave_out=("workspace", "user"))


def _of(model: Any, ws: int, contact: Contact, *order: str) -> list[dict[str, Any]]:
    found = model.objects.for_workspace(ws).filter(contact=contact).order_by(*order, "pk")
    return rows(found, leave_out=("workspace", "contact"))


def _assignments(ws: int, contact: Contact) -> list[dict[str, Any]]:
    found = Assignment.objects.for_workspace(ws).filter(contact=contact)
    return [
        {
            **fields(a, leave_out=("workspace", "contact")),
            "experiment_name": a.experiment.name,
            "variant_key": a.variant.key,
        }
        for a in found.select_related("experiment", "variant").order_by("pk")
    ]


def personal_data(contact: Contact) -> dict[str, Any]:
    """The document, read as it stands (no permission check; `personal_data_export` does it)."""
    ws = contact.workspace_id
    who = matching.Identity.of(contact)
    handoffs = _handoffs(ws, contact)
    deals, recognitions = _deals(ws, contact)
    imports = _imports(ws, who)
    outside = ("workspace",)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "workspace": {"id": ws, "name": contact.workspace.name},
        "contact": _contact(contact),
        "company": _company(contact),
        "owner": _owner(contact),
        "ledger": _of(LedgerEntry, ws, contact, "occurred_at"),
        "touchpoints": _of(Touchpoint, ws, contact, "occurred_at"),
        "activities": _of(Activity, ws, contact, "occurred_at"),
        "handoffs": handoffs,
        "deals": deals,
        "recognitions": recognitions,
        "score": _score(ws, contact),
        "prediction": _prediction(ws, contact),
        "contact_cap_violations": _of(ContactCapViolation, ws, contact),
        "experiment_assignments": _assignments(ws, contact),
        "idempotency_records": rows(
            matching.idempotency_records_naming(ws, who), leave_out=outside
        ),
        "webhook_deliveries": rows(matching.deliveries_naming(ws, who), leave_out=outside),
        "imports": imports,
        "import_row_errors": rows(_row_errors(ws, who, imports)),
        "audit_entries": _audit(ws, contact, [h["id"] for h in handoffs]),
    }


@transaction.atomic
def personal_data_export(*, actor: Actor, contact_id: int) -> dict[str, Any]:
    """Everything held about the contact, for an admin or a manager; the export is audited
    (with the sections' sizes, no personal field)."""
    actor.require(Action.MANAGE_PERSONAL_DATA)
    contact = contact_for(actor, contact_id)
    document = personal_data(contact)
    sizes = {k: len(v) for k, v in document.items() if isinstance(v, list)}
    audit.record(
        actor,
        "contact.personal_data_exported",
        object_type="contact",
        object_id=contact.pk,
        label=f"contact {contact.pk}",
        after={"schema_version": SCHEMA_VERSION, "sections": sizes},
    )
    return document
