"""Imports started from the web and the API: preview a staged upload with the mapping a person
chose, then create the job (optionally saving the mapping) and queue it for `accord worker`.

`import_start` is the one write path both entry points use; the engine itself
(`importing.jobs`) is shared with the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.identity.permissions import Action
from accord.integrations.importing.jobs import Preview, import_create, preview
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.progress import live_progress
from accord.integrations.mappings import (
    MappingChoice,
    mapping_choice,
    saved_mapping_create,
    saved_mapping_named,
    saved_mapping_update,
)
from accord.integrations.models import ImportJob, ImportMode, OnMatch
from accord.integrations.tasks import enqueue_import
from accord.integrations.uploads import StagedUpload

PREVIEW_ROWS = 10


# Reads ---------------------------------------------------------------------------------------


def import_job_list(workspace: Workspace | int) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.for_workspace(workspace)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def import_job_get(workspace: Workspace | int, job_id: int) -> ImportJob:
    job = import_job_list(workspace).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No import job {job_id} in this workspace.")
    return live_progress(job)


def progress_percent(job: ImportJob) -> int | None:
    """How far a job is, 0-100, or None while the total is unknown (XLSX, not started)."""
    if job.status in ("succeeded", "failed"):
        return 100
    if not job.rows_total:
        return None
    return min(100, round(job.rows_done / job.rows_total * 100))


# Preview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPreview:
    preview: Preview
    choice: MappingChoice

    @property
    def mapping(self) -> ColumnMapping:
        return self.preview.mapping


def import_preview(
    *,
    actor: Actor,
    upload: StagedUpload,
    record_type: str,
    mapping_name: str | None = None,
    columns: dict[str, str] | None = None,
    rows: int = PREVIEW_ROWS,
    date_order: str | None = None,
) -> ImportPreview:
    """Read the staged file's header and first rows and propose a mapping: the chosen preset
    or saved mapping, then `columns` (header -> target) on top. Writes nothing."""
    actor.require(Action.WRITE_RECORDS)
    choice = mapping_choice(actor.workspace, mapping_name, record_type)
    result = preview(
        upload.path,
        record_type,
        preset=choice.preset,
        overrides={**(choice.overrides or {}), **(columns or {})},
        value_maps=choice.value_maps,
        rows=rows,
        date_order=date_order,
    )
    return ImportPreview(result, choice)


# Start ---------------------------------------------------------------------------------------


def _save_mapping(actor: Actor, name: str, mapping: ColumnMapping, choice: MappingChoice) -> None:
    """Keep the confirmed mapping under `name`; the saved mapping chosen for this import is
    updated in place, any other existing name is a conflict."""
    columns = dict(zip(mapping.header, mapping.targets, strict=True))
    existing = saved_mapping_named(actor.workspace, name)
    if existing is not None and choice.saved is not None and existing.pk == choice.saved.pk:
        saved_mapping_update(
            actor=actor,
            mapping_id=existing.pk,
            record_type=mapping.record_type,
            columns=columns,
            value_maps=mapping.value_maps,
        )
        return
    saved_mapping_create(
        actor=actor,
        name=name,
        record_type=mapping.record_type,
        columns=columns,
        value_maps=mapping.value_maps,
    )


def import_start(
    *,
    actor: Actor,
    upload: StagedUpload,
    record_type: str,
    mode: str = ImportMode.ALL_OR_NOTHING,
    on_match: str = OnMatch.SKIP,
    mapping_name: str | None = None,
    columns: dict[str, str] | None = None,
    save_as: str = "",
    date_order: str | None = None,
) -> ImportJob:
    """Create the import job for a staged upload and queue it. With `save_as` the confirmed
    mapping is also stored as a saved mapping. Either everything is written or nothing."""
    actor.require(Action.WRITE_RECORDS)
    choice = mapping_choice(actor.workspace, mapping_name, record_type)
    with transaction.atomic():
        job = import_create(
            actor=actor,
            path=upload.path,
            file_name=upload.file_name,
            record_type=record_type,
            mode=mode,
            on_match=on_match,
            preset=choice.preset,
            overrides={**(choice.overrides or {}), **(columns or {})},
            value_maps=choice.value_maps,
            date_order=date_order,
        )
        if save_as.strip():
            _save_mapping(actor, save_as.strip(), ColumnMapping.from_json(job.mapping), choice)
        enqueue_import(job)  # the queue is a table: the task commits with the job
    return job
