"""Import jobs: create (store the file, propose the mapping), preview, run and resume.

A run reads the file in batches. In `valid-rows` mode every batch commits together with the
job's checkpoint (rows done and counters), so a run that is killed resumes after the last
committed batch and never writes a row twice. In `all-or-nothing` mode the whole file is one
transaction: any bad row rolls everything back, and an interrupted run simply starts over.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core.errors import NotFound, ValidationFailed
from accord.core.events import publish
from accord.crm.services.bulk import BatchCounts
from accord.identity.actor import Actor, Source
from accord.identity.permissions import Action
from accord.identity.selectors import membership_in
from accord.integrations.importing.kinds import importer_for
from accord.integrations.importing.mapping import ColumnMapping, MappingProblem, propose_mapping
from accord.integrations.importing.readers import FileProblem, open_table
from accord.integrations.importing.rows import RowError, RowReader
from accord.integrations.importing.targets import REQUIRED, TARGETS
from accord.integrations.models import ImportJob, ImportMode, ImportRowError, JobStatus, OnMatch

BATCH_ROWS = 5_000
MAX_STORED_ERRORS = 100_000
ProgressCallback = Callable[[ImportJob], None]


@dataclass(frozen=True)
class Preview:
    kind: str
    encoding: str
    delimiter: str
    mapping: ColumnMapping
    rows: list[list[str]]
    missing_required: list[str]


def _file_problem(exc: FileProblem) -> ValidationFailed:
    where = f" (line {exc.line})" if exc.line else ""
    return ValidationFailed.single("file", exc.message + where)


def preview(
    path: Path,
    record_type: str,
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    rows: int = 10,
) -> Preview:
    """Read the header and first rows and propose a mapping. Writes nothing."""
    if record_type not in TARGETS:
        raise ValidationFailed.single(
            "type", f"Unknown record type '{record_type}' (use one of {', '.join(TARGETS)})."
        )
    try:
        table = open_table(path)
        mapping = propose_mapping(
            record_type, table.header, preset=preset, overrides=overrides, value_maps=value_maps
        )
        sample = []
        for _, cells in table.rows():
            sample.append(cells)
            if len(sample) >= rows:
                break
    except FileProblem as exc:
        raise _file_problem(exc) from None
    except MappingProblem as exc:
        raise ValidationFailed.single("mapping", str(exc)) from None
    mapped = mapping.mapped
    missing = [t for t in REQUIRED[record_type] if t not in mapped]
    return Preview(table.info.kind, table.info.encoding, table.info.delimiter, mapping, sample, missing)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _store(path: Path, sha: str, workspace_id: int, name: str) -> Path:
    folder = Path(settings.DATA_DIR) / "imports" / str(workspace_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha[:16]}{Path(name).suffix.lower()[:8]}"
    if not target.exists():
        shutil.copyfile(path, target)
    return target


def import_create(
    *,
    actor: Actor,
    path: Path,
    file_name: str,
    record_type: str,
    mode: str = ImportMode.ALL_OR_NOTHING,
    on_match: str = OnMatch.SKIP,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
) -> ImportJob:
    """Check the file and mapping, keep a copy of the file, and record a pending job."""
    actor.require(Action.WRITE_RECORDS)
    if mode not in ImportMode.values:
        raise ValidationFailed.single("mode", f"Mode must be one of {', '.join(ImportMode.values)}.")
    if on_match not in OnMatch.values:
        raise ValidationFailed.single(
            "on_match", f"on_match must be one of {', '.join(OnMatch.values)}."
        )
    result = preview(path, record_type, preset=preset, overrides=overrides, value_maps=value_maps)
    if result.missing_required:
        labels = {t.name: t.label for t in TARGETS[record_type]}
        names = ", ".join(labels[m] for m in result.missing_required)
        raise ValidationFailed.single(
            "mapping", f"No column is mapped to the required field(s): {names}."
        )
    sha = _sha256(path)
    stored = _store(path, sha, actor.workspace.pk, file_name)
    return ImportJob.objects.create(
        workspace=actor.workspace,
        record_type=record_type,
        file_name=Path(file_name).name[:255],
        stored_path=str(stored),
        file_sha256=sha,
        file_size=stored.stat().st_size,
        mode=mode,
        on_match=on_match,
        mapping=result.mapping.to_json(),
        created_by=actor.user,
    )


def _estimate_rows(path: Path) -> int | None:
    if path.suffix.lower() == ".xlsx":
        return None
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


class _Rollback(Exception):
    pass


def _job_actor(job: ImportJob) -> Actor:
    if job.created_by is None:
        return Actor.system(job.workspace, Source.IMPORT, rule=f"import job {job.pk}")
    membership = membership_in(job.created_by, job.workspace_id)
    if membership is None:
        raise ValidationFailed("The person who started this import is no longer a member.")
    actor = Actor.for_membership(membership, Source.IMPORT)
    return Actor(actor.workspace, Source.IMPORT, actor.user, actor.role, f"import job {job.pk}")


def import_run(
    *, workspace_id: int, job_id: int, progress: ProgressCallback | None = None
) -> ImportJob:
    """Run (or resume) an import job to the end and return it with its summary."""
    with transaction.atomic():
        job = (
            ImportJob.objects.for_workspace(workspace_id)
            .select_for_update()
            .select_related("workspace", "created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            raise NotFound(f"No import job {job_id} in this workspace.")
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return job
        if job.mode == ImportMode.ALL_OR_NOTHING:
            _reset_counters(job)  # nothing of an interrupted atomic run was committed
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.rows_total = _estimate_rows(Path(job.stored_path))
        job.save()
    try:
        _run(job, progress)
    except (FileProblem, ValidationFailed) as exc:
        message = exc.message
        _finish(job, JobStatus.FAILED, message)
    return job


def _reset_counters(job: ImportJob) -> None:
    job.rows_done = job.created = job.updated = job.unchanged = job.skipped = job.failed = 0
    ImportRowError.objects.filter(job=job).delete()


def _finish(job: ImportJob, status: str, message: str) -> None:
    publish(
        job.workspace_id,
        "import.finished",
        {
            "import_id": job.pk,
            "record_type": job.record_type,
            "file_name": job.file_name,
            "status": status,
            "message": message,
            "rows": job.rows_done,
            **job.summary,
        },
    )
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    ImportJob.objects.for_workspace(job.workspace_id).filter(pk=job.pk).update(
        status=status,
        message=message,
        finished_at=job.finished_at,
        rows_done=job.rows_done,
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        skipped=job.skipped,
        failed=job.failed,
    )


def _save_errors(job: ImportJob, errors: list[RowError]) -> None:
    room = MAX_STORED_ERRORS - ImportRowError.objects.filter(job=job).count()
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                job=job, row=e.row, column=e.column[:255], value=e.value[:500], reason=e.reason[:500]
            )
            for e in errors[: max(room, 0)]
        ],
        batch_size=2000,
    )


def _checkpoint(job: ImportJob) -> None:
    job.heartbeat_at = timezone.now()
    ImportJob.objects.for_workspace(job.workspace_id).filter(pk=job.pk).update(
        rows_done=job.rows_done,
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        skipped=job.skipped,
        failed=job.failed,
        heartbeat_at=job.heartbeat_at,
    )


def _count(job: ImportJob, counts: BatchCounts, failed_rows: int) -> None:
    job.created += counts.created
    job.updated += counts.updated
    job.unchanged += counts.unchanged
    job.skipped += counts.skipped
    job.failed += failed_rows


def _run(job: ImportJob, progress: ProgressCallback | None) -> None:
    actor = _job_actor(job)
    mapping = ColumnMapping.from_json(job.mapping)
    table = open_table(Path(job.stored_path))
    if [h.lower() for h in table.header] != [h.lower() for h in mapping.header]:
        raise ValidationFailed("The stored file's header no longer matches the job's mapping.")
    reader = RowReader(mapping)
    importer = importer_for(
        job.record_type, actor, mapping, on_match=job.on_match, rule=f"import job {job.pk}"
    )
    atomic_file = job.mode == ImportMode.ALL_OR_NOTHING
    seen: dict[str, int] = {}
    resume_from = 0 if atomic_file else job.rows_done

    def rows_with_keys() -> None:
        # Rebuild the in-file duplicate index from rows already committed by an earlier run.
        for number, cells in table.rows():
            if number > resume_from:
                return
            values, custom, problem = reader.read(number, cells)
            if problem is None:
                item, errors = importer.prepare(number, values, custom)
                if item is not None:
                    seen.setdefault(importer.key(item), number)

    if resume_from:
        rows_with_keys()

    all_errors: list[RowError] = []
    last_report = 0.0

    def process_batch(batch: list[tuple[int, list[str]]]) -> tuple[BatchCounts, list[RowError]]:
        items = []
        errors: list[RowError] = []
        for number, cells in batch:
            values, custom, problem = reader.read(number, cells)
            if problem is not None:
                errors.append(problem)
                continue
            item, row_errors = importer.prepare(number, values, custom)
            if row_errors:
                errors.extend(row_errors)
                continue
            key = importer.key(item)
            first = seen.get(key)
            if first is not None:
                errors.append(RowError(number, "", key, f"Duplicate of row {first} in this file."))
                continue
            seen[key] = number
            items.append(item)
        write = not (atomic_file and (errors or all_errors))
        counts = importer.write(items) if write and items else BatchCounts()
        return counts, errors

    def run_batches() -> None:
        nonlocal last_report
        batch: list[tuple[int, list[str]]] = []
        rows = table.rows(start_after=resume_from)
        while True:
            chunk_end = False
            for number, cells in rows:
                batch.append((number, cells))
                if len(batch) >= BATCH_ROWS:
                    break
            else:
                chunk_end = True
            if batch:
                last_row = batch[-1][0]
                if atomic_file:
                    counts, errors = process_batch(batch)
                    all_errors.extend(errors)
                    _count(job, counts, len({e.row for e in errors}))
                    job.rows_done = last_row
                else:
                    with transaction.atomic():
                        counts, errors = process_batch(batch)
                        _save_errors(job, errors)
                        _count(job, counts, len({e.row for e in errors}))
                        job.rows_done = last_row
                        _checkpoint(job)
                batch = []
                now = time.monotonic()
                if progress is not None and now - last_report > 0.2:
                    progress(job)
                    last_report = now
            if chunk_end:
                break

    if atomic_file:
        try:
            with transaction.atomic():
                run_batches()
                if all_errors:
                    raise _Rollback
                _checkpoint(job)
        except _Rollback:
            failed_rows = len({e.row for e in all_errors})
            _reset_counters(job)
            job.failed = failed_rows
            _save_errors(job, all_errors)
            _finish(
                job,
                JobStatus.FAILED,
                f"{failed_rows} row(s) have errors, so nothing was imported (all-or-nothing). "
                "Fix them, or import with --mode valid-rows to import the valid rows.",
            )
            if progress is not None:
                progress(job)
            return
    else:
        run_batches()
    if progress is not None:
        progress(job)
    _finish(job, JobStatus.SUCCEEDED, "")
