"""Reads behind the handoff API: handed-off leads, escalations, SLA agreements and routing
settings. Every query is scoped to the caller's workspace, and each list is a fixed number of
queries whatever its length (related rows are joined or fetched once)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from accord.core.errors import NotFound
from accord.crm.models import Contact
from accord.definitions.models import DefinitionStatus
from accord.handoff.assignment import SELLER_ROLES
from accord.handoff.models import (
    Escalation,
    Handoff,
    HandoffStatus,
    OutOfOffice,
    RejectionReason,
    RoutingRule,
    SellerSettings,
    SlaAgreement,
    SlaApproval,
)
from accord.identity.models import Membership, TeamKind, Workspace

# Handoffs ---------------------------------------------------------------------------------

QUEUE = "queue"
ME = "me"


@dataclass(frozen=True)
class HandoffFilters:
    status: str = ""
    owner: str = ""  # "me", "queue" (no owner) or a user id
    sla_state: str = ""
    assigned_after: dt.datetime | None = None  # inclusive
    assigned_before: dt.datetime | None = None  # exclusive


def handoff_list(
    workspace: Workspace, filters: HandoffFilters | None = None, *, me: int | None = None
) -> QuerySet[Handoff]:
    """Handoffs with everything their detail shows: the contact, owner, team and agreement
    joined in, the decider, reason and dispute (present on decided handoffs only) fetched in one
    query each for the whole page. Joining all seven made PostgreSQL spend ~100 ms planning
    each page (the join search grows exponentially with the number of joins)."""
    f = filters or HandoffFilters()
    qs = (
        Handoff.objects.for_workspace(workspace)
        .select_related("contact", "owner", "team", "agreement")
        .prefetch_related("decided_by", "reason", "dispute")
    )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.owner == QUEUE:
        qs = qs.filter(owner__isnull=True)
    elif f.owner == ME:
        qs = qs.filter(owner_id=me) if me is not None else qs.none()
    elif f.owner:
        qs = qs.filter(owner_id=int(f.owner))
    if f.sla_state:
        qs = qs.filter(sla_state=f.sla_state)
    if f.assigned_after is not None:
        qs = qs.filter(assigned_at__gte=f.assigned_after)
    if f.assigned_before is not None:
        qs = qs.filter(assigned_at__lt=f.assigned_before)
    return qs


def handoff_get(workspace: Workspace, handoff_id: int) -> Handoff:
    handoff = handoff_list(workspace).filter(pk=handoff_id).first()
    if handoff is None:
        raise NotFound(f"No handoff with id {handoff_id} in this workspace.")
    return handoff


# Escalations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationFilters:
    recipient_id: int | None = None  # None: everyone's (managers and admins)
    kind: str = ""
    unread: bool | None = None


def escalation_list(workspace: Workspace, filters: EscalationFilters) -> QuerySet[Escalation]:
    qs = Escalation.objects.for_workspace(workspace).select_related("handoff")
    if filters.recipient_id is not None:
        qs = qs.filter(recipient_id=filters.recipient_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.unread is not None:
        qs = qs.filter(read_at__isnull=filters.unread)
    return qs


def escalation_get(workspace: Workspace, escalation_id: int) -> Escalation:
    escalation = (
        Escalation.objects.for_workspace(workspace)
        .select_related("handoff")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None:
        raise NotFound(f"No escalation with id {escalation_id} in this workspace.")
    return escalation


def contact_exists(workspace: Workspace, contact_id: int) -> None:
    if not Contact.objects.for_workspace(workspace).filter(pk=contact_id).exists():
        raise NotFound(f"No contact with id {contact_id} in this workspace.")


# SLA agreements ---------------------------------------------------------------------------


def agreement_list(workspace: Workspace) -> QuerySet[SlaAgreement]:
    return SlaAgreement.objects.for_workspace(workspace).order_by("-version")


def agreement_get(workspace: Workspace, agreement_id: int) -> SlaAgreement:
    agreement = agreement_list(workspace).filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound(f"No SLA agreement with id {agreement_id} in this workspace.")
    return agreement


def agreement_active(workspace: Workspace) -> SlaAgreement:
    agreement = agreement_list(workspace).filter(status=DefinitionStatus.ACTIVE).first()
    if agreement is None:
        raise NotFound(
            "No SLA agreement is active in this workspace: create one, have both managers "
            "approve it, then activate it."
        )
    return agreement


def agreement_approvals(agreement: SlaAgreement) -> list[SlaApproval]:
    return list(
        SlaApproval.objects.for_workspace(agreement.workspace_id)
        .filter(agreement=agreement)
        .select_related("user")
        .order_by("decided_at")
    )


# Routing settings -------------------------------------------------------------------------


def routing_rule_list(workspace: Workspace) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.for_workspace(workspace)
        .select_related("team", "user")
        .order_by("position", "id")
    )


def routing_rule_get(workspace: Workspace, rule_id: int) -> RoutingRule:
    rule = (
        RoutingRule.objects.for_workspace(workspace)
        .select_related("team", "user")
        .filter(pk=rule_id)
        .first()
    )
    if rule is None:
        raise NotFound(f"No routing rule with id {rule_id} in this workspace.")
    return rule


@dataclass
class SellerRow:
    """A seller as the routing sees them: their settings, load and coming absences."""

    membership: Membership
    weight: float = 1.0
    capacity: int | None = None
    accepts_leads: bool = True
    open_handoffs: int = 0
    absences: list[OutOfOffice] = field(default_factory=list)


def seller_rows(workspace: Workspace, *, user_id: int | None = None) -> list[SellerRow]:
    """Every sales rep and SDR on a sales team (or the one member `user_id`, whatever their
    role), with settings, open handoffs and absences that have not ended. Four queries."""
    members = Membership.objects.for_workspace(workspace).select_related("user", "team")
    if user_id is None:
        members = members.filter(role__in=SELLER_ROLES, team__kind=TeamKind.SALES)
    else:
        members = members.filter(user_id=user_id)
    rows = [SellerRow(membership=m) for m in members.order_by("user__email")]
    user_ids = [r.membership.user_id for r in rows]
    settings = {
        s.user_id: s
        for s in SellerSettings.objects.for_workspace(workspace).filter(user_id__in=user_ids)
    }
    open_counts = dict(
        Handoff.objects.for_workspace(workspace)
        .filter(status=HandoffStatus.OPEN, owner_id__in=user_ids)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    absences: defaultdict[int, list[OutOfOffice]] = defaultdict(list)
    for absence in OutOfOffice.objects.for_workspace(workspace).filter(
        user_id__in=user_ids, ends_on__gte=timezone.localdate()
    ):
        absences[absence.user_id].append(absence)
    for row in rows:
        uid = row.membership.user_id
        if (s := settings.get(uid)) is not None:
            row.weight, row.capacity, row.accepts_leads = s.weight, s.capacity, s.accepts_leads
        row.open_handoffs = open_counts.get(uid, 0)
        row.absences = absences.get(uid, [])
    return rows


def absence_get(workspace: Workspace, absence_id: int) -> OutOfOffice:
    absence = OutOfOffice.objects.for_workspace(workspace).filter(pk=absence_id).first()
    if absence is None:
        raise NotFound(f"No absence with id {absence_id} in this workspace.")
    return absence


def rejection_reason_list(workspace: Workspace) -> list[RejectionReason]:
    return list(RejectionReason.objects.for_workspace(workspace).order_by("position", "id"))


def rejection_reason_exists(workspace: Workspace, key: str) -> bool:
    return (
        RejectionReason.objects.for_workspace(workspace)
        .filter(key=(key or "").strip().lower())
        .exists()
    )
