"""The sales-enablement library: the library with its filters and the upload / add-link form
(admins, managers, marketers), an asset's page with its versions, a new version and who used
it on which deal, the downloads (served as attachments with safe headers), recording an asset
used on a deal (from the deal's page; sales reps, SDRs, managers), and the usage report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import Conflict, ValidationFailed
from accord.core.periods import in_range
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.marketing import enablement_selectors as sel
from accord.marketing import enablement_services as svc
from accord.marketing.asset_files import allowed_extensions, max_asset_bytes, stored_path
from accord.marketing.enablement_documents import period
from accord.web.views.access import member_view, web_actor

FORM_FIELDS = ("title", "description", "kind", "url", "stages", "personas", "industries", "note")
FILTERS = ("stage", "persona", "industry", "search")


def _errors(exc: ValidationFailed | Conflict) -> dict[str, list[str]]:
    return exc.fields or {"__all__": [exc.message]}


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.MANAGE_ASSETS)
def enablement_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = dict.fromkeys(FORM_FIELDS, "") | {"kind": "file"}
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in FORM_FIELDS}
        upload = request.FILES.get("file")
        values = {k: v for k, v in form.items() if v != "" and k != "url"}
        if form["kind"] == "link":
            values["url"] = form["url"]
        try:
            asset = svc.asset_create(
                actor=web_actor(membership),
                values=values,
                file_name=upload.name if upload and form["kind"] != "link" else None,
                chunks=upload.chunks() if upload and form["kind"] != "link" else None,
            )
        except ValidationFailed as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"Asset added: {asset.title}.")
            return redirect("web:asset", pk=asset.pk)
    filters = {name: request.GET.get(name, "").strip() for name in FILTERS}
    return render(
        request,
        "web/enablement/index.html",
        {
            "assets": sel.asset_list(
                workspace,
                stage=filters["stage"],
                persona=filters["persona"],
                industry=filters["industry"],
                search=filters["search"],
            ),
            "filters": filters,
            "tags": sel.tag_values(workspace),
            "form": form,
            "errors": errors,
            "can_manage": web_actor(membership).can(Action.MANAGE_ASSETS),
            "limit_mb": max_asset_bytes() // (1024 * 1024),
            "extensions": allowed_extensions(),
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.MANAGE_ASSETS)
def asset_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    asset = sel.asset_get(membership.workspace, pk)
    if asset is None:
        raise Http404("No such asset in this workspace.")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            version = svc.version_add(
                actor=web_actor(membership),
                asset_id=asset.pk,
                file_name=upload.name if upload else None,
                chunks=upload.chunks() if upload else None,
                url=request.POST.get("url", ""),
                note=request.POST.get("note", ""),
            )
        except (ValidationFailed, Conflict) as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"Version {version.number} added.")
            return redirect("web:asset", pk=asset.pk)
    return render(
        request,
        "web/enablement/detail.html",
        {
            "asset": asset,
            "versions": sel.asset_versions(asset),
            "usages": sel.asset_usages(asset),
            "errors": errors,
            "can_manage": web_actor(membership).can(Action.MANAGE_ASSETS),
        },
        status=400 if errors else 200,
    )


@require_GET
@member_view()
def asset_download(request: HttpRequest, membership: Membership, pk: int, number: int) -> Any:
    """The stored file as an attachment: never rendered by the browser (nosniff, a sandboxing
    Content-Security-Policy), under its uploaded name."""
    version = sel.version_for_download(membership.workspace, pk, number)
    if version is None or not version.storage_name:
        raise Http404("No such file in this workspace.")
    path = stored_path(membership.workspace.pk, version.storage_name)
    if not path.is_file():
        raise Http404("The file is missing from the data directory.")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=version.file_name or f"asset-{pk}-v{number}",
        content_type=version.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@member_view(post_requires=Action.RECORD_ASSET_USE)
def asset_use(request: HttpRequest, membership: Membership, deal_pk: int) -> HttpResponse:
    """Record an asset used on a deal (the deal page's 'Assets used' card)."""
    try:
        asset_id = int(request.POST.get("asset_id", ""))
    except ValueError:
        messages.error(request, "Choose an asset.")
        return redirect("web:deal", pk=deal_pk)
    try:
        usage, created = svc.usage_record(
            actor=web_actor(membership),
            asset_id=asset_id,
            deal_id=deal_pk,
            note=request.POST.get("note", ""),
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        text = "Recorded" if created else "Already recorded"
        messages.success(request, f"{text}: {usage.asset.title} on this deal.")
    return redirect("web:deal", pk=deal_pk)


def deal_assets_context(membership: Membership, deal_id: int) -> dict[str, Any]:
    """The deal page's 'Assets used' card: what was recorded, and the library to pick from."""
    workspace = membership.workspace
    can_record = web_actor(membership).can(Action.RECORD_ASSET_USE)
    return {
        "asset_usages": sel.deal_asset_usages(workspace, deal_id),
        "library": sel.asset_list(workspace) if can_record else [],
        "can_record_assets": can_record,
    }


def _date(value: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or in_range(day) else None


@require_GET
@member_view()
def enablement_report(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    start, end = _date(request.GET.get("start", "")), _date(request.GET.get("end", ""))
    try:
        span = period(start, end, timezone.now().date())
    except ValidationFailed:
        span = period(None, end, timezone.now().date())
    reps, teams = sel.usage_by_rep_and_team(workspace, span)
    return render(
        request,
        "web/enablement/report.html",
        {
            "start": span.start.date(),
            "end": (span.end - dt.timedelta(days=1)).date(),
            "reps": reps,
            "teams": teams,
            "win_rates": sel.asset_win_rates(workspace, span),
            "unused": sel.unused_assets(workspace, span),
        },
    )
