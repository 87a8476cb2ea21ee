"""Who hears of an escalation, and its delivery: the in-app row is written with the escalation;
the worker then emails the recipient (Django's email backend) and publishes
`handoff.escalated`, which outbound webhooks and Slack channels subscribed to it receive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accord.core.events import publish
from accord.crm.models import Contact
from accord.handoff.models import Escalation, EscalationKind, Handoff
from accord.identity.models import Membership, Role, TeamKind, User

DELIVERY_BATCH = 200


def sales_managers(workspace_id: int, team_id: int | None) -> list[int]:
    """The managers of the team if it is a sales team, else of any sales team, else the
    workspace's admins (a lead filed under a marketing team never alerts marketing's manager)."""
    members = Membership.objects.for_workspace(workspace_id)
    if team_id is not None:
        own = list(
            members.filter(
                role=Role.MANAGER, team_id=team_id, team__kind=TeamKind.SALES
            ).values_list("user_id", flat=True)
        )
        if own:
            return own
    sales = list(
        members.filter(role=Role.MANAGER, team__kind=TeamKind.SALES).values_list(
            "user_id", flat=True
        )
    )
    return sales or list(members.filter(role=Role.ADMIN).values_list("user_id", flat=True))


LEFT_SUFFIX = " left the workspace"  # a lead requeued because its owner left (departures)


def _who(contact: Mapping[str, Any]) -> str:
    name = f"{contact['first_name']} {contact['last_name']}".strip()
    return f"{name} <{contact['email']}>" if name else contact["email"]


def escalation_recipients(
    workspace_id: int, handoffs: Sequence[Handoff], kind: EscalationKind
) -> dict[int, list[tuple[int | None, str]]]:
    """(recipient, message) pairs per handoff."""
    contacts = {
        c["id"]: c
        for c in Contact.objects.for_workspace(workspace_id)
        .filter(pk__in={h.contact_id for h in handoffs})
        .values("id", "email", "first_name", "last_name")
    }
    managers: dict[int | None, list[int]] = {}
    out: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
    for handoff in handoffs:
        who = _who(contacts[handoff.contact_id])
        if handoff.team_id not in managers:
            managers[handoff.team_id] = sales_managers(workspace_id, handoff.team_id)
        due = (
            timezone.localtime(handoff.first_touch_due_at).strftime("%d %b %H:%M")
            if handoff.first_touch_due_at
            else ""
        )
        if kind == EscalationKind.BREACH_OWNER and handoff.owner_id is not None:
            message = f"First touch of {who} was due {due} and has not happened: call now."
            out[handoff.pk].append((handoff.owner_id, message))
        elif kind in (EscalationKind.BREACH_OWNER, EscalationKind.BREACH_MANAGER):
            message = (
                f"{who} is still untouched after the first-touch SLA (due {due}) and the "
                "grace period: please reassign or follow up."
            )
            out[handoff.pk] += [(m, message) for m in managers[handoff.team_id]]
        elif kind == EscalationKind.UNASSIGNED and handoff.chosen_by.endswith(LEFT_SUFFIX):
            why = handoff.chosen_by.removeprefix("fallback: ")  # "Ana Ruiz left the workspace"
            message = f"{who} waits in the fallback queue: {why}. Claim or assign it."
            out[handoff.pk] += [(m, message) for m in managers[handoff.team_id]]
        elif kind == EscalationKind.UNASSIGNED:
            message = (
                f"No seller was available for the new MQL {who}: it waits in the fallback "
                "queue. Claim or assign it."
            )
            out[handoff.pk] += [(m, message) for m in managers[handoff.team_id]]
        else:
            message = f"Marketing disputes the rejection of {who}: please resolve."
            out[handoff.pk] += [(m, message) for m in managers[handoff.team_id]]
        if not out[handoff.pk]:  # nobody to tell: still keep the record
            out[handoff.pk].append((None, message))
    return out


def queue_delivery(workspace_id: int) -> None:
    """Deliver the new escalations once this transaction commits (the worker sends them)."""
    from accord.handoff.tasks import deliver_escalations

    transaction.on_commit(lambda: deliver_escalations.enqueue(workspace_id))


def deliver_pending(workspace_id: int) -> int:
    """Email and announce undelivered escalations; safe to run twice (rows are claimed)."""
    delivered = 0
    recipients: dict[int, User | None] = {}
    while True:
        with transaction.atomic():
            batch = list(
                Escalation.objects.for_workspace(workspace_id)
                .select_for_update(skip_locked=True, of=("self",))
                .filter(delivered_at__isnull=True)
                .select_related("handoff")
                .order_by("id")[:DELIVERY_BATCH]
            )
            if not batch:
                return delivered
            now = timezone.now()
            for escalation in batch:
                uid = escalation.recipient_id
                if uid is not None and uid not in recipients:
                    recipients[uid] = User.objects.filter(pk=uid, is_active=True).first()
                user = recipients.get(uid) if uid is not None else None
                if user is not None and user.email:
                    send_mail(
                        subject=f"[Accord] {escalation.get_kind_display()}",
                        message=escalation.message,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=[user.email],
                        fail_silently=False,
                    )
                    escalation.emailed = True
                escalation.delivered_at = now
                publish(
                    workspace_id,
                    "handoff.escalated",
                    {
                        "handoff_id": escalation.handoff_id,
                        "contact_id": escalation.handoff.contact_id,
                        "kind": escalation.kind,
                        "recipient_id": uid,
                        "owner_id": escalation.handoff.owner_id,
                        "message": escalation.message,
                    },
                )
            Escalation.objects.for_workspace(workspace_id).bulk_update(
                batch, ["delivered_at", "emailed"]
            )
            delivered += len(batch)


def escalate(workspace_id: int, handoffs: Sequence[Handoff], kind: EscalationKind) -> None:
    """Write one escalation per recipient of each handoff; delivered by the worker."""
    if not handoffs:
        return
    recipients = escalation_recipients(workspace_id, handoffs, kind)
    rows = [
        Escalation(
            workspace_id=workspace_id,
            handoff=handoff,
            kind=kind,
            recipient_id=user_id,
            message=message,
        )
        for handoff in handoffs
        for user_id, message in recipients[handoff.pk]
    ]
    Escalation.objects.bulk_create(rows, batch_size=1000)
    queue_delivery(workspace_id)
