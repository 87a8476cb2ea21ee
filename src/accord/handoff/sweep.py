"""The worker's SLA sweep across workspaces, the reconciliation that routes MQLs an
interrupted subscriber left without a handoff, and the return of recycled leads.

One workspace's (or one lead's) failure is logged and the sweep goes on with the others: a lead
that cannot be routed must not stop breaches and escalations everywhere else.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from accord.crm.models import Contact, LedgerEntry
from accord.crm.services.ledger import change_stage
from accord.handoff.agreements import agreement_document
from accord.handoff.assignment import route_contacts_isolated
from accord.handoff.business_hours import add_business_hours
from accord.handoff.clocks import sweep_workspace, team_name
from accord.handoff.departures import requeue_leads_of_former_members
from accord.handoff.models import Escalation, Handoff, HandoffStatus, SlaAgreement, SlaState
from accord.handoff.notify import deliver_pending
from accord.handoff.outside_decisions import handoff_close_outside
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace

logger = logging.getLogger(__name__)

STALE_DELIVERY = dt.timedelta(minutes=5)


def unrouted_mqls(workspace_id: int) -> list[int]:
    """MQLs without an open handoff: the subscriber that should have routed them never ran."""
    open_handoff = Handoff.objects.for_workspace(workspace_id).filter(
        contact_id=OuterRef("pk"), status=HandoffStatus.OPEN
    )
    return list(
        Contact.objects.for_workspace(workspace_id)
        .filter(lifecycle_stage="mql")
        .exclude(Exists(open_handoff))
        .values_list("pk", flat=True)
    )


def close_stray_handoffs(workspace_id: int) -> int:
    """Open handoffs whose contact is no longer an MQL: the lifecycle change that took it out
    was made outside the handoff and its event was lost. Closed as the subscriber would have."""
    strays = list(
        Handoff.objects.for_workspace(workspace_id)
        .filter(status=HandoffStatus.OPEN)
        .exclude(contact__lifecycle_stage="mql")
        .values_list("contact_id", flat=True)
    )
    closed = 0
    for contact_id in strays:
        if _guarded(
            f"closing the handoff of contact {contact_id}",
            partial(handoff_close_outside, workspace_id=workspace_id, contact_id=contact_id),
        ):
            closed += 1
    return closed


def resolve_decided_clocks(workspace_id: int) -> int:
    """Decided leads whose clock was still running (decided before decisions ended the clock):
    ended by the same rule as `dispositions._resolved_clock` — decided by the due time, or
    while paused, met; after it, breached."""
    running = (
        Handoff.objects.for_workspace(workspace_id)
        .filter(sla_state__in=(SlaState.DUE, SlaState.PAUSED))
        .exclude(status=HandoffStatus.OPEN)
    )
    now = timezone.now()
    in_time = Q(sla_state=SlaState.PAUSED) | Q(first_touch_due_at__isnull=True)
    in_time |= Q(decided_at__isnull=False, decided_at__lte=F("first_touch_due_at"))
    met = running.filter(in_time).update(sla_state=SlaState.MET, paused_at=None, updated_at=now)
    breached = running.exclude(in_time).update(
        sla_state=SlaState.BREACHED, breached_at=F("first_touch_due_at"), updated_at=now
    )
    return met + breached


def schedule_manager_escalations(workspace_id: int) -> int:
    """Open breached leads the owner was told about but whose manager step was never timed
    (handoffs written by the backfill before it set `manager_escalation_at`): timed now, as the
    sweep does at a breach — the due time plus the grace period in business hours."""
    rows = list(
        Handoff.objects.for_workspace(workspace_id)
        .filter(
            status=HandoffStatus.OPEN,
            sla_state=SlaState.BREACHED,
            escalation_level=1,
            manager_escalation_at__isnull=True,
            first_touch_due_at__isnull=False,
            agreement__isnull=False,
        )
        .only("id", "agreement_id", "team_id", "first_touch_due_at")
    )
    documents = {}
    for handoff in rows:
        assert handoff.agreement_id is not None and handoff.first_touch_due_at is not None
        if handoff.agreement_id not in documents:
            agreement = SlaAgreement.objects.for_workspace(workspace_id).get(
                pk=handoff.agreement_id
            )
            documents[handoff.agreement_id] = agreement_document(agreement)
        document = documents[handoff.agreement_id]
        at = add_business_hours(
            handoff.first_touch_due_at,
            document.sales.manager_grace_hours,
            document.calendar_for(team_name(handoff.team_id)),
        )
        Handoff.objects.for_workspace(workspace_id).filter(
            pk=handoff.pk, manager_escalation_at__isnull=True
        ).update(manager_escalation_at=at, updated_at=timezone.now())
    return len(rows)


def _guarded[T](what: str, step: Callable[[], T]) -> T | None:
    """Run one step of the sweep; a failure is logged (with the traceback) and returns None,
    so the other workspaces and leads are still swept."""
    try:
        return step()
    except Exception:
        logger.exception("SLA sweep: %s failed", what)
        return None


def sweep_all(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    totals = {
        "breached": 0,
        "escalated_to_manager": 0,
        "met_late_logged": 0,
        "routed": 0,
        "requeued": 0,
        "closed": 0,
        "failed": 0,
    }
    workspaces = list(Workspace.objects.order_by("pk").values_list("pk", flat=True))

    def count(key: str, what: str, step: Callable[[], int]) -> None:
        result = _guarded(what, step)
        if result is None:
            totals["failed"] += 1
        else:
            totals[key] += result

    for w in workspaces:
        # Before the breaches: a lead that left MQL or was decided is no running clock.
        count("closed", f"stray handoffs of workspace {w}", partial(close_stray_handoffs, w))
        _guarded(f"decided clocks of workspace {w}", partial(resolve_decided_clocks, w))
        _guarded(f"manager steps of workspace {w}", partial(schedule_manager_escalations, w))
    busy = (
        Handoff.objects.across_workspaces()
        .filter(status=HandoffStatus.OPEN)
        .filter(
            Q(sla_state=SlaState.DUE, first_touch_due_at__lte=now)
            | Q(sla_state=SlaState.BREACHED, escalation_level=1, manager_escalation_at__lte=now)
        )
        .order_by()  # the model's ordering would make DISTINCT return a row per handoff
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for w in sorted(set(busy)):
        result = _guarded(f"breaches of workspace {w}", partial(sweep_workspace, w, now))
        if result is None:
            totals["failed"] += 1
            continue
        totals["breached"] += result.breached
        totals["escalated_to_manager"] += result.escalated_to_manager
        totals["met_late_logged"] += result.met_late_logged
    for w in workspaces:
        count(
            "requeued",
            f"leads of former members of workspace {w}",
            partial(requeue_leads_of_former_members, w),
        )
        count("routed", f"missed MQLs of workspace {w}", partial(_route_missed, w))
    stale = (
        Escalation.objects.across_workspaces()
        .filter(delivered_at__isnull=True, created_at__lte=now - STALE_DELIVERY)
        .order_by()  # the model's ordering would make DISTINCT return a row per handoff
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for w in sorted(set(stale)):  # a delivery task was lost: send now
        _guarded(f"deliveries of workspace {w}", partial(deliver_pending, w))
    return totals


def _route_missed(workspace_id: int) -> int:
    missing = unrouted_mqls(workspace_id)
    return len(route_contacts_isolated(workspace_id, missing)) if missing else 0


def reengage_due(today: dt.date | None = None) -> int:
    """Recycled leads whose re-engagement date has come become leads again. The date is the
    contact's latest handoff's, and only while the contact has stayed recycled since that
    handoff recycled it: an older handoff's date never returns a lead recycled again later,
    and a lead already returned is not returned twice."""
    today = today or timezone.localdate()
    returned = 0
    latest = (
        Handoff.objects.across_workspaces()
        .filter(contact_id=OuterRef("contact_id"))
        .order_by("-assigned_at", "-id")
        .values("id")[:1]
    )
    left_recycled = LedgerEntry.objects.across_workspaces().filter(
        contact_id=OuterRef("contact_id"),
        from_stage="recycled",
        occurred_at__gte=OuterRef("decided_at"),
    )
    due = (
        Handoff.objects.across_workspaces()
        .filter(status=HandoffStatus.RECYCLED, recycle_until__lte=today)
        .filter(contact__lifecycle_stage="recycled")
        .filter(pk=Subquery(latest))
        .exclude(Exists(left_recycled))
        .values_list("workspace_id", "contact_id", "recycle_until")
    )
    workspaces = {w.pk: w for w in Workspace.objects.all()}
    for workspace_id, contact_id, until in due:
        actor = Actor.system(workspaces[workspace_id], Source.RULE, rule="re-engagement date")
        step = partial(_back_to_lead, actor, contact_id, f"re-engagement date {until} reached")
        if _guarded(f"re-engaging contact {contact_id}", step):
            returned += 1
    return returned


def _back_to_lead(actor: Actor, contact_id: int, reason: str) -> bool:
    with transaction.atomic():
        entry = change_stage(actor=actor, contact_id=contact_id, to_stage="lead", reason=reason)
    return entry is not None
