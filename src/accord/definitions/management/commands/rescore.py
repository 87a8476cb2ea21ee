from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.definitions.evaluation import evaluate_contacts
from accord.definitions.models import RescoreJob
from accord.definitions.rescoring import rescore_queue, rescore_run
from accord.identity.actor import Actor, Source
from accord.identity.cli_support import workspace_by_slug


class Command(BaseCommand):
    help = (
        "Re-score every contact of a workspace with its active lead definition, store the "
        "scores and append lead → MQL (and, if the definition says so, MQL → lead) transitions "
        "to the ledger, with a progress bar. --queue leaves the work to `accord worker`. "
        "Example: accord rescore --workspace acme --dry-run"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--dry-run", action="store_true", help="count what would change; write nothing"
        )
        mode.add_argument(
            "--queue", action="store_true", help="queue a re-score job for the worker and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        actor = Actor.system(workspace, Source.SYSTEM)
        if options["dry_run"]:
            result = evaluate_contacts(actor, dry_run=True)
            if result.version is None:
                raise CommandError(f"Workspace {workspace.slug} has no active lead definition.")
            self.stdout.write(
                f"Lead definition v{result.version} would move {result.promoted} of "
                f"{result.scored} contacts lead → mql and {result.demoted} mql → lead."
            )
            return
        try:
            job = rescore_queue(actor)
        except AccordError as exc:
            raise CommandError(str(exc)) from exc
        if options["queue"]:
            self.stdout.write(f"Queued re-score job {job.pk}; `accord worker` will run it.")
            return
        job = self._run_with_progress(job)
        self.stdout.write(
            self.style.SUCCESS(
                f"Scored {job.done} contacts with lead definition v{job.definition_version}: "
                f"moved {job.promoted} lead → mql, {job.demoted} mql → lead."
            )
        )

    def _run_with_progress(self, job: RescoreJob) -> RescoreJob:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("Re-scoring", total=None)

            def show(current: RescoreJob) -> None:
                bar.update(task, total=current.total, completed=current.done)

            return rescore_run(job.workspace_id, job.pk, progress=show)
