"""`accord goal`: revenue goals from the command line.

    accord goal set --workspace acme --as boss@acme.com --period month --start 2026-12-01 \\
        --revenue 250000 [--segment smb | --channels webinar,event] [--lookback 365]
        [--note "..."]
    accord goal list --workspace acme
    accord goal plan 7 --workspace acme [--format table|json]
    accord goal delete 7 --workspace acme --as boss@acme.com

`plan --format json` prints the document `GET /api/v1/goals/{id}/plan` answers
(`accord.metrics.goal_presentation.goal_document`); `table` is a view of it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accord.core.errors import AccordError
from accord.crm.segments import SEGMENTS
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug
from accord.metrics import goals
from accord.metrics.goal_presentation import goal_document, goal_out
from accord.metrics.planning import goal_report


def _goal_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a goal id (see `accord goal list`)"
        ) from None
    if number < 1:
        raise argparse.ArgumentTypeError("a goal id is a whole number from 1")
    return number


def _count(value: Any) -> str:
    return "—" if value is None else f"{value:,}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _money(value: str | None, currency: str) -> str:
    return "—" if value is None else f"{float(value):,.2f} {currency}"


def _range(r: dict[str, Any] | None, fmt: Any = _count) -> str:
    if r is None:
        return "—"
    return f"{fmt(r['point'])} ({fmt(r['low'])} to {fmt(r['high'])})"


def _pace_value(row: dict[str, Any], key: str, currency: str) -> str:
    value = row[key]
    if value is None:
        return "—"
    if row["kind"] == "money":
        return _money(value, currency)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def plan_text(document: dict[str, Any], currency: str) -> str:
    """The plan document as tables: the plan stage by stage, each team's numbers, pacing."""
    goal = document["goal"]
    lines = [
        f"Goal {goal['id']}: {goal['title']} — {_money(goal['revenue'], currency)} "
        f"({goal['period_start']} to {goal['period_end']})",
        f"History: {document['lookback']['start'][:10]} up to {document['lookback']['end'][:10]}"
        f" ({goal['lookback_days']} days"
        + (f"; channel mix: {', '.join(goal['channels'])}" if goal["channels"] else "")
        + ")",
    ]
    if goal["note"]:
        lines.append(f"Note: {goal['note']}")
    plan = document["plan"]
    if plan is None:
        lines += ["", f"Not enough data: {document['not_enough_data']}"]
    else:
        history = document["history"]
        lines += [
            f"Average deal size {_money(history['average_deal_size'], currency)} over "
            f"{history['deal_sample_size']} won deals; cost per lead "
            f"{_money(history['cost_per_lead'], currency)}",
            "",
            "The plan (95% ranges)",
        ]
        rows = [
            [s["label"], s["team"], _range(s["required"]), _range(s["rate_to_next"], _share),
             "—" if s["cycle_days"] is None else f"{s['cycle_days']:.1f}"]
            for s in plan["stages"]
        ]  # fmt: skip
        headers = ["stage", "team", "required", "rate to next", "days in stage"]
        lines.append(text_table(headers, rows))
        budget = plan["budget"]
        lines.append(
            f"Budget: {_range(budget, lambda v: _money(v, currency))}"
            if budget
            else f"Budget: — ({plan['budget_reason']})"
        )
        for team in ("marketing", "sales"):
            view = document["teams"][team]
            numbers = ", ".join(f"{s['label']} {s['required']['point']:,}" for s in view["stages"])
            lines.append(f"{team.capitalize()}: {numbers}")
    pacing = document["pacing"]
    lines += ["", f"Pacing on {pacing['today']} ({pacing['elapsed']:.0%} of the period gone)"]
    rows = [
        [r["label"], _pace_value(r, "target", currency), _pace_value(r, "actual", currency),
         _pace_value(r, "expected", currency), _pace_value(r, "projected", currency),
         r["status"] or r["reason"]]
        for r in pacing["rows"]
    ]  # fmt: skip
    headers = ["", "target", "actual", "expected by now", "projected", "status"]
    lines.append(text_table(headers, rows))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Revenue goals: set one for a month or quarter (managers and admins), list them, and "
        "show a goal's plan — the leads, MQLs, SALs, SQLs, opportunities and won deals it "
        "needs, with ranges, the budget, each team's numbers and the pacing. Example: "
        "accord goal set --workspace acme --as boss@acme.com --period month "
        "--start 2026-12-01 --revenue 250000"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def sub(name: str, summary: str, *, acting: bool) -> Any:
            p = subs.add_parser(name, help=summary, description=summary)
            p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
            if acting:
                p.add_argument(
                    "--as",
                    "--user",
                    dest="acting_user",
                    required=True,
                    metavar="EMAIL",
                    help="your email (a manager or admin there)",
                )
            return p

        p = sub("set", "Set (create or replace) the revenue goal of a period.", acting=True)
        p.add_argument("--period", required=True, choices=("month", "quarter"))
        p.add_argument("--start", required=True, metavar="YYYY-MM-DD",
                       help="the first day of the month or quarter")  # fmt: skip
        p.add_argument("--revenue", required=True, metavar="AMOUNT", help="e.g. 250000")
        p.add_argument("--segment", default="", choices=("", *SEGMENTS),
                       help="a company-size segment (default: every segment)")  # fmt: skip
        p.add_argument("--lookback", type=int, metavar="DAYS",
                       help="days of history to plan from, 30-1095 (default 365)")  # fmt: skip
        p.add_argument("--channels", metavar="A,B",
                       help="plan from this channel mix's history, e.g. webinar,event "
                       "(default: every channel; not with --segment)")  # fmt: skip
        p.add_argument("--note", help="why this number")
        sub("list", "List the goals, latest period first.", acting=False)
        p = sub("plan", "Show a goal's plan, each team's numbers and the pacing.", acting=False)
        p.add_argument("goal", type=_goal_id, metavar="ID", help="the goal's id (accord goal list)")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p = sub("delete", "Delete a goal.", acting=True)
        p.add_argument("goal", type=_goal_id, metavar="ID")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "set":
                self._set(options)
            elif action == "delete":
                actor = cli_actor(options["workspace"], options["acting_user"])
                goals.goal_delete(actor=actor, goal_id=options["goal"])
                self.stdout.write(self.style.SUCCESS(f"Goal {options['goal']} deleted."))
            elif action == "list":
                self._list(options)
            else:
                self._plan(options)
        except AccordError as exc:
            raise command_error(exc) from exc

    def _set(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        values: dict[str, Any] = {
            "period": options["period"],
            "period_start": options["start"],
            "revenue": options["revenue"],
            "segment": options["segment"],
        }
        if options["lookback"] is not None:
            values["lookback_days"] = options["lookback"]
        if options["note"] is not None:
            values["note"] = options["note"]
        if options["channels"] is not None:
            values["channels"] = options["channels"]
        goal = goals.goal_set(actor=actor, values=values)
        self.stdout.write(self.style.SUCCESS(
            f"Goal {goal.pk} set: {goal.title}, {goal.revenue:,.2f} "
            f"{actor.workspace.default_currency}. See its plan with: accord goal plan {goal.pk} "
            f"--workspace {actor.workspace.slug}"
        ))  # fmt: skip

    def _list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        found = [goal_out(g) for g in goals.goal_list(workspace)]
        if not found:
            self.stdout.write("No goals yet: set one with `accord goal set`.")
            return
        rows = [
            [str(g["id"]), g["title"], _money(g["revenue"], workspace.default_currency),
             g["period_start"], g["period_end"], str(g["lookback_days"]), g["note"]]
            for g in found
        ]  # fmt: skip
        headers = ["id", "goal", "revenue", "from", "to", "look-back days", "note"]
        self.stdout.write(text_table(headers, rows))

    def _plan(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        goal = goals.goal_get(workspace, options["goal"])
        document = goal_document(goal_report(goal, timezone.localdate()))
        if options["format"] == "json":
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(plan_text(document, workspace.default_currency))
