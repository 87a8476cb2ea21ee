"""What is waiting for the signed-in member, on the home page: their open leads and those past
the first-touch deadline, the fallback queue, unread alerts, versions waiting for their side's
approval and their meetings' action items. Each line links to the page where it is done."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accord.definitions.models import ApprovalSide, DefinitionStatus, LeadDefinition
from accord.handoff.models import Escalation, Handoff, HandoffStatus, SlaAgreement, SlaState
from accord.identity.models import Membership, Role
from accord.identity.permissions import Action
from accord.meetings.models import ActionItem, ActionStatus
from accord.meetings.schedule import zone
from accord.web.views.access import web_actor


@dataclass(frozen=True)
class WorkItem:
    key: str
    count: int
    text: str
    url: str
    urgent: int = 0  # of `count`, how many are late
    urgent_text: str = ""


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _leads(membership: Membership) -> list[WorkItem]:
    """My open leads and the late ones among them, then the fallback queue: each read from the
    (owner, status) index, not by counting every open handoff of the workspace."""
    now = timezone.now()
    late = Q(sla_state=SlaState.BREACHED) | Q(sla_state=SlaState.DUE, first_touch_due_at__lte=now)
    open_handoffs = Handoff.objects.for_workspace(membership.workspace).filter(
        status=HandoffStatus.OPEN
    )
    counts = open_handoffs.filter(owner_id=membership.user_id).aggregate(
        mine=Count("id"), late=Count("id", filter=late)
    )
    items, inbox = [], reverse("web:handoffs")
    if mine := counts["mine"]:
        items.append(
            WorkItem("my-leads", mine, _plural(mine, "open lead", "open leads") +
                     " assigned to you", inbox, counts["late"], "past the first-touch deadline")
        )  # fmt: skip
    if not web_actor(membership).can(Action.WORK_HANDOFFS):
        return items
    if queued := open_handoffs.filter(owner__isnull=True).count():
        items.append(
            WorkItem("queue", queued, _plural(queued, "lead", "leads") +
                     " waiting in the fallback queue for an owner", inbox + "#queue")
        )  # fmt: skip
    return items


def _alerts(membership: Membership) -> list[WorkItem]:
    unread = (
        Escalation.objects.for_workspace(membership.workspace)
        .filter(recipient_id=membership.user_id, read_at__isnull=True)
        .count()
    )
    if not unread:
        return []
    text = _plural(unread, "unread alert", "unread alerts") + " (SLA breaches, disputes)"
    return [WorkItem("alerts", unread, text, reverse("web:escalations"))]


def _approvals(membership: Membership) -> list[WorkItem]:
    """Proposed versions that still lack the approval of this manager's side."""
    if membership.role != Role.MANAGER:
        return []
    team = membership.team
    if team is None or team.kind not in ApprovalSide.values:
        return []
    items = []
    for model, noun, page in (
        (LeadDefinition, "lead definition", "web:definition"),
        (SlaAgreement, "SLA agreement", "web:agreement"),
    ):
        waiting = list(
            model.objects.for_workspace(membership.workspace)
            .filter(status=DefinitionStatus.PROPOSED)
            .exclude(approvals__team_kind=team.kind)
            .order_by("version")
            .values_list("pk", "version")
        )
        if waiting:
            versions = ", ".join(f"v{version}" for _, version in waiting)
            text = f"{noun} {versions} waiting for the {team.kind} team's approval"
            items.append(
                WorkItem(f"approve-{noun.split()[0].lower()}", len(waiting),
                         text, reverse(page, args=[waiting[0][0]]))
            )  # fmt: skip
    return items


def _action_items(membership: Membership) -> list[WorkItem]:
    # The workspace's day, as the meetings count overdue items.
    today = timezone.now().astimezone(zone(membership.workspace.timezone or "UTC")).date()
    counts = (
        ActionItem.objects.for_workspace(membership.workspace)
        .filter(owner_id=membership.user_id, status=ActionStatus.OPEN)
        .aggregate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=today)))
    )
    if not counts["n"]:
        return []
    text = _plural(counts["n"], "open action item", "open action items") + " from joint meetings"
    return [WorkItem("actions", counts["n"], text, reverse("web:meetings"), counts["late"],
                     "overdue")]  # fmt: skip


def my_work(membership: Membership) -> list[WorkItem]:
    return [
        *_leads(membership),
        *_alerts(membership),
        *_approvals(membership),
        *_action_items(membership),
    ]
