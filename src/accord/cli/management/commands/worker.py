from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accord.core.arguments import positive_number


class Command(BaseCommand):
    help = (
        "Run background jobs from the database queue: imports started from the web or the API, "
        "lead re-scores (and the daily decay pass), the SLA sweep every 30 seconds with its "
        "escalations, webhook deliveries and their retries, the weekly digest (Monday "
        "08:00 in each workspace's time zone), meeting reminders and the alignment survey's "
        "daily pass (close pulses when due, remind those who have not answered). "
        "Interrupted imports and re-scores are picked up again and resume from their last "
        "checkpoint. Use --once to run what is queued now and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
        parser.add_argument(
            "--interval", type=positive_number, default=1.0, help="seconds between queue checks (1)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from accord.alignment.tasks import start_pulse_tending
        from accord.definitions.tasks import start_rescoring
        from accord.handoff.tasks import start_sla_sweeps
        from accord.integrations.tasks import requeue_stale_imports
        from accord.integrations.webhooks.tasks import start_maintenance
        from accord.meetings.tasks import start_meeting_reminders
        from accord.metrics.digest_tasks import start_weekly_digests

        start_maintenance()  # prunes expired idempotency records now and hourly
        resumed = requeue_stale_imports()
        if resumed:
            self.stdout.write(f"Resuming {resumed} interrupted import(s).")
        rescores = start_rescoring()  # resumes interrupted re-scores; schedules the daily one
        if rescores:
            self.stdout.write(f"Resuming {rescores} interrupted re-score(s).")
        start_sla_sweeps()  # breaches and escalations every 30 s; recycled leads daily
        start_weekly_digests()  # the weekly digest, Monday 08:00 in each workspace's zone
        start_meeting_reminders()  # action items due or overdue, the meeting tomorrow
        start_pulse_tending()  # survey pulses: close when due, remind non-respondents daily
        self.stdout.write(
            "Accord worker: processing imports, re-scores, SLA sweeps, escalations and webhooks."
        )
        call_command(
            "db_worker",
            queue_name="*",
            interval=options["interval"],
            batch=options["once"],
            startup_delay=False,
            reload=False,
            verbosity=options["verbosity"],
        )
