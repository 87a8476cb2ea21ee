"""The web import flow: upload a file, check the proposed column mapping on the preview, confirm,
and follow the job's progress. Views parse input, check the role and call
`accord.integrations.imports`; the worker (`accord worker`) runs the job."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.core.errors import AccordError, ValidationFailed
from accord.identity.actor import Actor
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.integrations.forms_import import (
    RECORD_TYPE_LABELS,
    MappingForm,
    UploadForm,
)
from accord.integrations.importing.jobs import Preview
from accord.integrations.importing.presets import PRESETS
from accord.integrations.importing.report import error_rows
from accord.integrations.importing.targets import REQUIRED, TARGETS
from accord.integrations.imports import (
    ImportPreview,
    import_job_get,
    import_job_list,
    import_preview,
    import_start,
    progress_percent,
)
from accord.integrations.mappings import saved_mapping_list
from accord.integrations.models import ImportJob, ImportMode, JobStatus, OnMatch
from accord.integrations.uploads import (
    StagedUpload,
    max_upload_bytes,
    size_label,
    upload_discard,
    upload_get,
    upload_stage,
)
from accord.integrations.web_access import member_view, web_actor

RECENT_JOBS = 50
_ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING)


def _writer(membership: Membership) -> Actor:
    """The web actor of a member who may import (viewers get a 403 page)."""
    actor = web_actor(membership)
    actor.require(Action.WRITE_RECORDS)
    return actor


# List ----------------------------------------------------------------------------------------


@require_GET
@member_view()
def import_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    jobs = list(import_job_list(membership.workspace)[:RECENT_JOBS])
    return render(
        request,
        "integrations/imports/list.html",
        {
            "jobs": jobs,
            "can_import": web_actor(membership).can(Action.WRITE_RECORDS),
            "type_labels": RECORD_TYPE_LABELS,
        },
    )


# Upload --------------------------------------------------------------------------------------


def _stage_and_check(actor: Actor, form: UploadForm) -> StagedUpload:
    """Store the upload and read it once with the chosen mapping, so a file the engine cannot
    read is refused here, with its message, and nothing is kept."""
    data = form.cleaned_data
    uploaded = data["file"]
    upload = upload_stage(
        actor=actor,
        chunks=uploaded.chunks(),
        file_name=uploaded.name or "upload.csv",
        size=uploaded.size or 0,
        options={
            "record_type": data["record_type"],
            "mode": data["mode"],
            "on_match": data["on_match"],
            "mapping": data["mapping"] or "",
            "date_order": data["date_order"] or "",
        },
    )
    try:
        import_preview(
            actor=actor,
            upload=upload,
            record_type=data["record_type"],
            mapping_name=data["mapping"],
            date_order=data["date_order"] or None,
        )
    except AccordError:
        upload_discard(upload)
        raise
    return upload


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def import_upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = _writer(membership)
    saved = list(saved_mapping_list(membership.workspace))
    if request.method != "POST":
        form = UploadForm(saved=saved)
        return _render_upload(request, form)
    form = UploadForm(request.POST, request.FILES, saved=saved)
    if form.is_valid():
        try:
            upload = _stage_and_check(actor, form)
        except AccordError as exc:
            form.add_service_errors(exc)
        else:
            return redirect("imports:preview", token=upload.token)
    return _render_upload(request, form, status=400)


def _render_upload(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "integrations/imports/upload.html",
        {"form": form, "max_upload": size_label(max_upload_bytes())},
        status=status,
    )


# Preview and confirm -------------------------------------------------------------------------


def _preview_context(
    upload: StagedUpload, result: ImportPreview, form: MappingForm
) -> dict[str, Any]:
    options = upload.options
    record_type = options.get("record_type", "contacts")
    labels = {t.name: t.label for t in TARGETS[record_type]}
    preview = result.preview
    return {
        "upload": upload,
        "form": form,
        "preview": preview,
        "record_type": record_type,
        "record_type_label": RECORD_TYPE_LABELS.get(record_type, record_type),
        "mapping_label": result.choice.label,
        "rows": [row + [""] * (len(preview.mapping.header) - len(row)) for row in preview.rows],
        "columns": list(zip(form.column_fields(), _examples(result), strict=True)),
        "missing_labels": [labels[m] for m in preview.missing_required],
        "required_labels": [labels[r] for r in REQUIRED[record_type]],
        "detected": _detected(preview),
        "preset_label": PRESETS[preset].label if (preset := result.mapping.preset) else "",
        "mode_label": ImportMode(options.get("mode", ImportMode.ALL_OR_NOTHING)).label,
        "on_match_label": OnMatch(options.get("on_match", OnMatch.SKIP)).label,
    }


_ENCODINGS = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _detected(preview: Preview) -> dict[str, str]:
    if preview.kind == "xlsx":
        return {"format": "Excel workbook (XLSX)", "encoding": "", "delimiter": ""}
    return {
        "format": "CSV",
        "encoding": _ENCODINGS.get(preview.encoding, preview.encoding),
        "delimiter": _DELIMITERS.get(preview.delimiter, repr(preview.delimiter)),
    }


def _examples(result: ImportPreview) -> list[str]:
    """The first non-empty value of each column among the preview rows."""
    header = result.mapping.header
    examples = [""] * len(header)
    for row in result.preview.rows:
        for index, cell in enumerate(row[: len(header)]):
            if not examples[index] and cell.strip():
                examples[index] = cell.strip()
    return examples


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def import_preview_page(request: HttpRequest, membership: Membership, token: str) -> HttpResponse:
    actor = _writer(membership)
    upload = upload_get(membership.workspace.pk, token)
    options = upload.options
    record_type = options.get("record_type", "contacts")
    mapping_name = options.get("mapping", "")
    date_order = options.get("date_order") or None
    try:
        proposed = import_preview(
            actor=actor,
            upload=upload,
            record_type=record_type,
            mapping_name=mapping_name,
            date_order=date_order,
        )
    except ValidationFailed as exc:  # e.g. the saved mapping was deleted meanwhile
        messages.error(request, exc.message)
        return redirect("imports:upload")
    if request.method != "POST":
        form = MappingForm(mapping=proposed.mapping)
        context = _preview_context(upload, proposed, form)
        return render(request, "integrations/imports/preview.html", context)

    form = MappingForm(request.POST, mapping=proposed.mapping)
    result = proposed
    if form.is_valid():
        columns = form.columns()
        try:
            result = import_preview(
                actor=actor,
                upload=upload,
                record_type=record_type,
                mapping_name=mapping_name,
                columns=columns,
                date_order=date_order,
            )
            if request.POST.get("action") == "confirm":
                return _confirm(request, actor, upload, columns, form.cleaned_data["save_as"])
        except AccordError as exc:
            form.add_service_errors(exc)
    context = _preview_context(upload, result, form)
    if request.headers.get("HX-Request") == "true":  # the mapping status, refreshed on change
        return render(request, "integrations/imports/preview.html#mapping-status", context)
    status = 400 if form.errors else 200
    return render(request, "integrations/imports/preview.html", context, status=status)


def _confirm(
    request: HttpRequest,
    actor: Actor,
    upload: StagedUpload,
    columns: dict[str, str],
    save_as: str,
) -> HttpResponse:
    options = upload.options
    job = import_start(
        actor=actor,
        upload=upload,
        record_type=options.get("record_type", "contacts"),
        mode=options.get("mode", ImportMode.ALL_OR_NOTHING),
        on_match=options.get("on_match", OnMatch.SKIP),
        mapping_name=options.get("mapping", ""),
        columns=columns,
        save_as=save_as,
        date_order=options.get("date_order") or None,
    )
    upload_discard(upload)
    if save_as.strip():
        messages.success(request, f"Mapping saved as “{save_as.strip()}”.")
    messages.info(request, f"Import {job.pk} is queued; this page follows its progress.")
    return redirect("imports:job", pk=job.pk)


# Job -----------------------------------------------------------------------------------------


def _job_context(job: ImportJob) -> dict[str, Any]:
    return {
        "job": job,
        "active": job.status in _ACTIVE,
        "percent": progress_percent(job),
        "type_label": RECORD_TYPE_LABELS.get(job.record_type, job.record_type),
        "preset_label": PRESETS[preset].label
        if (preset := (job.mapping or {}).get("preset", "")) in PRESETS
        else "",
        "error_count": job.errors.count(),
    }


@require_GET
@member_view()
def import_job(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    job = import_job_get(membership.workspace, pk)
    return render(request, "integrations/imports/job.html", _job_context(job))


@require_GET
@member_view()
def import_job_progress(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The status block alone, which the job page polls every second while the job runs."""
    job = import_job_get(membership.workspace, pk)
    return render(request, "integrations/imports/job.html#progress", _job_context(job))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


@require_GET
@member_view()
def import_job_errors(request: HttpRequest, membership: Membership, pk: int) -> HttpResponseBase:
    job = import_job_get(membership.workspace, pk)
    response = StreamingHttpResponse(
        _csv_lines(error_rows(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
