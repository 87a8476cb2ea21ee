"""The worker's SLA sweep across workspaces, the reconciliation that routes MQLs an
interrupted subscriber left without a handoff, and the return of recycled leads."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accord.crm.models import Contact
from accord.crm.services.ledger import change_stage
from accord.handoff.assignment import route_contacts
from accord.handoff.clocks import sweep_workspace
from accord.handoff.departures import requeue_leads_of_former_members
from accord.handoff.models import Escalation, Handoff, HandoffStatus, SlaState
from accord.handoff.notify import deliver_pending
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace

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


def sweep_all(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    totals = {
        "breached": 0,
        "escalated_to_manager": 0,
        "met_late_logged": 0,
        "routed": 0,
        "requeued": 0,
    }
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
    for workspace_id in set(busy):
        result = sweep_workspace(workspace_id, now)
        totals["breached"] += result.breached
        totals["escalated_to_manager"] += result.escalated_to_manager
        totals["met_late_logged"] += result.met_late_logged
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        totals["requeued"] += requeue_leads_of_former_members(workspace_id)
        if missing := unrouted_mqls(workspace_id):
            totals["routed"] += len(route_contacts(workspace_id, missing))
    stale = (
        Escalation.objects.across_workspaces()
        .filter(delivered_at__isnull=True, created_at__lte=now - STALE_DELIVERY)
        .order_by()  # the model's ordering would make DISTINCT return a row per handoff
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for workspace_id in set(stale):
        deliver_pending(workspace_id)  # a delivery task was lost: send now
    return totals


def reengage_due(today: dt.date | None = None) -> int:
    """Recycled leads whose re-engagement date has come become leads again."""
    today = today or timezone.localdate()
    returned = 0
    due = (
        Handoff.objects.across_workspaces()
        .filter(status=HandoffStatus.RECYCLED, recycle_until__lte=today)
        .filter(contact__lifecycle_stage="recycled")
        .values_list("workspace_id", "contact_id", "recycle_until")
    )
    workspaces = {w.pk: w for w in Workspace.objects.all()}
    for workspace_id, contact_id, until in due:
        actor = Actor.system(workspaces[workspace_id], Source.RULE, rule="re-engagement date")
        if change_stage(
            actor=actor,
            contact_id=contact_id,
            to_stage="lead",
            reason=f"re-engagement date {until} reached",
        ):
            returned += 1
    return returned
