"""What sales does with a handed-off lead, written only here: claim it from the fallback queue,
accept it (→ SAL), reject it with a reason code (→ disqualified or recycled), recycle it to
nurture until a date, or reassign it; and marketing's one dispute of a rejection, which a
sales manager resolves. A lifecycle change that takes the contact out of MQL elsewhere closes
its handoff too (`handoff_close_outside`).

Every decision is a conditional update of an open handoff, so of two people deciding the same
lead at the same moment exactly one wins and the other gets a `Conflict` (HTTP 409).

Who: the owner decides their own lead; a *sales* team's manager or an admin decides anyone's,
reassigns, and resolves disputes. A manager of another team (marketing) may not: marketing
cannot accept or reject sales' leads, nor rule on its own dispute.

A decision ends the first-touch clock (`_resolved_clock`): made by the due time, or while the
clock was paused, it is sales' response in time — met; made after the due time without a touch,
the clock is breached. A decided lead never counts as a running clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.events import publish
from accord.crm.models import Activity, Contact, LifecycleStage
from accord.crm.services.ledger import change_stage
from accord.handoff.agreements import agreement_document
from accord.handoff.assignment import lead_owner_team
from accord.handoff.clocks import LATE_ENTRY_GRACE, TOUCH_KINDS, selling_members
from accord.handoff.models import (
    Dispute,
    DisputeOutcome,
    EscalationKind,
    Handoff,
    HandoffStatus,
    ReasonOutcome,
    RejectionReason,
    SlaState,
)
from accord.handoff.notify import escalate
from accord.handoff.routing_settings import ensure_default_reasons
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Membership, Role, TeamKind
from accord.identity.permissions import Action

MAX_COMMENT = 1000
MAX_ECHO = 60  # of an unknown reason code quoted back in the error
# The stages a rejection leaves a contact in: a dispute is overturned only from one of them.
REJECTED_STAGES = (ReasonOutcome.DISQUALIFIED.value, ReasonOutcome.RECYCLED.value)


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


def sales_lead(actor: Actor) -> bool:
    """Whether the actor works anyone's lead: an admin, a manager of a sales team, or the
    system itself."""
    if actor.user is None or actor.role == Role.ADMIN:
        return True
    return (
        actor.role == Role.MANAGER
        and Membership.objects.for_workspace(actor.workspace)
        .filter(user_id=actor.user.pk, team__kind=TeamKind.SALES)
        .exists()
    )


def _require_sales_side(actor: Actor) -> None:
    """Work on leads is sales': a manager of another team (marketing) is refused, although
    the role table lets managers work handoffs."""
    actor.require(Action.WORK_HANDOFFS)
    if actor.role == Role.MANAGER and not sales_lead(actor):
        raise PermissionDenied(
            "Only the manager of a sales team (or an admin) works sales' leads; "
            "a manager of another team cannot."
        )


def _decidable(actor: Actor, handoff_id: int) -> Handoff:
    """The open handoff, if the actor may decide it: its owner, a sales manager or an admin."""
    _require_sales_side(actor)
    handoff = locked_handoff(actor, handoff_id)
    if handoff.status != HandoffStatus.OPEN:
        by = f" by {handoff.decided_by.display_name}" if handoff.decided_by else ""
        raise Conflict(
            f"This lead was already {handoff.get_status_display().lower()}{by}; "
            "nothing was changed."
        )
    if handoff.owner_id is None and not sales_lead(actor):
        raise Conflict("This lead is in the fallback queue: claim it first.")
    if (
        handoff.owner_id is not None
        and actor.user is not None
        and handoff.owner_id != actor.user.pk
        and not sales_lead(actor)
    ):
        raise PermissionDenied(
            "This lead is assigned to someone else; ask a manager to reassign it."
        )
    return handoff


def _resolved_clock(handoff: Handoff, at: dt.datetime) -> dict[str, Any]:
    """The first-touch clock's end when the lead is decided at `at` (see the module doc)."""
    due = handoff.first_touch_due_at
    if handoff.sla_state == SlaState.PAUSED or (
        handoff.sla_state == SlaState.DUE and (due is None or at <= due)
    ):
        return {"sla_state": SlaState.MET, "paused_at": None}
    if handoff.sla_state == SlaState.DUE:
        return {"sla_state": SlaState.BREACHED, "breached_at": due}
    return {}  # met, breached or untimed already: as it was


def close_handoff(
    actor: Actor, handoff: Handoff, status: HandoffStatus, **fields: object
) -> Handoff:
    """The conditional update that makes a decision exactly-once."""
    now = timezone.now()
    values = {
        "status": status,
        "decided_at": now,
        "decided_by": actor.user,
        **_resolved_clock(handoff, now),
        **fields,
    }
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
    """Take a lead from the fallback queue: the first claim wins, the second gets 409. The lead
    joins the claimant's sales team (its calendar and managers), if they are on one."""
    _require_sales_side(actor)
    if actor.user is None:
        raise PermissionDenied("Only a person can claim a lead.")
    handoff = locked_handoff(actor, handoff_id)
    team_id = (
        Membership.objects.for_workspace(actor.workspace)
        .filter(user_id=actor.user.pk, team__kind=TeamKind.SALES)
        .values_list("team_id", flat=True)
        .first()
    ) or handoff.team_id
    claimed = (
        Handoff.objects.for_workspace(actor.workspace)
        .filter(pk=handoff_id, status=HandoffStatus.OPEN, owner__isnull=True)
        .update(
            owner=actor.user,
            team_id=team_id,
            chosen_by="claimed from the fallback queue",
            updated_at=timezone.now(),
        )
    )
    if claimed != 1:
        who = handoff.owner.display_name if handoff.owner else "someone"
        raise Conflict(f"{who} already has this lead; nothing was changed.")
    handoff.owner = actor.user
    handoff.team_id = team_id
    handoff.chosen_by = "claimed from the fallback queue"
    _set_contact_owner(actor, handoff)
    return handoff


@transaction.atomic
def handoff_reassign(*, actor: Actor, handoff_id: int, user_id: int) -> Handoff:
    """Give an open lead to someone who can work it (`assignment.lead_owners`). It moves to
    their sales team, so breaches reach that team's managers and pauses are counted in its
    calendar; the first-touch due time stays as it was: the buyer has been waiting since the
    handover, whoever has the lead now."""
    actor.require(Action.MANAGE_ROUTING)
    if not sales_lead(actor):
        raise PermissionDenied("Only the manager of a sales team (or an admin) reassigns leads.")
    owner, team_id = lead_owner_team(actor.workspace.pk, user_id)
    handoff = locked_handoff(actor, handoff_id)
    if handoff.status != HandoffStatus.OPEN:
        raise Conflict("Only an open lead can be reassigned.")
    before: dict[str, Any] = {"owner_id": handoff.owner_id}
    after: dict[str, Any] = {"owner_id": owner}
    if handoff.team_id != team_id:  # the audit names the team only when it changes
        before["team_id"], after["team_id"] = handoff.team_id, team_id
    handoff.owner_id = owner
    handoff.team_id = team_id
    handoff.chosen_by = f"reassigned by {actor.label}"[:200]
    handoff.save(update_fields=["owner", "team", "chosen_by", "updated_at"])
    label = f"handoff {handoff.pk} of contact {handoff.contact_id}"
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
    handoff = close_handoff(actor, handoff, HandoffStatus.ACCEPTED, comment=_comment(comment))
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
        shown = key if len(key) <= MAX_ECHO else f"{key[:MAX_ECHO]}…"  # not a huge input back
        raise ValidationFailed.single(
            "reason",
            f"Pick a reason code ({keys})." if not key else f"Unknown reason '{shown}' ({keys}).",
        )
    return reason


def attempts_in_window(handoff: Handoff) -> int:
    """Sales' touches of the lead that count for "K attempts within D business days": made
    from the handover to the attempts deadline, and logged by then (with the grace a late
    entry gets on the first-touch clock) — a burst of calls after the deadline does not make
    up for it. The owner's touches and those of members who sell (as on the clock)."""
    if handoff.attempts_due_at is None:
        return handoff.attempts
    deadline = handoff.attempts_due_at
    sellers = selling_members(handoff.workspace_id).values("user_id")
    return (
        Activity.objects.for_workspace(handoff.workspace_id)
        .filter(
            contact_id=handoff.contact_id,
            kind__in=TOUCH_KINDS,
            occurred_at__gte=handoff.assigned_at,
            occurred_at__lte=deadline,
            created_at__lte=deadline + LATE_ENTRY_GRACE,
        )
        .filter(Q(user_id=handoff.owner_id) | Q(user_id__in=sellers))
        .count()
    )


def _check_attempts(handoff: Handoff) -> None:
    """Unresponsive only after the agreed attempts, made within the agreed days."""
    if handoff.agreement is None:
        return
    sales = agreement_document(handoff.agreement).sales
    needed = sales.attempts_before_unresponsive
    made = attempts_in_window(handoff)
    if made >= needed:
        return
    deadline = handoff.attempts_due_at
    if deadline is not None and timezone.now() > deadline:  # the window has closed
        by = f"{deadline.astimezone(dt.UTC):%d %b %Y %H:%M} UTC"
        window = f"{needed} attempts within {sales.attempt_days:g} business days (by {by})"
        raise ValidationFailed.single(
            "reason",
            f"The SLA asks for {window} before a lead is called unresponsive; {made} "
            f"{'was' if made == 1 else 'were'} logged in that window, and later attempts do not "
            "count: pick another reason.",
        )
    raise ValidationFailed.single(
        "reason",
        f"The SLA asks for {needed} attempts before a lead is called unresponsive; "
        f"{made} logged so far.",
    )


@transaction.atomic
def handoff_reject(*, actor: Actor, handoff_id: int, reason: str, comment: str = "") -> Handoff:
    # Who may decide first: a marketer is refused before the reason is looked at.
    handoff = _decidable(actor, handoff_id)
    code = reason_by_key(actor.workspace.pk, reason)
    text = _comment(comment)
    if code.needs_attempts:
        _check_attempts(handoff)
    handoff = close_handoff(actor, handoff, HandoffStatus.REJECTED, reason=code, comment=text)
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
    handoff = close_handoff(
        actor, handoff, HandoffStatus.RECYCLED, recycle_until=until, comment=text
    )
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
    """A sales manager (or an admin) upholds the rejection, or overturns it: the lead is an
    MQL again and is handed over anew. Only while the contact is still where the rejection put
    it (disqualified or recycled): a contact that has moved on since (to SQL, a customer, back
    to lead) is not pulled back to MQL — the overturn is refused and nothing is written."""
    actor.require(Action.RESOLVE_DISPUTES)
    if not sales_lead(actor):
        raise PermissionDenied(
            "A sales manager (or an admin) resolves a dispute: marketing does not rule on its "
            "own dispute."
        )
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
    handoff = locked_handoff(actor, handoff_id)
    if outcome == DisputeOutcome.OVERTURNED:
        _check_still_rejected(actor, handoff)
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
        change_stage(
            actor=actor,
            contact_id=handoff.contact_id,
            to_stage="mql",
            reason=f"rejection overturned: {text}"[:500],
            definition_version=handoff.definition_version,
        )
    return dispute


def _check_still_rejected(actor: Actor, handoff: Handoff) -> None:
    """An overturn hands the lead over anew only from where the rejection left it."""
    stage = (
        Contact.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=handoff.contact_id)
        .values_list("lifecycle_stage", flat=True)
        .first()
    )
    later = (
        Handoff.objects.for_workspace(actor.workspace)
        .filter(contact_id=handoff.contact_id, assigned_at__gt=handoff.assigned_at)
        .exists()
    )
    if stage in REJECTED_STAGES and not later:
        return
    label = (
        LifecycleStage.objects.for_workspace(actor.workspace)
        .filter(key=stage)
        .values_list("label", flat=True)
        .first()
    ) or stage
    since = "was handed over again" if later else f"has moved on to {label}"
    raise Conflict(
        f"{handoff.contact} {since} since the rejection: overturning would pull it back to "
        "MQL, so nothing was changed. Uphold the dispute, or work the lead where it is."
    )
