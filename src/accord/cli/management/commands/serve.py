"""Serve the app with waitress, a production WSGI server that needs no build step."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve the web app and the REST API on HOST:PORT with the waitress WSGI server. "
        "Static files are served by the app itself (WhiteNoise)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to bind (8000)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads (8)")
        parser.add_argument(
            "--no-migrate", action="store_true", help="do not apply pending migrations first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from accord.config.wsgi import application

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        self.stdout.write(
            self.style.SUCCESS(f"Accord is serving on http://{host}:{port}/  (Ctrl+C to stop)")
        )
        self.stdout.flush()
        serve(application, host=host, port=port, threads=options["threads"], ident="accord")
