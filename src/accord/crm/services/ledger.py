"""The lifecycle ledger: the only way a contact's lifecycle stage changes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accord.core.errors import NotFound, ValidationFailed
from accord.core.events import publish
from accord.crm.models import Contact, LedgerEntry, LifecycleStage
from accord.identity.actor import Actor
from accord.identity.permissions import Action


def stage_keys(workspace_id: int) -> list[str]:
    return list(
        LifecycleStage.objects.for_workspace(workspace_id)
        .order_by("position")
        .values_list("key", flat=True)
    )


def validate_stage(workspace_id: int, stage: str, field: str = "lifecycle_stage") -> str:
    key = (stage or "").strip().lower()
    keys = stage_keys(workspace_id)
    if key not in keys:
        raise ValidationFailed.single(
            field, f"'{stage}' is not a lifecycle stage of this workspace ({', '.join(keys)})."
        )
    return key


def _entry(
    *,
    actor: Actor,
    contact: Contact,
    from_stage: str,
    to_stage: str,
    occurred_at: dt.datetime,
    reason: str,
    definition_version: str,
) -> LedgerEntry:
    """An unsaved ledger row with the actor's attribution and the fields cut to size."""
    return LedgerEntry(
        workspace=actor.workspace,
        contact=contact,
        from_stage=from_stage,
        to_stage=to_stage,
        occurred_at=occurred_at,
        actor_user=actor.user,
        source=actor.source.value,
        rule=actor.rule[:200],
        definition_version=definition_version[:40],
        reason=reason[:500],
    )


def record_initial_stage(
    *, actor: Actor, contact: Contact, occurred_at: dt.datetime | None = None
) -> LedgerEntry:
    """The first ledger row of a new contact: from nothing to its first stage."""
    entry = _entry(
        actor=actor,
        contact=contact,
        from_stage="",
        to_stage=contact.lifecycle_stage,
        occurred_at=occurred_at or contact.created_at,
        reason="created",
        definition_version="",
    )
    entry.save(force_insert=True)
    return entry


@transaction.atomic
def change_stage(
    *,
    actor: Actor,
    contact_id: int,
    to_stage: str,
    reason: str = "",
    definition_version: str = "",
    occurred_at: dt.datetime | None = None,
) -> LedgerEntry | None:
    """Move a contact to another lifecycle stage and append the transition to the ledger.

    The contact row is locked first, so two concurrent changes are serialised and each ledger
    row's `from_stage` is the stage the contact really was in. Returns None (and writes
    nothing) when the contact is already in that stage. Moving backwards is allowed: it is a
    new row, history is never rewritten.
    """
    actor.require(Action.CHANGE_LIFECYCLE)
    to_key = validate_stage(actor.workspace.pk, to_stage, field="to_stage")
    if len(reason) > 500:
        raise ValidationFailed.single("reason", "At most 500 characters.")
    contact = (
        Contact.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound(f"No contact with id {contact_id} in this workspace.")
    if contact.lifecycle_stage == to_key:
        return None
    entry = _entry(
        actor=actor,
        contact=contact,
        from_stage=contact.lifecycle_stage,
        to_stage=to_key,
        occurred_at=occurred_at or timezone.now(),
        reason=reason.strip(),
        definition_version=definition_version,
    )
    entry.save(force_insert=True)
    Contact.objects.for_workspace(actor.workspace).filter(pk=contact.pk).update(
        lifecycle_stage=to_key, updated_at=timezone.now()
    )
    publish_stage_change(entry, contact)
    return entry


def publish_stage_change(entry: LedgerEntry, contact: Contact, *, bulk: bool = False) -> None:
    data = {
        "contact_id": contact.pk,
        "email": contact.email,
        "name": contact.full_name,
        "from_stage": entry.from_stage,
        "to_stage": entry.to_stage,
        "reason": entry.reason,
        "source": entry.source,
        "actor_user_id": entry.actor_user_id,
        "definition_version": entry.definition_version,
        "ledger_entry_id": entry.pk,
    }
    if bulk:  # part of a batch: consumers that work in bulk use the batch event instead
        data["bulk"] = True
    publish(entry.workspace_id, "contact.stage_changed", data)
    if entry.to_stage in ("mql", "sql"):
        publish(entry.workspace_id, f"contact.became_{entry.to_stage}", data)


BULK_CHUNK = 900  # ids per IN (...) clause: under SQLite's default variable limit


@transaction.atomic
def change_stage_bulk(
    *,
    actor: Actor,
    contact_ids: list[int],
    from_stage: str,
    to_stage: str,
    reason: str = "",
    definition_version: str = "",
) -> list[LedgerEntry]:
    """Move many contacts that are still in `from_stage` to `to_stage` in one transaction: one
    ledger row each, written in bulk, the same events as `change_stage`. Contacts that have
    meanwhile left `from_stage` are skipped (their rows are locked first, as in `change_stage`),
    so a concurrent hand-made change is never overwritten."""
    actor.require(Action.CHANGE_LIFECYCLE)
    to_key = validate_stage(actor.workspace.pk, to_stage, field="to_stage")
    if from_stage == to_key:
        return []
    now = timezone.now()
    scoped = Contact.objects.for_workspace(actor.workspace)
    entries: list[LedgerEntry] = []
    for start in range(0, len(contact_ids), BULK_CHUNK):
        chunk = contact_ids[start : start + BULK_CHUNK]
        movable = list(
            scoped.select_for_update()
            .filter(pk__in=chunk, lifecycle_stage=from_stage)
            .only("id", "email", "first_name", "last_name", "workspace_id")
            .order_by("id")
        )
        if not movable:
            continue
        batch = LedgerEntry.objects.bulk_create(
            _entry(
                actor=actor,
                contact=contact,
                from_stage=from_stage,
                to_stage=to_key,
                occurred_at=now,
                reason=reason.strip(),
                definition_version=definition_version,
            )
            for contact in movable
        )
        scoped.filter(pk__in=[c.pk for c in movable]).update(lifecycle_stage=to_key, updated_at=now)
        for entry, contact in zip(batch, movable, strict=True):
            publish_stage_change(entry, contact, bulk=True)
        entries += batch
    if entries and to_key in ("mql", "sql"):
        publish(
            actor.workspace.pk,
            f"contacts.became_{to_key}",
            {
                "contact_ids": [e.contact_id for e in entries],
                "definition_version": definition_version,
            },
        )
    return entries
