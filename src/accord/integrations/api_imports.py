"""REST endpoints of imports and saved mappings.

POST /imports takes a multipart upload and answers 202 with the queued job; `accord worker`
runs it. POST /imports/preview reads the file and proposes the mapping without writing
anything. GET /imports/{id} shows progress and the summary; /imports/{id}/errors is the error
report as CSV. /mappings are the workspace's saved column mappings.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, ResultList
from accord.core.errors import ValidationFailed
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.integrations import mappings
from accord.integrations.importing.presets import PRESETS
from accord.integrations.importing.report import error_rows
from accord.integrations.importing.targets import RECORD_TYPES, TARGETS
from accord.integrations.imports import (
    import_job_get,
    import_job_list,
    import_preview,
    import_start,
    progress_percent,
)
from accord.integrations.models import ImportJob, ImportMode, OnMatch, SavedMapping
from accord.integrations.uploads import StagedUpload, upload_discard, upload_stage

router = Router(tags=["imports"])

_TYPES = ", ".join(RECORD_TYPES)
_MAPPING_HELP = (
    f"A preset ({', '.join(PRESETS)}) or the name of a saved mapping; empty: detect the preset "
    "from the header."
)
_COLUMNS_HELP = (
    'Optional JSON object of header -> target overrides, e.g. {"E-mail": "email", '
    '"Notes": ""} ("" or "custom:<name>" keeps a column as a custom field).'
)


# Schemas -------------------------------------------------------------------------------------


class ImportForm(Schema):
    type: str = Field("contacts", description=f"The record type: {_TYPES}.")
    mode: str = Field(
        ImportMode.ALL_OR_NOTHING,
        description="all-or-nothing (any bad row imports nothing) or valid-rows.",
    )
    on_match: str = Field(OnMatch.SKIP, description="skip, fill-empty or overwrite.")
    mapping: str = Field("", description=_MAPPING_HELP)
    columns: str = Field("", description=_COLUMNS_HELP)
    date_order: str = Field(
        "",
        description="dmy or mdy: the order of day and month in the file's a/b/YYYY dates "
        "(default: decided per column from the file's own dates).",
    )


class PreviewForm(Schema):
    type: str = Field("contacts", description=f"The record type: {_TYPES}.")
    mapping: str = Field("", description=_MAPPING_HELP)
    columns: str = Field("", description=_COLUMNS_HELP)
    date_order: str = Field(
        "",
        description="dmy or mdy: the order of day and month in the file's a/b/YYYY dates "
        "(default: decided per column from the file's own dates).",
    )


class ImportProgress(Schema):
    rows_done: int
    rows_total: int | None = Field(description="Estimated from the file; null for XLSX.")
    percent: int | None


class ImportSummary(Schema):
    created: int
    updated: int
    unchanged: int
    skipped: int
    failed: int


class ImportLinks(Schema):
    self: str
    errors: str
    web: str


class ImportJobOut(Schema):
    id: int
    record_type: str
    file_name: str
    file_size: int
    status: Literal["pending", "running", "succeeded", "failed"]
    mode: str
    on_match: str
    preset: str = Field(description="The preset the mapping came from; empty for none.")
    message: str
    progress: ImportProgress
    summary: ImportSummary
    created_by: str | None = Field(description="Email of the member who started it.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    links: ImportLinks


class ImportJobDetailOut(ImportJobOut):
    error_count: int


class ImportListParams(ListParams):
    ordering: Literal["-created_at", "created_at"] = "-created_at"
    status: Literal["pending", "running", "succeeded", "failed"] | None = None
    type: str = Field("", description=f"Only imports of this record type ({_TYPES}).")


class ColumnOut(Schema):
    column: str
    target: str = Field(description="A target name, or custom:<column> for a custom field.")
    label: str


class PreviewOut(Schema):
    format: Literal["csv", "xlsx"]
    encoding: str
    delimiter: str
    preset: str
    mapping_source: str = Field(description="The preset or saved mapping used, if any.")
    columns: list[ColumnOut]
    missing_required: list[str]
    value_maps: dict[str, dict[str, str]]
    rows: list[list[str]]
    dates: list[str] = Field(
        description="How the import will read dates like 03/04/2025, column by column (the "
        "order stated with date_order, else decided from each column's values)."
    )


class MappingOut(Schema):
    id: int
    name: str
    record_type: str
    columns: dict[str, str]
    value_maps: dict[str, dict[str, str]]
    created_at: dt.datetime
    updated_at: dt.datetime


class MappingPatch(InSchema):
    name: str | None = None
    record_type: str | None = Field(None, description=f"One of {_TYPES}.")
    columns: dict[str, str] | None = Field(None, description="header -> target.")
    value_maps: dict[str, dict[str, str]] | None = Field(
        None, description="target -> {their value: our value}."
    )


class MappingIn(MappingPatch):
    name: str
    record_type: str = Field(description=f"One of {_TYPES}.")
    columns: dict[str, str] = Field(description="header -> target.")


# Helpers -------------------------------------------------------------------------------------


def _job_out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "record_type": job.record_type,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "status": job.status,
        "mode": job.mode,
        "on_match": job.on_match,
        "preset": (job.mapping or {}).get("preset", ""),
        "message": job.message,
        "progress": {
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": progress_percent(job),
        },
        "summary": job.summary,
        "created_by": job.created_by.email if job.created_by else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "links": {
            "self": reverse("api:get_import", kwargs={"import_id": job.pk}),
            "errors": reverse("api:get_import_errors", kwargs={"import_id": job.pk}),
            "web": reverse("imports:job", kwargs={"pk": job.pk}),
        },
    }


def _columns(raw: str) -> dict[str, str] | None:
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailed.single("columns", f"Not valid JSON: {exc.msg}.") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed.single("columns", "Expected a JSON object of header -> target.")
    return value


def _stage(actor: Actor, file: UploadedFile) -> StagedUpload:
    actor.require(Action.WRITE_RECORDS)
    return upload_stage(
        actor=actor, chunks=file.chunks(), file_name=file.name or "upload", size=file.size or 0
    )


# Imports -------------------------------------------------------------------------------------


@router.post(
    "/imports",
    response={202: ImportJobOut},
    summary="Upload a file and queue its import",
    description="Multipart form: `file` (CSV or XLSX) and the fields below. The file and its "
    "mapping are checked first (400 with the reason in `fields`, nothing written); then the job "
    "is queued for `accord worker` and returned with status `pending`.",
)
def create_import(
    request: HttpRequest, file: File[UploadedFile], form: Form[ImportForm]
) -> Status[Any]:
    actor = request_actor(request)
    columns = _columns(form.columns)
    upload = _stage(actor, file)
    try:
        job = import_start(
            actor=actor,
            upload=upload,
            record_type=form.type,
            mode=form.mode,
            on_match=form.on_match,
            mapping_name=form.mapping,
            columns=columns,
            date_order=form.date_order or None,
        )
    finally:
        upload_discard(upload)
    return Status(202, _job_out(import_job_get(actor.workspace, job.pk)))


@router.post(
    "/imports/preview",
    response=PreviewOut,
    summary="Preview a file's mapping without importing",
    description="Multipart form like POST /imports. Answers the detected format, encoding and "
    "delimiter, the preset, the proposed column mapping and the first 10 rows. Writes nothing.",
)
def preview_import(
    request: HttpRequest, file: File[UploadedFile], form: Form[PreviewForm]
) -> dict[str, Any]:
    actor = request_actor(request)
    columns = _columns(form.columns)
    upload = _stage(actor, file)
    try:
        result = import_preview(
            actor=actor,
            upload=upload,
            record_type=form.type,
            mapping_name=form.mapping,
            columns=columns,
            date_order=form.date_order or None,
        )
    finally:
        upload_discard(upload)
    preview = result.preview
    labels = {t.name: t.label for t in TARGETS[form.type]}
    return {
        "format": preview.kind,
        "encoding": preview.encoding,
        "delimiter": preview.delimiter,
        "preset": preview.mapping.preset,
        "mapping_source": result.choice.saved.name if result.choice.saved else "",
        "columns": [
            {"column": column, "target": target, "label": label}
            for (column, label), target in zip(
                preview.mapping.describe(), preview.mapping.targets, strict=True
            )
        ],
        "missing_required": [labels[m] for m in preview.missing_required],
        "value_maps": preview.mapping.value_maps,
        "rows": preview.rows,
        "dates": preview.dates,
    }


@router.get("/imports", response=Page[ImportJobOut], summary="List import jobs")
def list_imports(request: HttpRequest, params: Query[ImportListParams]) -> PageResult[Any]:
    workspace = request_membership(request).workspace
    jobs = import_job_list(workspace)
    if params.status:
        jobs = jobs.filter(status=params.status)
    if params.type:
        jobs = jobs.filter(record_type=params.type)
    page = paginate_params(jobs, params)
    return PageResult(results=[_job_out(j) for j in page.results], next_cursor=page.next_cursor)


@router.get(
    "/imports/{import_id}",
    response=ImportJobDetailOut,
    url_name="get_import",
    summary="An import job: status, progress and summary",
)
def get_import(request: HttpRequest, import_id: RecordId) -> dict[str, Any]:
    job = import_job_get(request_membership(request).workspace, import_id)
    return {**_job_out(job), "error_count": job.errors.count()}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


@router.get(
    "/imports/{import_id}/errors",
    response={200: None},
    url_name="get_import_errors",
    summary="The error report of an import (CSV)",
    description="CSV with the columns row, column, value, reason: row 1 is the first row after "
    "the header. Cells a spreadsheet would run as a formula are prefixed with a quote.",
)
def get_import_errors(request: HttpRequest, import_id: RecordId) -> StreamingHttpResponse:
    job = import_job_get(request_membership(request).workspace, import_id)
    response = StreamingHttpResponse(
        _csv_lines(error_rows(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


# Saved mappings ------------------------------------------------------------------------------


@router.get("/mappings", response=ResultList[MappingOut], tags=["mappings"])
def list_mappings(request: HttpRequest) -> dict[str, list[SavedMapping]]:
    workspace = request_membership(request).workspace
    return {"results": list(mappings.saved_mapping_list(workspace))}


@router.post("/mappings", response={201: MappingOut}, tags=["mappings"])
def create_mapping(request: HttpRequest, payload: MappingIn) -> Status[Any]:
    saved = mappings.saved_mapping_create(
        actor=request_actor(request),
        name=payload.name,
        record_type=payload.record_type,
        columns=payload.columns,
        value_maps=payload.value_maps,
    )
    return Status(201, saved)


@router.get("/mappings/{mapping_id}", response=MappingOut, tags=["mappings"])
def get_mapping(request: HttpRequest, mapping_id: RecordId) -> SavedMapping:
    return mappings.saved_mapping_get(request_membership(request).workspace, mapping_id)


@router.patch("/mappings/{mapping_id}", response=MappingOut, tags=["mappings"])
def update_mapping(request: HttpRequest, mapping_id: RecordId, payload: MappingPatch) -> Any:
    values = payload.to_values()
    for required in ("name", "record_type", "columns"):
        if required in values and values[required] is None:
            raise ValidationFailed.single(required, "This field cannot be null.")
    return mappings.saved_mapping_update(
        actor=request_actor(request), mapping_id=mapping_id, **values
    )


@router.delete("/mappings/{mapping_id}", response={204: None}, tags=["mappings"])
def delete_mapping(request: HttpRequest, mapping_id: RecordId) -> Status[None]:
    mappings.saved_mapping_delete(actor=request_actor(request), mapping_id=mapping_id)
    return Status(204, None)
