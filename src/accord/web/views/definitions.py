"""Lead definition pages: version history, the editor (validated as you type), a version with
its diff, approvals and back-test, the workflow buttons, and full re-score jobs."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import (
    AccordError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from accord.crm.models import Contact
from accord.definitions import selectors, services
from accord.definitions.backtest import backtest_version
from accord.definitions.document import DocumentInvalid, parse_document, parse_stored_document
from accord.definitions.models import DefinitionStatus, JobState, LeadDefinition, RescoreJob
from accord.definitions.rescoring import rescore_queue, rescore_run
from accord.definitions.services import approval_side
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.web.views.access import forbidden, member_view, web_actor
from accord.web.views.definition_display import document_sections, starter_document

ACTIONS = ("propose", "approve", "activate", "rollback")
# Up to this many contacts a re-score runs in the request (seconds); above, `accord worker` runs
# it and the job page shows progress.
RESCORE_INLINE_LIMIT = 50_000


def _run_small_rescore(membership: Membership) -> RescoreJob | None:
    """Run the queued re-score now if the workspace is small enough; return it if run."""
    workspace = membership.workspace
    job = RescoreJob.objects.for_workspace(workspace).filter(status=JobState.QUEUED).first()
    if job is None or Contact.objects.for_workspace(workspace).count() > RESCORE_INLINE_LIMIT:
        return None
    return rescore_run(workspace.pk, job.pk)


def _latest_job(membership: Membership) -> RescoreJob | None:
    return RescoreJob.objects.for_workspace(membership.workspace).order_by("-id").first()


@require_GET
@member_view()
def definition_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    actor = web_actor(membership)
    versions = list(selectors.definition_list(workspace).prefetch_related("approvals"))
    return render(
        request,
        "web/definitions/list.html",
        {
            "versions": versions,
            "active": next((v for v in versions if v.status == DefinitionStatus.ACTIVE), None),
            "can_edit": actor.can(Action.EDIT_DEFINITIONS),
            "job": _latest_job(membership),
        },
    )


def _editor(
    request: HttpRequest,
    membership: Membership,
    *,
    text: str,
    comment: str,
    definition: LeadDefinition | None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/definitions/editor.html",
        {
            "definition": definition,
            "text": text,
            "comment": comment,
            "errors": errors or {},
            "sections": _sections_or_none(text),
        },
        status=status,
    )


def _sections_or_none(text: str) -> list[Any] | None:
    try:
        return document_sections(parse_document(json.loads(text)))
    except (ValueError, TypeError):
        return None


def _errors(exc: ValidationFailed) -> dict[str, list[str]]:
    return exc.fields or {"document": [exc.message]}


def _parse_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(
            "The document is not valid JSON; nothing was saved.",
            fields={"document": [f"Not valid JSON: {exc}"]},
        ) from exc


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.EDIT_DEFINITIONS)
def definition_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = web_actor(membership)
    if not actor.can(Action.EDIT_DEFINITIONS):
        return forbidden(request, "Your role cannot draft lead definitions.")
    if request.method == "GET":
        active = selectors.active_definition(membership.workspace)
        document = active.document if active is not None else starter_document()
        text = json.dumps(document, indent=2)
        return _editor(request, membership, text=text, comment="", definition=None)
    text, comment = request.POST.get("document", ""), request.POST.get("comment", "")
    try:
        draft = services.definition_create_draft(
            actor=actor, document=_parse_text(text), comment=comment
        )
    except ValidationFailed as exc:
        return _editor(
            request, membership, text=text, comment=comment, definition=None,
            errors=_errors(exc), status=400,
        )  # fmt: skip
    messages.success(request, f"Draft v{draft.version} saved. Propose it when it is ready.")
    return redirect("web:definition", pk=draft.pk)


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.EDIT_DEFINITIONS)
def definition_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    definition = selectors.definition_get(membership.workspace, pk)
    if not web_actor(membership).can(Action.EDIT_DEFINITIONS):
        return forbidden(request, "Your role cannot edit lead definitions.")
    if request.method == "GET" and definition.status != DefinitionStatus.DRAFT:
        messages.error(
            request,
            f"Version v{definition.version} is {definition.get_status_display().lower()} and can "
            "no longer be edited; create a new draft instead.",
        )
        return redirect("web:definition", pk=definition.pk)
    if request.method == "GET":
        text = json.dumps(definition.document, indent=2)
        return _editor(
            request, membership, text=text, comment=definition.comment, definition=definition
        )
    text, comment = request.POST.get("document", ""), request.POST.get("comment", "")
    try:
        services.definition_update_draft(
            actor=web_actor(membership),
            definition_id=definition.pk,
            document=_parse_text(text),
            comment=comment,
        )
    except ValidationFailed as exc:
        return _editor(
            request, membership, text=text, comment=comment, definition=definition,
            errors=_errors(exc), status=400,
        )  # fmt: skip
    except Conflict as exc:  # proposed by someone else while this editor was open
        return _editor(
            request, membership, text=text, comment=comment, definition=definition,
            errors={"document": [f"{exc.message} Nothing was saved."]}, status=409,
        )  # fmt: skip
    messages.success(request, f"Draft v{definition.version} saved.")
    return redirect("web:definition", pk=definition.pk)


@require_POST
@member_view(post_requires=Action.EDIT_DEFINITIONS)
def definition_validate(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The editor's live check (htmx): field-precise errors or a readable summary."""
    text = request.POST.get("document", "")
    errors: dict[str, list[str]] = {}
    sections = None
    try:
        normalised = services.validated_document(_parse_text(text))
        sections = document_sections(parse_document(normalised))
    except ValidationFailed as exc:
        errors = _errors(exc)
    return render(
        request,
        "web/definitions/editor.html#check",
        {"errors": errors, "sections": sections},
    )


@require_GET
@member_view()
def definition_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    workspace = membership.workspace
    definition = selectors.definition_get(workspace, pk)
    actor = web_actor(membership)
    approvals = selectors.definition_approvals(definition)
    try:
        side: str | None = approval_side(actor).value
    except PermissionDenied:
        side = None
    approved_sides = {a.team_kind for a in approvals}
    try:  # a version saved before the numbers were bounded is scored with them clamped
        parse_document(definition.document)
        out_of_bounds: dict[str, list[str]] = {}
    except DocumentInvalid as exc:
        out_of_bounds = exc.fields
    return render(
        request,
        "web/definitions/detail.html",
        {
            "definition": definition,
            "sections": document_sections(parse_stored_document(definition.document)),
            "out_of_bounds": out_of_bounds,
            "diff": selectors.definition_diff(definition),
            "approvals": approvals,
            "missing": [s for s in ("marketing", "sales") if s not in approved_sides],
            "can_edit": actor.can(Action.EDIT_DEFINITIONS),
            "my_side": side,
            "i_approved": side in approved_sides,
            "document_json": json.dumps(definition.document, indent=2),
        },
    )


@require_POST
@member_view(post_requires=Action.EDIT_DEFINITIONS)
def definition_action(
    request: HttpRequest, membership: Membership, pk: int, action: str
) -> HttpResponse:
    if action not in ACTIONS:
        raise NotFound(f"No action '{action}'.")
    actor = web_actor(membership)
    definition = selectors.definition_get(membership.workspace, pk)
    try:
        if action == "propose":
            services.definition_propose(actor=actor, definition_id=pk)
            messages.success(request, f"v{definition.version} proposed: it now needs both sides.")
        elif action == "approve":
            approval = services.definition_approve(actor=actor, definition_id=pk)
            messages.success(request, f"Approved v{definition.version} for {approval.team_kind}.")
        elif action == "activate":
            services.definition_activate(actor=actor, definition_id=pk)
            job = _run_small_rescore(membership)
            messages.success(
                request,
                f"v{definition.version} is active; "
                + (
                    f"every contact was re-scored: {job.promoted} moved lead → MQL."
                    if job is not None
                    else "every contact is being re-scored by the worker."
                ),
            )
        else:
            created = services.definition_rollback(
                actor=actor, definition_id=pk, comment=request.POST.get("comment", "")
            )
            messages.success(request, f"v{created.version} proposes v{definition.version} again.")
            return redirect("web:definition", pk=created.pk)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except AccordError as exc:
        messages.error(request, exc.message)
    return redirect("web:definition", pk=pk)


@require_GET
@member_view()
def definition_backtest(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The back-test panel (loaded by htmx after the page, because it replays all history)."""
    definition = selectors.definition_get(membership.workspace, pk)
    try:
        months = min(max(int(request.GET.get("months", "12")), 1), 36)
    except ValueError:
        months = 12
    result = backtest_version(membership.workspace, definition, months=months)
    versions = [v for v in (result.proposed, result.active) if v is not None]
    peak = max((m for v in versions for m in v.per_month), default=0) or 1
    return render(
        request,
        "web/definitions/backtest.html",
        {
            "result": result,
            "versions": versions,
            "rows": [(m, [v.per_month[i] for v in versions]) for i, m in enumerate(result.months)],
            "peak": peak,
            "months": months,
            "definition": definition,
        },
    )


@require_POST
@member_view(post_requires=Action.EDIT_DEFINITIONS)
def rescore_start(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        job = rescore_queue(web_actor(membership))
    except AccordError as exc:
        messages.error(request, exc.message)
        return redirect("web:definitions")
    if _run_small_rescore(membership) is None:
        messages.success(request, "Re-score queued; `accord worker` runs it.")
    return redirect("web:rescore_job", pk=job.pk)


@require_GET
@member_view()
def rescore_job(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    job = RescoreJob.objects.for_workspace(membership.workspace).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"No re-score job with id {pk}.")
    template = "web/definitions/rescore.html"
    if request.headers.get("HX-Request"):
        template += "#status"
    return render(request, template, {"job": job})
