"""`accord demo`: create (or reuse) the seeded demo workspace, print what is in it and how to
sign in, then serve the app."""

from __future__ import annotations

import argparse
import datetime as dt
from io import StringIO
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.arguments import PORT
from accord.core.errors import AccordError


def _as_of(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{raw}' is not an ISO date or date-time.") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = (
        "Create a demo workspace ('Northwind Analytics (demo)') with ~12 months of realistic, "
        "seeded B2B sales and marketing data ending now, print how to sign in, and serve the "
        "app. The same --seed and --contacts give the same data; an existing demo dataset with "
        "both is reused (use --fresh to regenerate). The true parameters the data was drawn "
        "from are saved to ACCORD_DATA_DIR/demo-parameters.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--contacts", type=int, default=20_000, help="number of contacts (20000)"
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
        parser.add_argument("--port", type=PORT, default=8000, help="port to serve on (8000)")
        parser.add_argument(
            "--no-serve", action="store_true", help="generate and print the summary only"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve without `accord worker` beside the app (imports from the web then wait "
            "in the queue, and no SLA sweep runs)",
        )
        parser.add_argument(
            "--fresh", action="store_true", help="regenerate even if the same dataset exists"
        )
        parser.add_argument(
            "--as-of",
            type=_as_of,
            default=None,
            help="end the data at this UTC date-time instead of now (reproducible dates)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from accord.demo.loader import demo_generate
        from accord.demo.summary import login_table, summary_table

        if not options["no_serve"] and "serve" not in get_commands():
            raise CommandError("The `serve` command is not installed; run with --no-serve.")
        call_command("migrate", interactive=False, verbosity=0)
        contacts: int = options["contacts"]
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("contacts"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        with progress:
            task = progress.add_task("Preparing the demo workspace", total=contacts)

            def report(done: int, phase: str) -> None:
                progress.update(task, completed=done, description=phase.capitalize())

            try:
                result = demo_generate(
                    seed=options["seed"],
                    contacts=contacts,
                    as_of=options["as_of"],
                    fresh=options["fresh"],
                    progress=report,
                )
            except AccordError as error:
                raise CommandError(error.message) from error
            progress.update(task, completed=contacts, description="Done")

        buffer = StringIO()
        console = Console(file=buffer, width=100, force_terminal=False, color_system=None)
        console.print(summary_table(result))
        console.print(login_table(result, host=options["host"], port=options["port"]))
        self.stdout.write(buffer.getvalue().rstrip("\n"))
        if not options["no_serve"]:
            call_command(
                "serve",
                host=options["host"],
                port=options["port"],
                no_migrate=True,
                with_worker=not options["no_worker"],
            )
