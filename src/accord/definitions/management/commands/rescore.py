from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.definitions.evaluation import evaluate_contacts
from accord.identity.actor import Actor, Source
from accord.identity.cli_support import workspace_by_slug


class Command(BaseCommand):
    help = (
        "Re-score every contact of a workspace with its active lead definition, store the "
        "scores and append lead → MQL (and, if the definition says so, MQL → lead) transitions "
        "to the ledger. Example: accord rescore --workspace acme --dry-run"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        result = evaluate_contacts(
            Actor.system(workspace, Source.SYSTEM), dry_run=options["dry_run"]
        )
        if result.version is None:
            self.stdout.write(
                f"Workspace {workspace.slug} has no active lead definition; nothing to do."
            )
            return
        verb = "would move" if result.dry_run else "moved"
        self.stdout.write(
            self.style.SUCCESS(
                f"Scored {result.scored} contacts with lead definition v{result.version}: "
                f"{verb} {result.promoted} lead → mql, {result.demoted} mql → lead."
            )
        )
