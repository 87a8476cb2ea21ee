from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.identity.actor import Actor
from accord.identity.cli_support import cli_actor
from accord.integrations.importing.jobs import import_create, import_run
from accord.integrations.importing.presets import PRESETS
from accord.integrations.importing.targets import RECORD_TYPES
from accord.integrations.mappings import saved_mapping_named
from accord.integrations.models import ImportJob, ImportMode, OnMatch


class Command(BaseCommand):
    help = (
        "Import records from a CSV (UTF-8, UTF-8 with BOM, cp1252/Latin-1; comma, semicolon or "
        "tab) or XLSX file. HubSpot, Salesforce and Pipedrive exports are recognised from their "
        "header. Example: accord import hubspot-contacts.csv --type contacts --workspace acme "
        "--user ana@acme.com. Run it again with --resume JOB_ID after an interruption."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the CSV or XLSX file")
        parser.add_argument("--type", choices=RECORD_TYPES, default="contacts")
        parser.add_argument(
            "--mapping",
            help=f"a preset ({', '.join(PRESETS)}), the name of a saved mapping, or a JSON file "
            '{"columns": {"Header": "target"}, "values": {"target": {"theirs": "ours"}}}',
        )
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.ALL_OR_NOTHING)
        parser.add_argument("--on-match", choices=OnMatch.values, default=OnMatch.SKIP)
        parser.add_argument(
            "--date-order",
            choices=("dmy", "mdy"),
            help="the order of day and month in the file's a/b/YYYY dates (default: decided per "
            "column from the file's own dates; month first when every one could be either)",
        )
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--user", required=True, help="your email (recorded on every change)")
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="resume an import job")
        parser.add_argument("--errors", help="write the row errors to this CSV file")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["workspace"], options["user"])
        try:
            if options["resume"]:
                job = (
                    ImportJob.objects.for_workspace(actor.workspace)
                    .filter(pk=options["resume"])
                    .first()
                )
                if job is None:
                    raise CommandError(f"No import job {options['resume']} in this workspace.")
            else:
                if not options["file"]:
                    raise CommandError("Name the file to import (or --resume JOB_ID).")
                path = Path(options["file"])
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                preset, overrides, value_maps = self._mapping(
                    options["mapping"], actor, options["type"]
                )
                job = import_create(
                    actor=actor,
                    path=path,
                    file_name=path.name,
                    record_type=options["type"],
                    mode=options["mode"],
                    on_match=options["on_match"],
                    preset=preset,
                    overrides=overrides,
                    value_maps=value_maps,
                    date_order=options["date_order"],
                )
                source = job.mapping.get("preset") or "column names"
                self.stdout.write(f"Import job {job.pk}: {job.file_name} (mapping: {source})")
            job = self._run(job, quiet=options["no_progress"])
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        self._report(job, options["errors"])

    @staticmethod
    def _mapping(
        value: str | None, actor: Actor, record_type: str
    ) -> tuple[str | None, dict[str, str] | None, dict[str, dict[str, str]] | None]:
        if not value:
            return None, None, None
        if value in PRESETS:
            return value, None, None
        saved = saved_mapping_named(actor.workspace, value)
        if saved is not None:
            if saved.record_type != record_type:
                raise CommandError(
                    f"--mapping: the saved mapping '{saved.name}' is for {saved.record_type}, "
                    f"not {record_type} (use --type {saved.record_type})."
                )
            return None, dict(saved.columns), dict(saved.value_maps or {})
        path = Path(value)
        if not path.is_file():
            raise CommandError(
                f"--mapping: '{value}' is neither a preset, a saved mapping of this workspace, "
                "nor a file."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"--mapping: {path} is not valid JSON ({exc}).") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
            raise CommandError('--mapping: expected {"columns": {...}, "values": {...}}.')
        return data.get("preset"), data.get("columns"), data.get("values")

    def _run(self, job: ImportJob, *, quiet: bool) -> ImportJob:
        if quiet:
            return import_run(workspace_id=job.workspace_id, job_id=job.pk)
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("[bold]Importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} rows/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        ) as bar:
            task = bar.add_task("import", total=None, rate="-")

            def progress(current: ImportJob) -> None:
                elapsed = bar.tasks[task].elapsed or 0
                rate = f"{current.rows_done / elapsed:,.0f}" if elapsed > 0 else "-"
                bar.update(task, completed=current.rows_done, total=current.rows_total, rate=rate)

            return import_run(workspace_id=job.workspace_id, job_id=job.pk, progress=progress)

    def _report(self, job: ImportJob, errors_path: str | None) -> None:
        summary = ", ".join(f"{k} {v}" for k, v in job.summary.items())
        if job.status == "succeeded":
            self.stdout.write(self.style.SUCCESS(f"Import {job.pk} finished: {summary}."))
            if job.message:  # e.g. which order of day and month the dates were read in
                self.stdout.write(job.message)
        else:
            self.stdout.write(self.style.ERROR(f"Import {job.pk} failed: {job.message}"))
            self.stdout.write(f"Rows: {summary}.")
        count = job.errors.count()
        if count:
            from accord.integrations.importing.report import write_error_report

            target = Path(errors_path or f"import-{job.pk}-errors.csv")
            write_error_report(job, target)
            self.stdout.write(f"{count} row error(s) written to {target}")
        if job.status != "succeeded":
            raise CommandError(f"Import {job.pk} did not complete.")
