"""`accord meeting`: joint meetings, their generated agendas and action items.

    accord meeting list --workspace demo [--format json]
    accord meeting schedule --workspace demo --as boss@acme.com [--at 2026-03-09T10:00:00Z]
    accord meeting agenda 12 --workspace demo [--generate --as boss@acme.com] [--format json]
    accord meeting hold 12 --workspace demo --as boss@acme.com
    accord meeting action-add --workspace demo --as boss@acme.com --meeting 12 \\
        --title "Fix the webinar form" --owner maya@acme.com --due 2026-03-16
    accord meeting action-done 31 --workspace demo --as maya@acme.com
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.core.errors import AccordError, ValidationFailed
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug
from accord.identity.models import User
from accord.meetings import services
from accord.meetings.presentation import item_document, meeting_document
from accord.meetings.selectors import meeting_get, meetings_of, open_items


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class Command(BaseCommand):
    help = "Joint meetings: list, schedule, read or generate the agenda, mark held, action items."

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = subs.add_parser("list", help="meetings, newest first, and the open action items")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p = subs.add_parser("schedule", help="schedule a meeting (the cadence's next by default)")
        p.add_argument("--at", default="", help="ISO 8601 time, e.g. 2026-03-09T10:00:00Z")
        p.add_argument("--title", default="")
        p = subs.add_parser("agenda", help="print a meeting's agenda (or generate it first)")
        p.add_argument("meeting_id", type=int)
        p.add_argument("--generate", action="store_true", help="regenerate it (needs --as)")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p = subs.add_parser("hold", help="mark a meeting held: its open items carry over")
        p.add_argument("meeting_id", type=int)
        p = subs.add_parser("action-add", help="add an action item")
        p.add_argument("--title", required=True)
        p.add_argument("--owner", required=True, metavar="EMAIL")
        p.add_argument("--due", required=True, metavar="YYYY-MM-DD")
        p.add_argument("--meeting", type=int, default=None, metavar="ID")
        p = subs.add_parser("action-done", help="mark an action item done")
        p.add_argument("item_id", type=int)
        for name, sub in subs.choices.items():
            sub.add_argument("--workspace", required=True, metavar="SLUG")
            writes = name not in ("list", "agenda")
            sub.add_argument("--as", "--user", dest="acting_user", required=writes,
                             metavar="EMAIL", default="")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action'].replace('-', '_')}")(options)
        except AccordError as exc:
            raise command_error(exc) from exc

    def _list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        meetings = list(meetings_of(workspace)[:50])
        items = list(open_items(workspace))
        if options["format"] == "json":
            self.stdout.write(_json({
                "meetings": [meeting_document(m, full=False) for m in meetings],
                "open_action_items": [item_document(i) for i in items],
            }))  # fmt: skip
            return
        rows = [(str(m.pk), f"{m.scheduled_at:%Y-%m-%d %H:%M}", m.status, m.title)
                for m in meetings]  # fmt: skip
        self.stdout.write(text_table(("id", "scheduled (UTC)", "status", "title"), rows))
        self.stdout.write("\nOpen action items:")
        rows = [(str(i.pk), i.due_on.isoformat(), i.owner.display_name, i.title) for i in items]
        self.stdout.write(text_table(("id", "due", "owner", "title"), rows))

    def _schedule(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        values = {k: v for k, v in (("scheduled_at", options["at"]),
                                    ("title", options["title"])) if v}  # fmt: skip
        meeting = services.meeting_schedule(actor=actor, values=values)
        when = f"{meeting.scheduled_at:%Y-%m-%d %H:%M}"
        self.stdout.write(f"Scheduled meeting {meeting.pk} at {when} UTC; agenda generated.")

    def _agenda(self, options: dict[str, Any]) -> None:
        if options["generate"]:
            if not options["acting_user"]:
                raise ValidationFailed.single("--as", "Generating the agenda needs --as EMAIL.")
            actor = cli_actor(options["workspace"], options["acting_user"])
            meeting = services.agenda_generate(actor=actor, meeting_id=options["meeting_id"])
        else:
            workspace = workspace_by_slug(options["workspace"])
            meeting = meeting_get(workspace, options["meeting_id"])
        if options["format"] == "json":
            self.stdout.write(_json(meeting.agenda or None))
            return
        agenda = meeting.agenda or {}
        if not agenda:
            self.stdout.write("No agenda yet: run with --generate.")
            return
        self.stdout.write(f"{meeting.title}, {meeting.scheduled_at:%Y-%m-%d %H:%M} UTC "
                          f"(since {agenda['since'][:16]})")  # fmt: skip
        for number, section in enumerate(agenda["sections"], start=1):
            self.stdout.write(f"\n{number}. {section['title']} ({section['count']})")
            for item in section["items"]:
                self.stdout.write(f"   - {item['text']}")

    def _hold(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        meeting = services.meeting_hold(actor=actor, meeting_id=options["meeting_id"])
        self.stdout.write(f"Meeting {meeting.pk} held; its agenda is frozen.")

    def _action_add(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        owner = User.objects.filter(email=options["owner"].strip().lower()).first()
        values = {"title": options["title"], "owner_id": owner.pk if owner else "",
                  "due_on": options["due"], "meeting_id": options["meeting"]}  # fmt: skip
        if owner is None:
            raise ValidationFailed.single("--owner", f"No user {options['owner']}.")
        item = services.action_add(actor=actor, values=values)
        self.stdout.write(f"Action item {item.pk} added: {item.title} (due {item.due_on}).")

    def _action_done(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        item = services.action_complete(actor=actor, item_id=options["item_id"])
        self.stdout.write(f"Action item {item.pk} done: {item.title}.")
