"""Serve the app with waitress, a production WSGI server that needs no build step; optionally
with `accord worker` beside it, for a one-command set-up (the demo)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accord.core.arguments import PORT, int_between

WORKER_STOP_SECONDS = 10.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the worker gets SIGTERM if the server dies, even by kill -9."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the server's own exit path stops it


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    """`accord worker` in a child process with this process's environment, writing to `log`
    (appended) so that its line per task does not drown the server's console."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "accord.cli.main", "worker"],
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


class Command(BaseCommand):
    help = (
        "Serve the web app and the REST API on HOST:PORT with the waitress WSGI server. "
        "Static files are served by the app itself (WhiteNoise). --with-worker also runs "
        "`accord worker` (imports, re-scores, SLA sweeps, webhooks) until the server stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=PORT, default=8000, help="port to bind (8000)")
        parser.add_argument(
            "--threads", type=int_between(1, 256), default=8, help="worker threads (1-256, 8)"
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="do not apply pending migrations first"
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="also run `accord worker` in a child process, stopped with the server",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from accord.config.wsgi import application

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        worker = None
        if options["with_worker"]:
            log = Path(settings.DATA_DIR) / "worker.log"
            worker = start_worker(log)
            self.stdout.write(f"The background worker runs beside the app (its log: {log}).")
        # SIGTERM ends the server through the same path as Ctrl+C, so the worker stops too.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        self.stdout.write(
            self.style.SUCCESS(f"Accord is serving on http://{host}:{port}/  (Ctrl+C to stop)")
        )
        self.stdout.flush()
        try:
            serve(application, host=host, port=port, threads=options["threads"], ident="accord")
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                stop_worker(worker)
