from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.identity.cli_support import cli_actor
from accord.integrations.export.columns import EXPORT_TYPES
from accord.integrations.export.service import (
    export_rows,
    iter_csv,
    parse_filters,
    write_csv,
    write_parquet,
)


class Command(BaseCommand):
    help = (
        "Export a list, with the same filters as its page, to CSV or Parquet. Example: "
        "accord export contacts --filter lifecycle_stage=mql --filter original_source=paid_search "
        "--format csv --output mqls.csv --workspace acme --user ana@acme.com"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list", choices=EXPORT_TYPES)
        parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
        parser.add_argument("--output", help="file to write (default: standard output for CSV)")
        parser.add_argument(
            "--filter", action="append", default=[], metavar="NAME=VALUE",
            help="a list filter, e.g. lifecycle_stage=mql, owner_id=3, created_after=2026-01-01",
        )  # fmt: skip
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--user", required=True, help="your email")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["workspace"], options["user"])
        params = {}
        for item in options["filter"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter '{item}': use NAME=VALUE.")
            params[name.strip()] = value.strip()
        try:
            filters = parse_filters(options["list"], params)
            header, rows = export_rows(actor, options["list"], filters)
            output = options["output"]
            if options["format"] == "parquet":
                if not output:
                    raise CommandError("Parquet needs --output FILE.")
                count = write_parquet(Path(output), header, rows)
                self.stderr.write(f"Wrote {count} rows to {output}")
            elif output:
                write_csv(Path(output), header, rows)
                self.stderr.write(f"Wrote {output}")
            else:
                try:
                    for chunk in iter_csv(header, rows):
                        sys.stdout.write(chunk)
                    sys.stdout.flush()
                except BrokenPipeError:  # e.g. piped into `head`: stop quietly
                    sys.stdout = open(os.devnull, "w")  # noqa: SIM115

        except AccordError as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
