"""Contacts: created, updated and deleted only here. Stage changes go through the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.channels import Channel
from accord.core.errors import Conflict, ValidationFailed
from accord.core.events import publish
from accord.crm.models import Company, Contact, LeadStatus, Seniority
from accord.crm.services import ledger
from accord.crm.services.records import apply, locked
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action

CONTACT_FIELDS: dict[str, c.Cleaner] = {
    "email": c.email,
    "first_name": c.Text(100),
    "last_name": c.Text(100),
    "title": c.Text(150),
    "seniority": c.Choice(Seniority),
    "department": c.Text(60),
    "phone": c.Text(40),
    "company_id": c.Ref(Company, "company"),
    "country": c.country,
    "owner_id": member,
    "lifecycle_stage": c.Text(32),
    "lead_status": c.Choice(LeadStatus),
    "original_source": c.Choice(Channel),
    "utm_source": c.Text(200),
    "utm_medium": c.Text(200),
    "utm_campaign": c.Text(200),
    "utm_content": c.Text(200),
    "utm_term": c.Text(200),
    "external_id": c.Text(100),
    "custom_fields": c.json_object,
    "created_at": c.datetime,
}


def _check_email_free(actor: Actor, email: str, exclude_pk: int | None = None) -> None:
    clash = Contact.objects.for_workspace(actor.workspace).filter(email=email)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    existing = clash.values_list("pk", flat=True).first()
    if existing is not None:
        raise Conflict(
            f"A contact with email {email} exists already (id {existing}).",
            fields={"email": [f"Already used by contact {existing}."]},
        )


@transaction.atomic
def contact_create(*, actor: Actor, values: Mapping[str, Any]) -> Contact:
    """Create a contact and write its first lifecycle stage to the ledger."""
    actor.require(Action.WRITE_RECORDS)
    cleaned = c.clean(CONTACT_FIELDS, values, actor.workspace.pk, required=["email"])
    cleaned["lifecycle_stage"] = ledger.validate_stage(
        actor.workspace.pk, cleaned.get("lifecycle_stage") or "lead"
    )
    if cleaned.get("created_at") is None:
        cleaned.pop("created_at", None)
    _check_email_free(actor, cleaned["email"])
    contact = Contact.objects.create(workspace=actor.workspace, **cleaned)
    ledger.record_initial_stage(actor=actor, contact=contact)
    publish(
        actor.workspace.pk,
        "contact.created",
        {
            "contact_id": contact.pk,
            "email": contact.email,
            "name": contact.full_name,
            "stage": contact.lifecycle_stage,
        },
    )
    return contact


@transaction.atomic
def contact_update(
    *, actor: Actor, contact_id: int, values: Mapping[str, Any], reason: str = ""
) -> Contact:
    """Update a contact. A new `lifecycle_stage` is applied through the ledger."""
    actor.require(Action.WRITE_RECORDS)
    contact = locked(Contact, actor, contact_id, "contact")
    cleaned = c.clean(CONTACT_FIELDS, values, actor.workspace.pk)
    if "created_at" in cleaned:
        raise ValidationFailed.single("created_at", "The creation time cannot be changed.")
    if "email" in cleaned:
        _check_email_free(actor, cleaned["email"], exclude_pk=contact.pk)
    new_stage = cleaned.pop("lifecycle_stage", None)
    if new_stage is not None:
        ledger.validate_stage(actor.workspace.pk, new_stage)
    if changed := apply(contact, cleaned):
        contact.save(update_fields=[*changed, "updated_at"])
        publish(
            actor.workspace.pk, "contact.updated", {"contact_id": contact.pk, "fields": changed}
        )
    if new_stage is not None:
        ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage=new_stage, reason=reason)
        contact.refresh_from_db(fields=["lifecycle_stage", "updated_at"])
    return contact


@transaction.atomic
def contact_delete(*, actor: Actor, contact_id: int) -> None:
    """Erase a contact with its touchpoints, activities and ledger rows."""
    actor.require(Action.DELETE_RECORDS)
    contact = locked(Contact, actor, contact_id, "contact")
    # No name, email or other personal field: the log must not keep what an erasure removes.
    kept = ["lifecycle_stage", "lead_status", "company", "owner", "original_source", "created_at"]
    before = audit.snapshot(contact, kept)
    audit.record(actor, "contact.deleted", contact, label=f"contact {contact.pk}", before=before)
    contact.delete()


@transaction.atomic
def contacts_assign_owner(*, actor: Actor, contact_ids: list[int], owner_id: int) -> int:
    """Give many contacts one owner in a single statement (routing hands leads over in bulk).
    Publishes one `contact.updated` per contact, like `contact_update`."""
    actor.require(Action.WRITE_RECORDS)
    owner = member(owner_id, "owner_id", actor.workspace.pk)
    scoped = Contact.objects.for_workspace(actor.workspace).filter(pk__in=contact_ids)
    changed = list(scoped.exclude(owner_id=owner).values_list("pk", flat=True))
    scoped.filter(pk__in=changed).update(owner_id=owner, updated_at=timezone.now())
    for contact_id in changed:
        publish(
            actor.workspace.pk, "contact.updated", {"contact_id": contact_id, "fields": ["owner"]}
        )
    return len(changed)
