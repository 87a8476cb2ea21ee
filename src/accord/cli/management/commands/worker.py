from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run background jobs. PLACEHOLDER: no background job exists in this version yet (SLA "
        "sweeps, re-scores, imports, digests and webhook deliveries arrive with their features), "
        "so the worker starts, reports that its queue is empty, and waits (or exits with --once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between checks")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Accord worker: no job types are registered in this version.")
        if options["once"]:
            return
        stop = False

        def _stop(signum: int, frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        while not stop:
            time.sleep(options["interval"])
        self.stdout.write("Accord worker stopped.")
