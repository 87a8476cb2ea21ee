"""`accord audit`: read and export a workspace's audit log on the server.

    accord audit list --workspace demo [--action definition.] [--since 2026-01-01] [--limit 50]
    accord audit export --workspace demo [--since 2026-01-01] [--until 2026-02-01] [--output f]

Dates are days in the workspace's time zone; `--until` is inclusive. Each export is recorded
in the log it exports.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import zoneinfo
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.identity.actor import Actor, Source
from accord.identity.audit_log import AuditFilters, audit_entries, audit_export, entry_document
from accord.identity.cli_support import command_error, text_table, workspace_by_slug
from accord.identity.models import Workspace


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date; use YYYY-MM-DD.") from None


def _zone(workspace: Workspace) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(workspace.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        return zoneinfo.ZoneInfo("UTC")


def _start_of(day: dt.date, workspace: Workspace) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_zone(workspace))


class Command(BaseCommand):
    help = "A workspace's audit log: who changed what, when, from where; list or export as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = subs.add_parser("list", help="the newest entries")
        listing.add_argument("--limit", type=int, default=50, help="at most this many (50)")
        listing.add_argument("--format", choices=("table", "json"), default="table")
        export = subs.add_parser("export", help="every entry as CSV (to stdout or --output)")
        export.add_argument("--output", type=Path, help="write the CSV to this file")
        for sub in (listing, export):
            sub.add_argument("--workspace", required=True, metavar="SLUG")
            sub.add_argument("--since", metavar="YYYY-MM-DD", help="from this day on")
            sub.add_argument("--until", metavar="YYYY-MM-DD", help="up to this day, inclusive")
            sub.add_argument("--filter-action", dest="filter_action", default="", metavar="NAME",
                             help="an action, or a prefix ending in '.'")  # fmt: skip
            sub.add_argument("--object-type", default="", metavar="TYPE")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        actor = Actor.system(workspace, Source.CLI, rule="accord audit")
        since = _start_of(_day(options["since"]), workspace) if options["since"] else None
        until = None
        if options["until"]:
            until = _start_of(_day(options["until"]) + dt.timedelta(days=1), workspace)
        filters = AuditFilters(
            action=options["filter_action"].strip(),
            object_type=options["object_type"].strip(),
            since=since,
            until=until,
        )
        try:
            if options["action"] == "export":
                self._export(actor, filters, options["output"])
            else:
                self._list(actor, filters, options)
        except AccordError as exc:
            raise command_error(exc) from exc

    def _export(self, actor: Actor, filters: AuditFilters, output: Path | None) -> None:
        chunks = audit_export(actor, filters)
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        with output.open("w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
        print(f"Wrote the audit log to {output}", file=sys.stderr)  # noqa: T201

    def _list(self, actor: Actor, filters: AuditFilters, options: dict[str, Any]) -> None:
        if not 1 <= options["limit"] <= 10_000:
            raise CommandError("--limit is between 1 and 10000.")
        entries = list(audit_entries(actor, filters)[: options["limit"]])
        if options["format"] == "json":
            documents = [entry_document(e) for e in entries]
            self.stdout.write(json.dumps(documents, indent=2, ensure_ascii=False))
            return
        if not entries:
            self.stdout.write("No audit entries match.")
            return
        rows = [
            [
                e.occurred_at.astimezone(_zone(actor.workspace)).strftime("%Y-%m-%d %H:%M"),
                e.actor_label,
                e.action,
                f"{e.object_type} {e.object_id}".strip(),
                e.object_label,
            ]
            for e in entries
        ]
        self.stdout.write(text_table(["when", "who", "action", "object", "label"], rows))
