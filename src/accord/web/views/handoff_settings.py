"""Routing and SLA settings: the SLA agreement's versions with their two-sided approval, and
the routing rules, sellers (weight, capacity, absences) and rejection reason codes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import AccordError, PermissionDenied, ValidationFailed
from accord.core.periods import OUT_OF_RANGE, in_range
from accord.handoff import agreements, routing_settings
from accord.handoff.api_queries import (
    agreement_approvals,
    agreement_get,
    agreement_list,
    routing_rule_list,
    seller_rows,
)
from accord.handoff.assignment import lead_owners
from accord.handoff.models import RejectionReason
from accord.identity.models import Membership, Team, TeamKind
from accord.identity.permissions import Action
from accord.web.views.access import forbidden, member_view, web_actor

AGREEMENT_ACTIONS = ("propose", "approve", "activate", "rollback")


@require_GET
@member_view()
def agreement_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    versions = list(agreement_list(membership.workspace).prefetch_related("approvals"))
    return render(
        request,
        "web/handoff/agreements.html",
        {
            "versions": versions,
            "active": next((v for v in versions if v.status == "active"), None),
            "can_edit": web_actor(membership).can(Action.EDIT_AGREEMENTS),
        },
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.EDIT_AGREEMENTS)
def agreement_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    if not web_actor(membership).can(Action.EDIT_AGREEMENTS):
        return forbidden(request, "Your role cannot draft SLA agreements.")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        text = request.POST.get("document", "")
        try:
            draft = agreements.sla_create_draft(
                actor=web_actor(membership),
                document=_parse(text),
                comment=request.POST.get("comment", ""),
            )
        except AccordError as exc:
            errors = exc.fields or {"document": [exc.message]}
        else:
            messages.success(request, f"Draft v{draft.version} saved. Propose it for approval.")
            return redirect("web:agreement", pk=draft.pk)
    else:
        active = agreements.active_agreement(membership.workspace)
        start = (
            active[0].document if active else agreements.default_sla(membership.workspace.timezone)
        )
        text = json.dumps(start, indent=2)
    return render(
        request,
        "web/handoff/agreement_new.html",
        {"text": text, "errors": errors, "comment": request.POST.get("comment", "")},
        status=400 if errors else 200,
    )


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed.single(
            "document", f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None


@require_GET
@member_view()
def agreement_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    agreement = agreement_get(membership.workspace, pk)
    actor = web_actor(membership)
    try:
        side: str | None = agreements.approval_side(actor).value
    except PermissionDenied:
        side = None
    approvals = agreement_approvals(agreement)
    return render(
        request,
        "web/handoff/agreement_detail.html",
        {
            "agreement": agreement,
            "document": agreements.agreement_document(agreement),
            "approvals": approvals,
            "can_edit": actor.can(Action.EDIT_AGREEMENTS),
            "my_side": side,
            "my_side_done": any(a.team_kind == side for a in approvals),
            "text": json.dumps(agreement.document, indent=2),
        },
    )


@require_POST
@member_view(post_requires=Action.READ)  # approving is checked by side in the service
def agreement_action(
    request: HttpRequest, membership: Membership, pk: int, action: str
) -> HttpResponse:
    actor = web_actor(membership)
    try:
        if action == "propose":
            agreements.sla_propose(actor=actor, agreement_id=pk)
            messages.success(request, "Proposed: it needs a marketing and a sales manager.")
        elif action == "approve":
            approval = agreements.sla_approve(actor=actor, agreement_id=pk)
            messages.success(request, f"Approved for the {approval.team_kind} side.")
        elif action == "activate":
            agreements.sla_activate(actor=actor, agreement_id=pk)
            messages.success(request, "Active: every new handoff is timed by this version.")
        elif action == "rollback":
            created = agreements.sla_rollback(actor=actor, agreement_id=pk)
            messages.success(request, f"v{created.version} proposed with the earlier terms.")
            return redirect("web:agreement", pk=created.pk)
        else:
            raise ValidationFailed.single("action", f"Unknown action '{action}'.")
    except AccordError as exc:
        messages.error(request, exc.message)
    return redirect("web:agreement", pk=pk)


# Routing ----------------------------------------------------------------------------------


@require_GET
@member_view()
def routing_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    routing_settings.ensure_default_reasons(workspace.pk)
    return render(
        request,
        "web/handoff/routing.html",
        {
            "rules": routing_rule_list(workspace),
            "sellers": seller_rows(workspace),
            "teams": Team.objects.for_workspace(workspace).filter(kind=TeamKind.SALES),
            "reasons": RejectionReason.objects.for_workspace(workspace),
            "can_manage": web_actor(membership).can(Action.MANAGE_ROUTING),
            # A rule names someone who can work leads; the service refuses anyone else.
            "members": lead_owners(workspace.pk).select_related("user").order_by("user__email"),
            "operators": routing_settings.OPERATORS,
        },
    )


def _condition_rows(post: Any) -> list[dict[str, Any]]:
    """The rule form sends attribute/operator/value triples; empty rows are skipped."""
    out = []
    for attribute, operator, value in zip(
        post.getlist("attribute"), post.getlist("operator"), post.getlist("value"), strict=False
    ):
        if not attribute.strip():
            continue
        condition: dict[str, Any] = {"attribute": attribute, "operator": operator}
        if operator == "range":
            low, _, high = value.partition("-")
            condition.update(low=low.strip() or None, high=high.strip() or None)
        elif operator == "in":
            condition["value"] = [v.strip() for v in value.split(",") if v.strip()]
        elif operator != "is_empty":
            condition["value"] = value
        out.append(condition)
    return out


@require_POST
@member_view(post_requires=Action.MANAGE_ROUTING)
def routing_change(request: HttpRequest, membership: Membership, what: str) -> HttpResponse:
    actor = web_actor(membership)
    post = request.POST
    try:
        if what == "rule":
            target = post.get("target", "")
            kind, _, ident = target.partition(":")
            routing_settings.routing_rule_create(
                actor=actor,
                values={
                    "name": post.get("name", ""),
                    "conditions": _condition_rows(post),
                    "team_id": ident if kind == "team" else None,
                    "user_id": ident if kind == "user" else None,
                },
            )
            messages.success(request, "Routing rule added at the end of the list.")
        elif what == "rule-delete":
            routing_settings.routing_rule_delete(actor=actor, rule_id=int(post["rule_id"]))
            messages.success(request, "Routing rule deleted.")
        elif what == "seller":
            routing_settings.seller_settings_set(
                actor=actor,
                user_id=int(post["user_id"]),
                values={
                    "weight": post.get("weight", "1"),
                    "capacity": post.get("capacity", ""),
                    "accepts_leads": post.get("accepts_leads") == "on",
                },
            )
            messages.success(request, "Seller settings saved.")
        elif what == "absence":
            routing_settings.out_of_office_add(
                actor=actor,
                user_id=int(post["user_id"]),
                starts_on=_date(post.get("starts_on", ""), "starts_on"),
                ends_on=_date(post.get("ends_on", ""), "ends_on"),
                note=post.get("note", ""),
            )
            messages.success(request, "Absence recorded: the rotation skips them.")
        elif what == "reason":
            routing_settings.rejection_reason_save(
                actor=actor,
                values={
                    "key": post.get("key", ""),
                    "label": post.get("label", ""),
                    "outcome": post.get("outcome", "disqualified"),
                },
            )
            messages.success(request, "Reason code saved.")
        else:
            raise ValidationFailed.single("what", f"Unknown setting '{what}'.")
    except AccordError as exc:
        messages.error(request, exc.message)
    except (KeyError, ValueError):
        messages.error(request, "The form was incomplete; nothing was changed.")
    return redirect("web:routing")


def _date(text: str, field: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.single(field, "Use a date (YYYY-MM-DD).") from None
    if not in_range(day):
        raise ValidationFailed.single(field, f"Use a date Accord plans with: {OUT_OF_RANGE}.")
    return day
