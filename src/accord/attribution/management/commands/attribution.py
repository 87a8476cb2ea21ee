"""`accord attribution`: marketing's part in won revenue (or pipeline), the workspace's chosen
model, and the recognition feed of won deals.

    accord attribution report --workspace demo --model w_shaped --days 365
    accord attribution report --workspace demo --model all --milestone opportunity
    accord attribution report --workspace demo --by campaign
    accord attribution settings --workspace demo
    accord attribution settings --workspace demo --as boss@acme.com --model time_decay \
        --half-life 14
    accord attribution recognise --workspace demo --days 90
    accord attribution feed --workspace demo --limit 10
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.attribution import services
from accord.attribution.presentation import (
    line_label,
    recognition_document,
    report_document,
    settings_document,
)
from accord.attribution.report import DATA_DRIVEN, AttributionReport, attribution_reports
from accord.attribution.rules import MODELS
from accord.attribution.selectors import recognition_feed
from accord.core.errors import AccordError
from accord.core.periods import last_days
from accord.identity.cli_support import (
    cli_actor,
    command_error,
    text_table,
    whole_number,
    workspace_by_slug,
)


def _days(value: str) -> int:
    return whole_number(value, unit="day")


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _ratio(value: float | None, percent: bool) -> str:
    if value is None:
        return "-"
    return f"{value:+.0%}" if percent else f"{value:.2f}x"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class Command(BaseCommand):
    help = (
        "Attributed revenue (or pipeline) per channel, campaign and content, with spend, ROI "
        "and ROAS; the workspace's attribution settings; the recognition feed of won deals. "
        "Example: accord attribution report --workspace demo --model all"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = subs.add_parser("report", help="credit per channel, campaign or content")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p.add_argument("--model", choices=[*MODELS, *DATA_DRIVEN, "all"],
                       help="default: the workspace's chosen model")  # fmt: skip
        p.add_argument("--by", choices=("channel", "campaign", "content"), default="channel")
        p.add_argument("--milestone", default="close", choices=("close", "opportunity"),
                       help="close: won revenue; opportunity: pipeline created")  # fmt: skip
        p.add_argument("--level", default="contact", choices=("contact", "account"))
        p.add_argument("--days", type=_days, default=365, metavar="N",
                       help="deals of the last N days (default 365)")  # fmt: skip
        p.add_argument("--lookback", type=_days, metavar="N",
                       help="touches up to N days before the milestone (default: the "
                       "workspace's setting)")  # fmt: skip
        p.add_argument("--order", type=int, choices=(1, 2, 3), default=1,
                       help="the Markov chain's order (markov; default 1)")  # fmt: skip
        p.add_argument("--format", choices=("table", "json"), default="table")

        s = subs.add_parser("settings", help="show or change the workspace's model")
        s.add_argument("--workspace", required=True, metavar="SLUG")
        s.add_argument("--as", "--user", dest="acting_user", metavar="EMAIL",
                       help="the manager or admin making the change")  # fmt: skip
        s.add_argument("--model", choices=[*MODELS, *DATA_DRIVEN])
        s.add_argument("--lookback", metavar="DAYS")
        s.add_argument("--half-life", dest="half_life", metavar="DAYS")
        s.add_argument("--activities", choices=("yes", "no"),
                       help="count sales activities as touches")  # fmt: skip
        s.add_argument("--format", choices=("table", "json"), default="table")

        r = subs.add_parser("recognise", help="recognise won deals that have no entry yet")
        r.add_argument("--workspace", required=True, metavar="SLUG")
        r.add_argument("--days", type=_days, default=90, metavar="N",
                       help="deals won in the last N days (default 90)")  # fmt: skip

        f = subs.add_parser("feed", help="the recognition feed, latest win first")
        f.add_argument("--workspace", required=True, metavar="SLUG")
        f.add_argument("--limit", type=whole_number, default=20, metavar="N")
        f.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "settings":
            self._settings(options)
        elif action == "recognise":
            workspace = workspace_by_slug(options["workspace"])
            since = timezone.now() - dt.timedelta(days=options["days"])
            written = services.recognise_missing(workspace, since=since)
            self.stdout.write(
                f"Recognised {written} won deal(s) of the last {options['days']} days."
            )
        elif action == "feed":
            self._feed(options)
        else:
            self._report(options)

    # report ----------------------------------------------------------------------------------

    def _report(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        chosen = services.settings_for(workspace)
        start, end = last_days(options["days"])
        every = [*MODELS, *DATA_DRIVEN]
        model = options["model"] or chosen.model
        models = every if model == "all" else [model]
        lookback = options["lookback"] or chosen.lookback_days
        try:
            reports = attribution_reports(
                workspace, models=models, start=start, end=end, milestone=options["milestone"],
                level=options["level"], lookback_days=lookback,
                half_life_days=chosen.half_life_days, include_activities=chosen.include_activities,
                markov_order=options["order"],
            )  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "json":
            documents = [report_document(r) for r in reports]
            self.stdout.write(_json(documents[0] if len(documents) == 1 else documents))
            return
        self.stdout.write(self._table(reports, options["by"]))

    def _table(self, reports: list[AttributionReport], by: str) -> str:
        first = reports[0]
        what = "won revenue" if first.milestone == "close" else "pipeline created"
        lines = [
            f"Attributed {what}, {first.level} level, {first.currency}: {first.deals} deals, "
            f"{_money(first.total)}",
            f"Marketing-sourced: {first.sourced_deals} deals, {_money(first.sourced_amount)} · "
            f"marketing-influenced: {first.influenced_deals} deals, "
            f"{_money(first.influenced_amount)}",
            f"No marketing touch: {first.no_touch_deals} deals, {_money(first.no_touch_amount)}"
            f" · touches after the milestone left out: {first.after_milestone}"
            + (f" · other currencies left out: {first.other_currency}"
               if first.other_currency else ""),
            "",
        ]  # fmt: skip
        if len(reports) == 1:
            lines.append(_lines_table(first, by))
            lines += ["", f"{first.model}: {first.assumes}"]
            if first.unfitted:
                lines.append(f"Not fitted: {first.unfitted}")
            if first.fit_note:
                lines.append(first.fit_note)
            return "\n".join(lines)
        keys = {line.key: line_label(line, by) for r in reports for line in r.lines(by)}
        credit = {(r.model, line.key): line.credit for r in reports for line in r.lines(by)}
        rows = [
            [keys[k], *(_money(credit.get((r.model, k))) for r in reports)]
            for k in sorted(keys, key=lambda k: keys[k])
        ]
        lines.append(text_table([by, *(r.model for r in reports)], rows, numbers_right=True))
        lines += [""] + [f"{r.model}: {r.assumes}" for r in reports]
        lines += [f"{r.model}: not fitted — {r.unfitted}" for r in reports if r.unfitted]
        return "\n".join(lines)

    # settings --------------------------------------------------------------------------------

    def _settings(self, options: dict[str, Any]) -> None:
        values = {
            key: options[option]
            for key, option in (("model", "model"), ("lookback_days", "lookback"),
                                ("half_life_days", "half_life"))
            if options[option] is not None
        }  # fmt: skip
        if options["activities"] is not None:
            values["include_activities"] = options["activities"] == "yes"
        if values:
            if not options["acting_user"]:
                raise CommandError("Name the manager or admin making the change with --as EMAIL.")
            actor = cli_actor(options["workspace"], options["acting_user"])
            try:
                chosen = services.settings_update(actor=actor, values=values)
            except AccordError as exc:
                raise command_error(exc) from exc
        else:
            chosen = services.settings_for(workspace_by_slug(options["workspace"]))
        document = settings_document(chosen)
        if options["format"] == "json":
            self.stdout.write(_json(document))
            return
        self.stdout.write(
            f"model: {chosen.model}\nlook-back: {chosen.lookback_days} days\n"
            f"time-decay half-life: {chosen.half_life_days:g} days\n"
            f"sales activities count as touches: {'yes' if chosen.include_activities else 'no'}"
        )

    # feed ------------------------------------------------------------------------------------

    def _feed(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        entries = list(recognition_feed(workspace)[: options["limit"]])
        documents = [recognition_document(e) for e in entries]
        if options["format"] == "json":
            self.stdout.write(_json(documents))
            return
        if not documents:
            self.stdout.write("No won deal recognised yet (accord attribution recognise).")
            return
        out = []
        for d in documents:
            owner = d["sales_owner"]["name"] if d["sales_owner"] else "no owner"
            out.append(f"{d['won_at']:%Y-%m-%d} {d['deal_name']} — {_money(float(d['amount']))} "
                       f"{d['currency']}, won by {owner} ({d['model']})")  # fmt: skip
            for kind in ("campaigns", "marketers"):
                named = ", ".join(f"{x['name']} {_money(float(x['credit']))}" for x in d[kind])
                if named:
                    out.append(f"    {kind}: {named}")
            if d["note"]:
                out.append(f"    {d['note']}")
        self.stdout.write("\n".join(out))


def _lines_table(report: AttributionReport, by: str) -> str:
    costed = by != "content"
    header = [by, "credit", "deals", "influenced"]
    if by == "channel":
        header.append("sourced")
    if by == "campaign":
        header.append("owner")
    if costed:
        header += ["cost", "ROI", "ROAS"]
    rows = []
    for line in report.lines(by):
        row = [line_label(line, by), _money(line.credit), str(line.deals), _money(line.influenced)]
        if by == "channel":
            row.append(_money(line.sourced))
        if by == "campaign":
            row.append(line.owner or "-")
        if costed:
            row += [_money(line.cost), _ratio(line.roi, True), _ratio(line.roas, False)]
        rows.append(row)
    return text_table(header, rows, numbers_right=True)
