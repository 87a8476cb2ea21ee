from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError


class Command(BaseCommand):
    help = (
        "Restore a backup made by `accord backup`: the database (SQLite or PostgreSQL, the "
        "same engine as the backup) and the data directory's files. Stop the web app and the "
        "worker first. A database that already holds workspaces or users is only overwritten "
        "with --force. Example: accord restore accord-backup-20260101-120000.tar --force"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from accord.cli.backups import backup_restore

        try:
            result = backup_restore(Path(options["file"]), force=options["force"])
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the {result['engine']} database taken {result['created_at']} "
                f"(Accord {result['accord_version']}) and {result['files_restored']} file(s)."
            )
        )
