"""The sales inbox: my new leads with live SLA countdowns and one-click accept, reject with a
reason, recycle and claim; the fallback queue; and the escalation history."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import AccordError, ValidationFailed
from accord.handoff import dispositions
from accord.handoff.api_queries import (
    EscalationFilters,
    HandoffFilters,
    escalation_list,
    handoff_list,
)
from accord.handoff.escalations import escalation_mark_read
from accord.handoff.models import HandoffStatus, RejectionReason, SlaState
from accord.handoff.routing_settings import ensure_default_reasons
from accord.identity.models import Membership, Role, TeamKind
from accord.identity.permissions import Action
from accord.web.views.access import member_view, web_actor

INBOX_LIMIT = 200
DECISIONS = ("claim", "accept", "reject", "recycle")


def _leads_team(membership: Membership) -> bool:
    return membership.role in (Role.MANAGER, Role.ADMIN)


def _can_work(membership: Membership) -> bool:
    """Whether to offer the decisions: a role that works leads, and a manager only of a sales
    team (the services refuse the others)."""
    if not web_actor(membership).can(Action.WORK_HANDOFFS):
        return False
    return membership.role != Role.MANAGER or (
        membership.team is not None and membership.team.kind == TeamKind.SALES
    )


# Most urgent first: running clocks by due time, then breached (still untouched, oldest due
# first), then paused; leads whose clock is over (met) or untimed last, oldest first.
URGENCY = Case(
    When(sla_state=SlaState.DUE, then=Value(0)),
    When(sla_state=SlaState.BREACHED, then=Value(1)),
    When(sla_state=SlaState.PAUSED, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the form came from, if it is one of ours; else the inbox."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("web:handoffs")


@require_GET
@member_view()
def handoff_inbox(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    everyone = _leads_team(membership) and request.GET.get("view") == "team"
    mine = handoff_list(
        workspace,
        HandoffFilters(status=HandoffStatus.OPEN, owner="" if everyone else "me"),
        me=membership.user_id,
    ).exclude(owner__isnull=True)
    queue = handoff_list(workspace, HandoffFilters(status=HandoffStatus.OPEN, owner="queue"))
    recent = handoff_list(workspace, HandoffFilters(owner="me"), me=membership.user_id).exclude(
        status=HandoffStatus.OPEN
    )
    ensure_default_reasons(workspace.pk)
    return render(
        request,
        "web/handoff/inbox.html",
        {
            "mine": list(
                mine.annotate(urgency=URGENCY).order_by(
                    "urgency", "first_touch_due_at", "assigned_at", "id"
                )[:INBOX_LIMIT]
            ),
            "queue": list(queue.order_by("assigned_at")[:INBOX_LIMIT]),
            "recent": list(recent.order_by("-decided_at")[:10]),
            "everyone": everyone,
            "leads_team": _leads_team(membership),
            "can_work": _can_work(membership),
            "reasons": RejectionReason.objects.for_workspace(workspace).filter(is_active=True),
            "unread": escalation_list(
                workspace, EscalationFilters(recipient_id=membership.user_id, unread=True)
            ).count(),
            "now": timezone.now(),
            "tomorrow": timezone.localdate() + dt.timedelta(days=1),
        },
    )


@require_POST
@member_view(post_requires=Action.WORK_HANDOFFS)
def handoff_decide(
    request: HttpRequest, membership: Membership, pk: int, action: str
) -> HttpResponse:
    actor = web_actor(membership)
    post = request.POST
    try:
        if action == "claim":
            handoff = dispositions.handoff_claim(actor=actor, handoff_id=pk)
            done = "claimed"
        elif action == "accept":
            handoff = dispositions.handoff_accept(
                actor=actor, handoff_id=pk, comment=post.get("comment", "")
            )
            done = "accepted: it is a sales accepted lead now"
        elif action == "reject":
            handoff = dispositions.handoff_reject(
                actor=actor,
                handoff_id=pk,
                reason=post.get("reason", ""),
                comment=post.get("comment", ""),
            )
            done = "rejected; marketing sees the reason"
        elif action == "recycle":
            try:
                until = dt.date.fromisoformat(post.get("until", ""))
            except ValueError:
                raise ValidationFailed.single(
                    "until", "Pick a re-engagement date (YYYY-MM-DD)."
                ) from None
            handoff = dispositions.handoff_recycle(
                actor=actor, handoff_id=pk, until=until, comment=post.get("comment", "")
            )
            done = f"recycled to nurture until {until:%d %b %Y}"
        else:
            raise ValidationFailed.single("action", f"Unknown action '{action}'.")
    except AccordError as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(request, f"{handoff.contact} {done}.")
    return _back(request)


@require_GET
@member_view()
def escalation_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    everyone = _leads_team(membership) and request.GET.get("view") == "all"
    rows = escalation_list(
        membership.workspace,
        EscalationFilters(recipient_id=None if everyone else membership.user_id),
    ).select_related("handoff__contact", "recipient")
    return render(
        request,
        "web/handoff/escalations.html",
        {
            "escalations": list(rows[:300]),
            "everyone": everyone,
            "leads_team": _leads_team(membership),
        },
    )


@require_POST
@member_view(post_requires=Action.READ)
def escalation_read(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    try:
        escalation_mark_read(actor=web_actor(membership), escalation_id=pk)
    except AccordError as exc:
        messages.error(request, exc.message)
    return redirect("web:escalations")
