"""REST endpoints of the enablement library and the marketing calendar: assets (list, add a
link as JSON or a file as multipart, new versions), usage on deals, the usage and win-rate
report; calendar entries and the capacity plan. Downloads are served by the web app
(/enablement/<id>/v<n>/download) with safe headers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.schemas import InSchema
from accord.core.errors import NotFound
from accord.marketing import calendar_selectors as cal
from accord.marketing import enablement_selectors as sel
from accord.marketing import enablement_services as svc
from accord.marketing.calendar_services import calendar_create, calendar_update
from accord.marketing.enablement_documents import (
    asset_document,
    capacity_document,
    entry_document,
    period,
    report_document,
    usage_document,
    version_document,
)

router = Router(tags=["enablement"])


class AssetFilters(Schema):
    stage: str = ""
    persona: str = ""
    industry: str = ""
    search: str = ""
    include_archived: bool = False


@router.get("/assets", summary="List the enablement library")
def list_assets(request: HttpRequest, filters: Query[AssetFilters]) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    assets = sel.asset_list(workspace, **filters.model_dump())
    return {"results": [asset_document(a, a.newest) for a in assets]}  # type: ignore[attr-defined]


class LinkIn(InSchema):
    title: str
    kind: str = Field("link", description="'link' here; files are sent to POST /assets/upload.")
    url: str = Field(description="An http:// or https:// address.")
    description: str = ""
    stages: list[str] = []
    personas: list[str] = []
    industries: list[str] = []
    owner_id: int | None = None
    note: str = ""


@router.post("/assets", response={201: dict[str, Any]}, summary="Add a link asset")
def create_link(request: HttpRequest, payload: LinkIn) -> Status[Any]:
    asset = svc.asset_create(actor=request_actor(request), values=payload.to_values() | {
        "kind": payload.kind})  # fmt: skip
    return Status(201, asset_document(asset))


class UploadForm(Schema):
    title: str
    description: str = ""
    stages: str = Field("", description="Comma-separated.")
    personas: str = Field("", description="Comma-separated.")
    industries: str = Field("", description="Comma-separated.")
    note: str = ""


@router.post(
    "/assets/upload",
    response={201: dict[str, Any]},
    summary="Upload a file asset",
    description="Multipart form: `file` and the fields below. PDF, PNG, JPEG, GIF, DOCX, XLSX, "
    "PPTX, MP4, TXT or CSV, checked by extension and content, up to ACCORD_MAX_ASSET_MB "
    "(25 MB by default). A bad file is refused (400) and nothing is written.",
)
def upload_asset(
    request: HttpRequest, file: File[UploadedFile], form: Form[UploadForm]
) -> Status[Any]:
    values = {k: v for k, v in form.model_dump().items() if v != ""} | {"kind": "file"}
    asset = svc.asset_create(actor=request_actor(request), values=values,
                             file_name=file.name or "upload", chunks=file.chunks())  # fmt: skip
    return Status(201, asset_document(asset))


def _asset(request: HttpRequest, asset_id: int) -> Any:
    asset = sel.asset_get(request_membership(request).workspace, asset_id)
    if asset is None:
        raise NotFound(f"No asset with id {asset_id} in this workspace.")
    return asset


@router.get("/assets/{asset_id}", summary="An asset with its versions")
def get_asset(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    asset = _asset(request, asset_id)
    versions = sel.asset_versions(asset)
    return asset_document(asset, versions) | {"versions": [version_document(v) for v in versions]}


class AssetPatch(InSchema):
    title: str | None = None
    description: str | None = None
    stages: list[str] | None = None
    personas: list[str] | None = None
    industries: list[str] | None = None
    owner_id: int | None = None
    archived: bool | None = None


@router.patch("/assets/{asset_id}", summary="Change an asset's title, tags or archive it")
def update_asset(request: HttpRequest, asset_id: int, payload: AssetPatch) -> dict[str, Any]:
    asset = svc.asset_update(actor=request_actor(request), asset_id=asset_id,
                             values=payload.to_values())  # fmt: skip
    return asset_document(asset)


class VersionForm(Schema):
    url: str = ""
    note: str = ""


@router.post(
    "/assets/{asset_id}/versions",
    response={201: dict[str, Any]},
    summary="Add a version",
    description="Multipart form: `file` for a file asset, or `url` for a link.",
)
def add_version(request: HttpRequest, asset_id: int, form: Form[VersionForm],
                file: File[UploadedFile | None] = None) -> Status[Any]:  # fmt: skip
    version = svc.version_add(
        actor=request_actor(request), asset_id=asset_id, url=form.url, note=form.note,
        file_name=(file.name or "upload") if file else None,
        chunks=file.chunks() if file else None,
    )  # fmt: skip
    return Status(201, version_document(version))


class UsageIn(InSchema):
    deal_id: int
    note: str = ""


@router.post("/assets/{asset_id}/usages", response={200: dict[str, Any], 201: dict[str, Any]},
             summary="Record that you used the asset on a deal")  # fmt: skip
def record_usage(request: HttpRequest, asset_id: int, payload: UsageIn) -> Status[Any]:
    """Once per asset, deal and person: repeating it answers 200 with the first record."""
    usage, created = svc.usage_record(actor=request_actor(request), asset_id=asset_id,
                                      deal_id=payload.deal_id, note=payload.note)  # fmt: skip
    return Status(201 if created else 200, usage_document(usage))


@router.get("/assets/{asset_id}/usages", summary="Who used the asset on which deal")
def list_usages(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    return {"results": [usage_document(u) for u in sel.asset_usages(_asset(request, asset_id))]}


class PeriodQuery(Schema):
    start: dt.date | None = Field(None, description="Default: 89 days before the end.")
    end: dt.date | None = Field(None, description="Inclusive; default today (UTC).")


@router.get("/enablement/report", summary="Usage by rep and team, win rates, unused assets")
def enablement_report(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    """Usage recorded in the period by rep and team; for each asset the deals closed in the
    period it was used on (won, lost) against those it was not, the difference in win rate and
    its 95 % interval (Newcombe); and the assets nobody used in the period."""
    workspace = request_membership(request).workspace
    span = period(query.start, query.end, timezone.now().date())
    return report_document(workspace, span)


# The marketing calendar --------------------------------------------------------------------

calendar_router = Router(tags=["calendar"])


class EntryIn(InSchema):
    title: str | None = None
    kind: str | None = Field(None, description="campaign, event, webinar, email_send, launch "
                             "or other.")  # fmt: skip
    campaign_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = Field(None, description="Default: the start date.")
    expected_leads: int | None = None
    expected_mqls: int | None = Field(None, description="Empty: leads x the lead-to-MQL rate.")
    owner_id: int | None = None
    notes: str | None = None


class CalendarQuery(Schema):
    start: dt.date | None = Field(None, description="Default: today.")
    end: dt.date | None = Field(None, description="Default: 8 weeks after the start.")


class CapacityQuery(Schema):
    weeks: int = Field(8, ge=1, le=52)
    capacity: float | None = Field(None, gt=0, description="MQLs one seller can work a week.")


@calendar_router.get("/calendar/capacity", summary="Expected MQLs per seller per ISO week")
def capacity(request: HttpRequest, query: Query[CapacityQuery]) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    return capacity_document(workspace, timezone.now().date(), query.weeks, query.capacity)


@calendar_router.get("/calendar", summary="Calendar entries overlapping a period")
def list_entries(request: HttpRequest, query: Query[CalendarQuery]) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    first = query.start or timezone.now().date()
    last = query.end or first + dt.timedelta(weeks=8)
    rate = cal.lead_to_mql_rate(workspace, timezone.now())
    return {
        "results": [entry_document(e, rate) for e in cal.entries_between(workspace, first, last)]
    }


@calendar_router.post("/calendar", response={201: dict[str, Any]}, summary="Add an entry")
def create_entry(request: HttpRequest, payload: EntryIn) -> Status[Any]:
    actor = request_actor(request)
    entry = calendar_create(actor=actor, values=payload.to_values())
    return Status(201, entry_document(entry, cal.lead_to_mql_rate(actor.workspace, timezone.now())))


@calendar_router.patch("/calendar/{entry_id}", summary="Change an entry")
def update_entry(request: HttpRequest, entry_id: int, payload: EntryIn) -> dict[str, Any]:
    actor = request_actor(request)
    entry = calendar_update(actor=actor, entry_id=entry_id, values=payload.to_values())
    return entry_document(entry, cal.lead_to_mql_rate(actor.workspace, timezone.now()))
