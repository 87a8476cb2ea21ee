"""What sales does with a handed-off lead, written only here: claim it from the fallback queue,
accept it (→ SAL), reject it with a reason code (→ disqualified or recycled), recycle it to
nurture until a date, or reassign it; and marketing's one dispute of a rejection, which a
manager resolves.

Every decision is a conditional update of an open handoff, so of two people deciding the same
lead at the same moment exactly one wins and the other gets a `Conflict` (HTTP 409).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.events import publish
from accord.crm.services.ledger import change_stage
from accord.handoff.agreements import agreement_document
from accord.handoff.models import (
    Dispute,
    DisputeOutcome,
    EscalationKind,
    Handoff,
    HandoffStatus,
    ReasonOutcome,
    RejectionReason,
)
from accord.handoff.notify import escalate
from accord.handoff.routing_settings import ensure_default_reasons
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.models import Role
from accord.identity.permissions import Action

MAX_COMMENT = 1000


def locked_handoff(actor: Actor, handoff_id: int) -> Handoff:
    handoff = (
        Handoff.objects.for_workspace(actor.workspace)
        .select_for_update(of=("self",))  # the agreement is an outer join
        .select_related("contact", "agreement")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is None:
        raise NotFound(f"No handoff with id {handoff_id} in this workspace.")
    return handoff


def _leads_team(actor: Actor) -> bool:
    return actor.role in (Role.MANAGER, Role.ADMIN) or actor.user is None


def _decidable(actor: Actor, handoff_id: int) -> Handoff:
    """The open handoff, if the actor may decide it: its owner, a manager or an admin."""
    actor.require(Action.WORK_HANDOFFS)
    handoff = locked_handoff(actor, handoff_id)
    if handoff.status != HandoffStatus.OPEN:
        by = f" by {handoff.decided_by.display_name}" if handoff.decided_by else ""
        raise Conflict(
            f"This lead was already {handoff.get_status_display().lower()}{by}; "
            "nothing was changed."
        )
    if handoff.owner_id is None and not _leads_team(actor):
        raise Conflict("This lead is in the fallback queue: claim it first.")
    if (
        handoff.owner_id is not None
        and actor.user is not None
        and handoff.owner_id != actor.user.pk
        and not _leads_team(actor)
    ):
        raise PermissionDenied(
            "This lead is assigned to someone else; ask a manager to reassign it."
        )
    return handoff


def _close(actor: Actor, handoff: Handoff, status: HandoffStatus, **fields: object) -> Handoff:
    """The conditional update that makes a decision exactly-once."""
    now = timezone.now()
    values = {"status": status, "decided_at": now, "decided_by": actor.user, **fields}
    updated = (
        Handoff.objects.for_workspace(actor.workspace)
        .filter(pk=handoff.pk, status=HandoffStatus.OPEN)
        .update(updated_at=now, **values)
    )
    if updated != 1:
        raise Conflict("Someone else decided this lead a moment ago; nothing was changed.")
    for name, value in values.items():
        setattr(handoff, name, value)
    reason = fields.get("reason")
    publish(
        actor.workspace.pk,
        "handoff.decided",
        {
            "handoff_id": handoff.pk,
            "contact_id": handoff.contact_id,
            "status": status.value,
            "reason": reason.key if isinstance(reason, RejectionReason) else None,
            "comment": str(fields.get("comment") or ""),
            "owner_id": handoff.owner_id,
            "decided_by_id": actor.user.pk if actor.user else None,
        },
    )
    after = {"status": status.value, **audit.snapshot(handoff, fields)}
    audit.record(
        actor,
        f"handoff.{status.value}",
        handoff,
        label=f"handoff {handoff.pk} of contact {handoff.contact_id}",
        before={"status": HandoffStatus.OPEN.value},
        after=after,
    )
    return handoff


def _comment(comment: str, *, required: bool = False) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise ValidationFailed.single("comment", "Add a comment marketing can learn from.")
    if len(text) > MAX_COMMENT:
        raise ValidationFailed.single("comment", f"At most {MAX_COMMENT} characters.")
    return text


@transaction.atomic
def handoff_claim(*, actor: Actor, handoff_id: int) -> Handoff:
    """Take a lead from the fallback queue: the first claim wins, the second gets 409."""
    actor.require(Action.WORK_HANDOFFS)
    if actor.user is None:
        raise PermissionDenied("Only a person can claim a lead.")
    handoff = locked_handoff(actor, handoff_id)
    claimed = (
        Handoff.objects.for_workspace(actor.workspace)
        .filter(pk=handoff_id, status=HandoffStatus.OPEN, owner__isnull=True)
        .update(
            owner=actor.user, chosen_by="claimed from the fallback queue", updated_at=timezone.now()
        )
    )
    if claimed != 1:
        who = handoff.owner.display_name if handoff.owner else "someone"
        raise Conflict(f"{who} already has this lead; nothing was changed.")
    handoff.owner = actor.user
    handoff.chosen_by = "claimed from the fallback queue"
    _set_contact_owner(actor, handoff)
    return handoff


@transaction.atomic
def handoff_reassign(*, actor: Actor, handoff_id: int, user_id: int) -> Handoff:
    actor.require(Action.MANAGE_ROUTING)
    owner = member(user_id, "user_id", actor.workspace.pk)
    handoff = locked_handoff(actor, handoff_id)
    if handoff.status != HandoffStatus.OPEN:
        raise Conflict("Only an open lead can be reassigned.")
    before = {"owner_id": handoff.owner_id}
    handoff.owner_id = owner
    handoff.chosen_by = f"reassigned by {actor.label}"[:200]
    handoff.save(update_fields=["owner", "chosen_by", "updated_at"])
    label = f"handoff {handoff.pk} of contact {handoff.contact_id}"
    after = {"owner_id": owner}
    audit.record(actor, "handoff.reassigned", handoff, label=label, before=before, after=after)
    _set_contact_owner(actor, handoff)
    return handoff


def _set_contact_owner(actor: Actor, handoff: Handoff) -> None:
    from accord.crm.services.contacts import contacts_assign_owner

    assert handoff.owner_id is not None
    contacts_assign_owner(actor=actor, contact_ids=[handoff.contact_id], owner_id=handoff.owner_id)


@transaction.atomic
def handoff_accept(*, actor: Actor, handoff_id: int, comment: str = "") -> Handoff:
    handoff = _decidable(actor, handoff_id)
    handoff = _close(actor, handoff, HandoffStatus.ACCEPTED, comment=_comment(comment))
    change_stage(
        actor=actor,
        contact_id=handoff.contact_id,
        to_stage="sal",
        reason="accepted by sales",
        definition_version=handoff.definition_version,
    )
    return handoff


def reason_by_key(workspace_id: int, key: str) -> RejectionReason:
    ensure_default_reasons(workspace_id)
    reasons = RejectionReason.objects.for_workspace(workspace_id).filter(is_active=True)
    reason = reasons.filter(key=(key or "").strip().lower()).first()
    if reason is None:
        keys = ", ".join(reasons.values_list("key", flat=True))
        raise ValidationFailed.single(
            "reason",
            f"Pick a reason code ({keys})." if not key else f"Unknown reason '{key}' ({keys}).",
        )
    return reason


@transaction.atomic
def handoff_reject(*, actor: Actor, handoff_id: int, reason: str, comment: str = "") -> Handoff:
    code = reason_by_key(actor.workspace.pk, reason)
    text = _comment(comment)
    handoff = _decidable(actor, handoff_id)
    if code.needs_attempts and handoff.agreement is not None:
        needed = agreement_document(handoff.agreement).sales.attempts_before_unresponsive
        if handoff.attempts < needed:
            raise ValidationFailed.single(
                "reason",
                f"The SLA asks for {needed} attempts before a lead is called unresponsive; "
                f"{handoff.attempts} logged so far.",
            )
    handoff = _close(actor, handoff, HandoffStatus.REJECTED, reason=code, comment=text)
    change_stage(
        actor=actor,
        contact_id=handoff.contact_id,
        to_stage=code.outcome,
        reason=f"rejected: {code.label}",
        definition_version=handoff.definition_version,
    )
    return handoff


@transaction.atomic
def handoff_recycle(*, actor: Actor, handoff_id: int, until: dt.date, comment: str = "") -> Handoff:
    """Back to marketing's nurture; the lead returns as a lead on `until`."""
    if until <= timezone.localdate():
        raise ValidationFailed.single("until", "Pick a re-engagement date in the future.")
    text = _comment(comment)
    handoff = _decidable(actor, handoff_id)
    handoff = _close(actor, handoff, HandoffStatus.RECYCLED, recycle_until=until, comment=text)
    change_stage(
        actor=actor,
        contact_id=handoff.contact_id,
        to_stage=ReasonOutcome.RECYCLED,
        reason=f"recycled to nurture until {until.isoformat()}",
        definition_version=handoff.definition_version,
    )
    return handoff


@transaction.atomic
def handoff_dispute(*, actor: Actor, handoff_id: int, comment: str) -> Dispute:
    """Marketing questions a rejection — once per handoff."""
    actor.require(Action.DISPUTE_HANDOFFS)
    text = _comment(comment, required=True)
    handoff = locked_handoff(actor, handoff_id)
    if handoff.status != HandoffStatus.REJECTED:
        raise Conflict("Only a rejected lead can be disputed.")
    if Dispute.objects.for_workspace(actor.workspace).filter(handoff=handoff).exists():
        raise Conflict("This rejection has already been disputed once.")
    assert actor.user is not None
    dispute = Dispute.objects.create(
        workspace=actor.workspace, handoff=handoff, raised_by=actor.user, comment=text
    )
    escalate(actor.workspace.pk, [handoff], EscalationKind.DISPUTE)
    audit.record(
        actor,
        "handoff.disputed",
        dispute,
        after={"handoff_id": handoff.pk, "comment": text, "outcome": dispute.outcome},
    )
    return dispute


@transaction.atomic
def dispute_resolve(*, actor: Actor, handoff_id: int, outcome: str, resolution: str) -> Dispute:
    """The manager upholds the rejection, or overturns it: the lead is handed over again."""
    actor.require(Action.RESOLVE_DISPUTES)
    if outcome not in (DisputeOutcome.UPHELD, DisputeOutcome.OVERTURNED):
        raise ValidationFailed.single("outcome", "Choose 'upheld' or 'overturned'.")
    text = _comment(resolution, required=True)
    dispute = (
        Dispute.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(handoff_id=handoff_id)
        .first()
    )
    if dispute is None:
        raise NotFound(f"No dispute of handoff {handoff_id} in this workspace.")
    if dispute.outcome != DisputeOutcome.PENDING:
        raise Conflict(f"This dispute was already resolved ({dispute.get_outcome_display()}).")
    audit.record(
        actor,
        "dispute.resolved",
        dispute,
        label=f"dispute of handoff {handoff_id}",
        before={"outcome": dispute.outcome},
        after={"outcome": outcome, "resolution": text},
    )
    dispute.outcome = outcome
    dispute.resolution = text
    dispute.resolved_by = actor.user
    dispute.resolved_at = timezone.now()
    dispute.save()
    if outcome == DisputeOutcome.OVERTURNED:
        handoff = locked_handoff(actor, handoff_id)
        change_stage(
            actor=actor,
            contact_id=handoff.contact_id,
            to_stage="mql",
            reason=f"rejection overturned: {text}"[:500],
            definition_version=handoff.definition_version,
        )
    return dispute
