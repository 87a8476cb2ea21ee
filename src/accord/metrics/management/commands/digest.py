"""`accord digest`: the weekly digest from the command line.

    accord digest preview --workspace acme [--week-ending 2026-11-22] [--format text|html]
        [--out FILE]
    accord digest send --workspace acme [--week-ending 2026-11-22] [--force]

The week is the 7 days ending on `--week-ending` (default: the last Monday-Sunday week in the
workspace's time zone). `preview` prints or writes the digest without sending anything (HTML
with the charts embedded, to open in a browser); `send` emails whoever has not had that week's
digest yet and announces it to Slack once (`--force`: to everyone again).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.core.errors import AccordError
from accord.identity.cli_support import workspace_by_slug
from accord.identity.models import Workspace
from accord.metrics.digest import build_digest, last_complete_week
from accord.metrics.digest_render import digest_charts, render_html, render_text
from accord.metrics.digest_send import digest_recipients, send_digest
from accord.metrics.digest_tasks import workspace_zone


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _local_today(workspace: Workspace) -> dt.date:
    return timezone.now().astimezone(workspace_zone(workspace.timezone)).date()


class Command(BaseCommand):
    help = (
        "The weekly digest both teams get on Monday: last week's headline numbers against the "
        "week before, goal pacing, lead quality, the SLA and the funnel. preview prints it "
        "without sending; send emails the sales and marketing teams and posts to Slack. "
        "Example: accord digest preview --workspace acme --week-ending 2026-11-22"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def sub(name: str, summary: str) -> Any:
            p = subs.add_parser(name, help=summary, description=summary)
            p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
            p.add_argument("--week-ending", type=_date, metavar="YYYY-MM-DD",
                           help="the last day of the week (default: last Sunday in the "
                                "workspace's time zone)")  # fmt: skip
            return p

        p = sub("preview", "Print (or write) the digest without sending it.")
        p.add_argument("--format", choices=("text", "html"), default="text")
        p.add_argument("--out", metavar="FILE", help="write to this file instead of printing")
        p = sub("send", "Send the digest to the teams and Slack (each once per week).")
        p.add_argument("--force", action="store_true",
                       help="send again to people and channels that already had it")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = workspace_by_slug(options["workspace"])
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        week_ending = options["week_ending"] or last_complete_week(_local_today(workspace))
        if options["action"] == "preview":
            self._preview(workspace, week_ending, options)
        else:
            self._send(workspace, week_ending, force=options["force"])

    def _preview(self, workspace: Workspace, week_ending: dt.date, options: dict[str, Any]) -> None:
        digest = build_digest(workspace, week_ending=week_ending)
        if options["format"] == "html":
            text = render_html(digest, digest_charts(digest), inline=False)
        else:
            text = render_text(digest)
        if options["out"]:
            path = Path(options["out"])
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from exc
            self.stdout.write(self.style.SUCCESS(f"Wrote {digest.subject} to {path}."))
            return
        self.stdout.write(text)

    def _send(self, workspace: Workspace, week_ending: dt.date, *, force: bool) -> None:
        if week_ending >= _local_today(workspace):
            raise CommandError(
                f"The week ending {week_ending} has not ended yet: preview it, or send it from "
                f"{week_ending + dt.timedelta(days=1)}."
            )
        if not digest_recipients(workspace.pk):
            self.stdout.write(
                "Nobody to email: no active member with an email in a sales or marketing team."
            )
        report = send_digest(workspace, week_ending=week_ending, force=force)
        for address in report.emailed:
            self.stdout.write(f"Emailed {address}")
        if report.already_emailed:
            self.stdout.write(
                f"Already sent to {len(report.already_emailed)} (use --force to send again)."
            )
        self.stdout.write(f"Slack: {report.slack} (to the webhooks subscribed to digest.weekly).")
        if report.failed:
            lines = [f"  {address}: {error}" for address, error in report.failed.items()]
            raise CommandError(
                "The digest could not be sent to:\n" + "\n".join(lines)
                + "\nRun the command again to retry them."
            )  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"Weekly digest for the week ending {week_ending} "
                                             "sent."))  # fmt: skip
