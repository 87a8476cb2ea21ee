"""Leads of someone who left: when a member is removed from a workspace, their open handoffs
go back to the fallback queue and the sales managers are told, so no lead waits on a person
who can no longer sign in. The SLA clock keeps running: the buyer is still waiting."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from accord.handoff.models import EscalationKind, Handoff, HandoffStatus
from accord.handoff.notify import LEFT_SUFFIX, escalate
from accord.identity import audit
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace

LEFT = "fallback: {name}" + LEFT_SUFFIX


def _orphaned(workspace_id: int) -> QuerySet[Handoff]:
    member = Membership.objects.for_workspace(workspace_id).filter(user_id=OuterRef("owner_id"))
    return (
        Handoff.objects.for_workspace(workspace_id)
        .filter(status=HandoffStatus.OPEN, owner__isnull=False)
        .exclude(Exists(member))
    )


def requeue_leads_of_former_members(workspace_id: int) -> int:
    """Move every open handoff whose owner is no longer a member to the fallback queue.
    Idempotent; the worker's sweep runs it too, in case the event that should have was lost."""
    if not _orphaned(workspace_id).exists():  # the sweep's usual case: no write lock taken
        return 0
    with transaction.atomic():
        orphaned = list(_orphaned(workspace_id).select_for_update().select_related("owner"))
        if not orphaned:
            return 0
        workspace = Workspace.objects.get(pk=workspace_id)
        actor = Actor.system(workspace, Source.RULE, rule="member removed")
        for handoff in orphaned:
            assert handoff.owner is not None
            before = {"owner_id": handoff.owner_id}
            handoff.chosen_by = LEFT.format(name=handoff.owner.display_name)[:200]
            handoff.owner = None
            handoff.save(update_fields=["owner", "chosen_by", "updated_at"])
            audit.record(
                actor,
                "handoff.requeued",
                handoff,
                label=f"handoff {handoff.pk} of contact {handoff.contact_id}",
                before=before,
                after={"owner_id": None},
                note=handoff.chosen_by,
            )
        escalate(workspace_id, orphaned, EscalationKind.UNASSIGNED)
    return len(orphaned)
