from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError


class Command(BaseCommand):
    help = (
        "Back up the database and the data directory's files into one tar file. SQLite is "
        "copied with its online backup API and PostgreSQL with pg_dump, so the app may keep "
        "running. Uploaded assets and import files are included; the DuckDB analytics copy is "
        "not (it is rebuilt from the records). Example: accord backup --output /backups/"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="the backup file, or a folder for accord-backup-<time>.tar "
            "(default: that name in the current folder)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from accord.cli.backups import backup_create

        try:
            summary = backup_create(Path(options["output"]) if options["output"] else None)
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the {summary.engine} database ({summary.database_bytes:,} bytes) "
                f"and {summary.files} file(s) to {summary.path}"
            )
        )
