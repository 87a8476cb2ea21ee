"""`accord calendar`: the marketing calendar sales can see, and the capacity plan.

    accord calendar list --workspace demo [--weeks 8]
    accord calendar add --workspace demo --as maya@acme.com --title "Spring webinar" \\
        --kind webinar --start 2026-04-09 [--end 2026-04-09] --leads 120 [--mqls 30]
    accord calendar capacity --workspace demo [--weeks 8] [--capacity 10] [--format json]
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accord.core.arguments import int_between, positive_number
from accord.core.errors import AccordError
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug
from accord.marketing import calendar_selectors as cal
from accord.marketing.calendar_models import CalendarKind
from accord.marketing.calendar_services import calendar_create
from accord.marketing.enablement_documents import capacity_document, entry_document


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


WEEKS = int_between(1, 52)


def _one(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


class Command(BaseCommand):
    help = "The marketing calendar: entries by week and the sales capacity plan."

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = subs.add_parser("list", help="entries of the coming weeks")
        p.add_argument("--weeks", type=WEEKS, default=8, help="1-52 (8)")
        p = subs.add_parser("add", help="add an entry")
        p.add_argument("--title", required=True)
        p.add_argument("--kind", required=True, choices=CalendarKind.values)
        p.add_argument("--start", required=True, metavar="YYYY-MM-DD")
        p.add_argument("--end", default="", metavar="YYYY-MM-DD")
        p.add_argument("--leads", default="", help="expected leads")
        p.add_argument("--mqls", default="", help="expected MQLs (default: estimated)")
        p.add_argument("--campaign", default="", metavar="CAMPAIGN_ID")
        p.add_argument("--notes", default="")
        p.add_argument("--as", "--user", dest="acting_user", required=True, metavar="EMAIL")
        p = subs.add_parser("capacity", help="expected MQLs per seller per ISO week")
        p.add_argument("--weeks", type=WEEKS, default=8, help="1-52 (8)")
        p.add_argument(
            "--capacity",
            type=positive_number,
            default=None,
            help="MQLs per seller a week (above 0)",
        )
        for action, sub in subs.choices.items():
            sub.add_argument("--workspace", required=True, metavar="SLUG")
            if action != "add":
                sub.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except AccordError as exc:
            raise command_error(exc) from exc

    def _list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        first = timezone.now().date()
        last = first + dt.timedelta(weeks=options["weeks"])
        rate = cal.lead_to_mql_rate(workspace, timezone.now())
        docs = [entry_document(e, rate) for e in cal.entries_between(workspace, first, last)]
        if options["format"] == "json":
            self.stdout.write(_json({"results": docs}))
            return
        rows = [
            [str(d["id"]), str(d["start_date"]), str(d["end_date"]), d["kind"], d["title"],
             str(d["expected_leads"]), _one(d["estimated_mqls"])]
            for d in docs
        ]  # fmt: skip
        headers = ["id", "start", "end", "kind", "title", "leads", "MQLs"]
        self.stdout.write(text_table(headers, rows) if rows else "No entries in these weeks.")

    def _add(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        values = {
            "title": options["title"],
            "kind": options["kind"],
            "start_date": options["start"],
            "end_date": options["end"],
            "expected_leads": options["leads"],
            "expected_mqls": options["mqls"],
            "campaign_id": options["campaign"],
            "notes": options["notes"],
        }
        entry = calendar_create(actor=actor, values={k: v for k, v in values.items() if v != ""})
        self.stdout.write(f"Added calendar entry {entry.pk}: {entry.title} ({entry.start_date}).")

    def _capacity(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        weeks = options["weeks"]
        doc = capacity_document(workspace, timezone.now().date(), weeks, options["capacity"])
        if options["format"] == "json":
            self.stdout.write(_json(doc))
            return
        rate = doc["lead_to_mql_rate"]
        used = (
            f"{rate['mqls']} of {rate['leads']} leads of the last 180 days reached MQL "
            f"({rate['rate'] * 100:.1f} %)"
            if rate["rate"] is not None
            else "no leads in the last 180 days, so MQLs not stated are not estimated"
        )
        rows = [
            [f"{w['year']}-W{w['week']:02d}", str(w["monday"]), _one(w["expected_leads"]),
             _one(w["expected_mqls"]), str(w["sellers"]), _one(w["mqls_per_seller"]),
             "OVER" if w["over_capacity"] else ""]
            for w in doc["weeks"]
        ]  # fmt: skip
        headers = ["week", "monday", "leads", "MQLs", "sellers", "MQLs/seller", ""]
        limit = doc["capacity_per_seller"]
        self.stdout.write(
            f"Lead-to-MQL rate: {used}. Capacity: {limit:g} MQLs per seller a week.\n"
            + text_table(headers, rows)
        )
