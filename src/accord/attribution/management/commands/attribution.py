"""`accord attribution report`: marketing's part in won revenue (or pipeline) per channel and
campaign, under one rule-based model or all of them side by side.

    accord attribution report --workspace demo --model w_shaped --days 365
    accord attribution report --workspace demo --model all --milestone opportunity
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.attribution.presentation import report_document
from accord.attribution.report import ASSUMES, DATA_DRIVEN, AttributionReport, attribution_report
from accord.attribution.rules import MODELS
from accord.identity.cli_support import text_table, whole_number, workspace_by_slug


def _days(value: str) -> int:
    return whole_number(value, unit="day")


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _ratio(value: float | None, percent: bool) -> str:
    if value is None:
        return "-"
    return f"{value:+.0%}" if percent else f"{value:.2f}x"


class Command(BaseCommand):
    help = (
        "Attributed revenue (or pipeline) per channel and campaign under the rule-based models, "
        "with spend, ROI and ROAS. Example: accord attribution report --workspace demo "
        "--model all"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = subs.add_parser("report", help="credit per channel and campaign")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p.add_argument("--model", default="w_shaped", choices=[*MODELS, *DATA_DRIVEN, "all"])
        p.add_argument("--milestone", default="close", choices=("close", "opportunity"),
                       help="close: won revenue; opportunity: pipeline created")  # fmt: skip
        p.add_argument("--level", default="contact", choices=("contact", "account"))
        p.add_argument("--days", type=_days, default=365, metavar="N",
                       help="deals of the last N days (default 365)")  # fmt: skip
        p.add_argument("--lookback", type=_days, default=365, metavar="N",
                       help="touches up to N days before the milestone (default 365)")  # fmt: skip
        p.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        end = timezone.now()
        start = end - dt.timedelta(days=options["days"])
        every = [*MODELS, *DATA_DRIVEN]
        models = every if options["model"] == "all" else [options["model"]]
        try:
            reports = [
                attribution_report(
                    workspace,
                    model=m,
                    start=start,
                    end=end,
                    milestone=options["milestone"],
                    level=options["level"],
                    lookback_days=options["lookback"],
                )
                for m in models
            ]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "json":
            documents = [report_document(r) for r in reports]
            out = documents[0] if len(documents) == 1 else documents
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return
        self.stdout.write(self._table(reports))

    def _table(self, reports: list[AttributionReport]) -> str:
        first = reports[0]
        what = "won revenue" if first.milestone == "close" else "pipeline created"
        lines = [
            f"Attributed {what}, {first.level} level, {first.currency}: {first.deals} deals, "
            f"{_money(first.total)}",
            f"No marketing touch: {first.no_touch_deals} deals, {_money(first.no_touch_amount)}"
            f" · touches after the milestone left out: {first.after_milestone}"
            + (f" · other currencies left out: {first.other_currency}"
               if first.other_currency else ""),
            "",
        ]  # fmt: skip
        if len(reports) == 1:
            rows = [
                [line.key, _money(line.credit), str(line.deals), _money(line.cost),
                 _ratio(line.roi, True), _ratio(line.roas, False)]
                for line in first.by_channel
            ]  # fmt: skip
            lines.append(text_table(["channel", "credit", "deals", "cost", "ROI", "ROAS"], rows,
                                    numbers_right=True))  # fmt: skip
            lines += ["", f"{first.model}: {first.assumes}"]
            if first.unfitted:
                lines.append(f"Not fitted: {first.unfitted}")
            return "\n".join(lines)
        channels = sorted({line.key for r in reports for line in r.by_channel})
        credit = {(r.model, line.key): line.credit for r in reports for line in r.by_channel}
        rows = [[c, *(_money(credit.get((r.model, c))) for r in reports)] for c in channels]
        lines.append(text_table(["channel", *(r.model for r in reports)], rows,
                                numbers_right=True))  # fmt: skip
        lines += [""] + [f"{m}: {ASSUMES[m]}" for m in (r.model for r in reports)]
        lines += [f"{r.model}: not fitted — {r.unfitted}" for r in reports if r.unfitted]
        return "\n".join(lines)
