"""The in-app inbox of escalations, written only here: a recipient marks a notice read."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accord.core.errors import NotFound, PermissionDenied
from accord.handoff.models import Escalation
from accord.identity.actor import Actor


@transaction.atomic
def escalation_mark_read(*, actor: Actor, escalation_id: int) -> Escalation:
    """Mark one of the actor's own escalations read (again: nothing changes)."""
    escalation = (
        Escalation.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None:
        raise NotFound(f"No escalation with id {escalation_id} in this workspace.")
    if actor.user is None or escalation.recipient_id != actor.user.pk:
        raise PermissionDenied("Only its recipient can mark an escalation read.")
    if escalation.read_at is None:
        escalation.read_at = timezone.now()
        escalation.save(update_fields=["read_at", "updated_at"])
    return escalation
