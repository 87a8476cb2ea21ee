"""Import jobs: create (store the file, propose the mapping), preview, run and resume.

A run reads the file in batches. In `valid-rows` mode every batch commits together with the
job's checkpoint (rows done and counters), so a run that is killed resumes after the last
committed batch and never writes a row twice. In `all-or-nothing` mode the whole file is one
transaction: any bad row rolls everything back, and an interrupted run simply starts over.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core.errors import NotFound, ValidationFailed
from accord.core.events import publish
from accord.crm.services.bulk import BatchCounts
from accord.identity import audit
from accord.identity.actor import Actor, Source
from accord.identity.permissions import Action
from accord.identity.selectors import membership_in
from accord.integrations.importing.batches import BatchReader, PreparedBatch
from accord.integrations.importing.dates import decide_dates
from accord.integrations.importing.dates import describe as describe_dates
from accord.integrations.importing.kinds import importer_for
from accord.integrations.importing.mapping import ColumnMapping, MappingProblem, propose_mapping
from accord.integrations.importing.prepare_process import ReaderSpec, prepared_in_process
from accord.integrations.importing.progress import drop_progress, write_progress
from accord.integrations.importing.readers import FileProblem, open_table
from accord.integrations.importing.rows import RowError
from accord.integrations.importing.targets import REQUIRED, TARGETS
from accord.integrations.importing.values import DATE_ORDERS
from accord.integrations.models import ImportJob, ImportMode, ImportRowError, JobStatus, OnMatch

# Files with more rows than this are read and prepared in a separate process (two cores); a
# smaller one is not worth starting a process for.
PROCESS_MIN_ROWS = 20_000
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
    dates: list[str] = field(default_factory=list)  # how 'a/b/YYYY' dates will be read


def _file_problem(exc: FileProblem) -> ValidationFailed:
    where = f" (line {exc.line})" if exc.line else ""
    return ValidationFailed.single("file", exc.message + where)


def _check_date_order(date_order: str | None) -> None:
    if date_order and date_order not in DATE_ORDERS:
        raise ValidationFailed.single(
            "date_order",
            f"'{date_order}' is not a date order (use dmy for D/M/YYYY, mdy for M/D/YYYY).",
        )


def preview(
    path: Path,
    record_type: str,
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    date_order: str | None = None,
    rows: int = 10,
) -> Preview:
    """Read the header and first rows and propose a mapping. Writes nothing. `date_order`
    ("dmy" or "mdy") states the order of day and month in 'a/b/YYYY' dates; without it the
    import decides it per column from the whole file."""
    if record_type not in TARGETS:
        raise ValidationFailed.single(
            "type", f"Unknown record type '{record_type}' (use one of {', '.join(TARGETS)})."
        )
    _check_date_order(date_order)
    try:
        table = open_table(path)
        mapping = propose_mapping(
            record_type,
            table.header,
            preset=preset,
            overrides=overrides,
            value_maps=value_maps,
            date_order=date_order,
        )
        sample = []
        for _, cells in table.rows():
            sample.append(cells)
            if len(sample) >= rows:
                break
        if not sample:
            raise FileProblem("The file has a header but no rows.")
        dates = describe_dates(open_table(path), mapping)
    except FileProblem as exc:
        raise _file_problem(exc) from None
    except MappingProblem as exc:
        raise ValidationFailed.single("mapping", str(exc)) from None
    mapped = mapping.mapped
    missing = [t for t in REQUIRED[record_type] if t not in mapped]
    return Preview(
        table.info.kind, table.info.encoding, table.info.delimiter, mapping, sample, missing, dates
    )


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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
    date_order: str | None = None,
) -> ImportJob:
    """Check the file and mapping, keep a copy of the file, and record a pending job.
    `date_order` ("dmy" or "mdy"; default: decided per column from the file) states the order
    of day and month in the file's 'a/b/YYYY' dates."""
    actor.require(Action.WRITE_RECORDS)
    if mode not in ImportMode.values:
        raise ValidationFailed.single(
            "mode", f"Mode must be one of {', '.join(ImportMode.values)}."
        )
    if on_match not in OnMatch.values:
        raise ValidationFailed.single(
            "on_match", f"on_match must be one of {', '.join(OnMatch.values)}."
        )
    result = preview(
        path,
        record_type,
        preset=preset,
        overrides=overrides,
        value_maps=value_maps,
        date_order=date_order,
    )
    if result.missing_required:
        labels = {t.name: t.label for t in TARGETS[record_type]}
        names = ", ".join(labels[m] for m in result.missing_required)
        raise ValidationFailed.single(
            "mapping", f"No column is mapped to the required field(s): {names}."
        )
    sha = _sha256(path)
    stored = _store(path, sha, actor.workspace.pk, file_name)
    with transaction.atomic():
        job = ImportJob.objects.create(
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
        fields = ["record_type", "file_name", "file_sha256", "file_size", "mode", "on_match"]
        audit.record(
            actor,
            "import.started",
            job,
            label=f"import job {job.pk}",
            after=audit.snapshot(job, fields),
        )
    return job


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
            .select_for_update(of=("self",))
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
    drop_progress(job.pk)
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
    with transaction.atomic():
        ImportJob.objects.for_workspace(job.workspace_id).filter(pk=job.pk).update(
            status=status, message=message, finished_at=job.finished_at, **_counts_of(job)
        )
        audit.record(
            Actor.system(job.workspace, Source.IMPORT, rule=f"import job {job.pk}"),
            f"import.{status}",
            job,
            label=f"import job {job.pk}",
            after={"status": status, **audit.snapshot(job, list(COUNT_FIELDS))},
            note=message,
        )


COUNT_FIELDS = ("rows_done", "created", "updated", "unchanged", "skipped", "failed")


def _counts_of(job: ImportJob) -> dict[str, int]:
    """The job's progress counters, as saved at each checkpoint and at the end."""
    return {name: getattr(job, name) for name in COUNT_FIELDS}


def _save_errors(job: ImportJob, errors: list[RowError]) -> None:
    room = MAX_STORED_ERRORS - ImportRowError.objects.filter(job=job).count()
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                job=job,
                row=e.row,
                column=e.column[:255],
                value=e.value[:500],
                reason=e.reason[:500],
            )
            for e in errors[: max(room, 0)]
        ],
        batch_size=2000,
    )


def _checkpoint(job: ImportJob) -> None:
    job.heartbeat_at = timezone.now()
    ImportJob.objects.for_workspace(job.workspace_id).filter(pk=job.pk).update(
        heartbeat_at=job.heartbeat_at, **_counts_of(job)
    )


def _count(job: ImportJob, counts: BatchCounts, failed_rows: int) -> None:
    job.created += counts.created
    job.updated += counts.updated
    job.unchanged += counts.unchanged
    job.skipped += counts.skipped
    job.failed += failed_rows


def _run(job: ImportJob, progress: ProgressCallback | None) -> None:
    _decide_dates(job)
    ImportRun(job, progress).run()


def _decide_dates(job: ImportJob) -> None:
    """Decide the day/month order of the file's date columns (a first pass over them, unless
    the order is stated) and store it with the job before anything is written, so that every
    run of the job, resumed or not, reads the dates the same way."""
    mapping = ColumnMapping.from_json(job.mapping)
    if mapping.date_orders is not None:
        return
    decide_dates(open_table(Path(job.stored_path)), mapping)
    job.mapping = mapping.to_json()
    ImportJob.objects.for_workspace(job.workspace_id).filter(pk=job.pk).update(mapping=job.mapping)


class ImportRun:
    """One pass over a job's file, from its checkpoint to the end."""

    def __init__(self, job: ImportJob, progress: ProgressCallback | None) -> None:
        self.job = job
        self.progress = progress
        self.actor = _job_actor(job)
        mapping = ColumnMapping.from_json(job.mapping)
        self.table = open_table(Path(job.stored_path))
        if [h.lower() for h in self.table.header] != [h.lower() for h in mapping.header]:
            raise ValidationFailed("The stored file's header no longer matches the job's mapping.")
        self.importer = importer_for(
            job.record_type, self.actor, mapping, on_match=job.on_match, rule=f"import job {job.pk}"
        )
        self.mapping = mapping
        # What the person should know about how the file was read (its dates' order).
        self.notes = " ".join(mapping.date_notes)
        self.atomic_file = job.mode == ImportMode.ALL_OR_NOTHING
        self.resume_from = 0 if self.atomic_file else job.rows_done
        self.file_errors: list[RowError] = []
        self.rows_read = 0
        self.last_report = 0.0
        self.last_progress_write = 0.0

    def run(self) -> None:
        if not self.atomic_file:
            self._run_batches()
            self._report()
            _finish(self.job, JobStatus.SUCCEEDED, self.notes)
            return
        try:
            with transaction.atomic():
                self._run_batches()
                if self.file_errors:
                    raise _Rollback
                _checkpoint(self.job)
        except _Rollback:
            self._fail_atomic_file()
            return
        self._report()
        _finish(self.job, JobStatus.SUCCEEDED, self.notes)

    def _run_batches(self) -> None:
        for prepared in self._prepared_batches():
            self._commit(prepared)

    def _prepared_batches(self) -> Iterator[PreparedBatch]:
        spec = getattr(self.importer, "preparer_spec", None)
        rows_left = (self.job.rows_total or 0) - self.resume_from
        if spec is not None and rows_left > PROCESS_MIN_ROWS and sys.executable:
            # Rows are prepared without the database: in a second process, on a second core.
            preparer, args = spec()
            return prepared_in_process(
                ReaderSpec(
                    self.job.stored_path, self.mapping.to_json(), self.resume_from, preparer, args
                )
            )
        reader = BatchReader(self.table, self.mapping, self.importer, resume_from=self.resume_from)
        return reader.batches()

    def _commit(self, prepared: PreparedBatch) -> None:
        job = self.job
        self.rows_read += prepared.rows
        failed_rows = len({e.row for e in prepared.errors})
        if self.atomic_file:
            self.file_errors.extend(prepared.errors)
            # An all-or-nothing file stops writing at its first bad row but keeps checking the
            # rest, so the report lists every problem at once.
            if not self.file_errors and prepared.items:
                _count(job, self.importer.write(prepared.items), failed_rows)
            job.rows_done = prepared.last_row
            if time.monotonic() - self.last_progress_write > 1.0:
                write_progress(job)
                self.last_progress_write = time.monotonic()
        else:
            with transaction.atomic():
                counts = self.importer.write(prepared.items) if prepared.items else BatchCounts()
                _save_errors(job, prepared.errors)
                _count(job, counts, failed_rows)
                job.rows_done = prepared.last_row
                _checkpoint(job)
        now = time.monotonic()
        if self.progress is not None and now - self.last_report > 0.2:
            self.progress(job)
            self.last_report = now

    def _fail_atomic_file(self) -> None:
        job = self.job
        failed_rows = len({e.row for e in self.file_errors})
        _reset_counters(job)
        job.failed = failed_rows
        job.skipped = self.rows_read - failed_rows  # valid, but not written: all or nothing
        _save_errors(job, self.file_errors)
        _finish(
            job,
            JobStatus.FAILED,
            f"{failed_rows} row(s) have errors, so nothing was imported (all-or-nothing; the "
            f"{job.skipped} valid row(s) were skipped). "
            "Fix them, or import in valid-rows mode to import the valid rows."
            + (f" {self.notes}" if self.notes else ""),
        )
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.job)
