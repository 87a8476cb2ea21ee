"""`accord report`: a metric from the command line, with its written definition.

    accord report funnel --workspace acme --view cohort --days 90 --by source
    accord report funnel --workspace acme --start 2026-01-01T00:00:00Z --format json
    accord report list

`--format json` prints the document `GET /api/v1/metrics/funnel` answers for the same spec
(`accord.metrics.presentation.funnel_document`); `table` and `csv` are views of it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, get_args

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.core.errors import ValidationFailed
from accord.core.periods import last_days
from accord.identity.cli_support import text_table, whole_number, workspace_by_slug
from accord.metrics import chart_specs, charts
from accord.metrics.catalogue import METRICS, measure
from accord.metrics.funnel import Breakdown, funnel
from accord.metrics.presentation import (
    funnel_document,
    funnel_spec,
    metric_catalogue,
    metric_document,
    metric_spec,
)

DEFAULT_DAYS = 90
OPTION_OF = {"breakdown": "--by"}  # spec fields named differently on the command line
DIMENSION_HEADER = {"none": "", "definition_version": "definition version"}  # else the key
NOTHING = {
    "cohort": "No contacts were created in this period.",
    "period": "No lifecycle transitions were recorded in this period.",
}


def _instant(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a time: use ISO 8601 with a zone, e.g. 2026-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"'{value}' has no time zone: add Z or an offset, e.g. {moment.isoformat()}Z"
        )
    return moment


def _days(value: str) -> int:
    return whole_number(value, unit="day")


def _period(options: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """--start/--end as given; --days N is the N days from --start, or the last N days; the
    default is the last 90 days. "The last N days" are whole UTC days, today included, as on
    the dashboard."""
    start: dt.datetime | None = options["start"]
    end: dt.datetime | None = options["end"]
    days: int | None = options["days"]
    if days is not None:
        if start is not None:
            return start, start + dt.timedelta(days=days)
        return last_days(days)
    if start is None and end is None:
        return last_days(DEFAULT_DAYS)
    end = end or timezone.now()
    return start or end - dt.timedelta(days=DEFAULT_DAYS), end


def _percent(rate: dict[str, Any]) -> str:
    value = rate["value"]
    return "-" if value is None else f"{value:.1%}"


def _heading(title: str, document: dict[str, Any]) -> list[str]:
    """The title with the definition, then the period, breakdown and engine."""
    start = dt.datetime.fromisoformat(document["start"])
    end = dt.datetime.fromisoformat(document["end"])
    breakdown = document["breakdown"]
    named = DIMENSION_HEADER.get(breakdown, breakdown)
    by = f" · by {named}" if breakdown != "none" else ""
    return [
        f"{title}: {document['definition']}",
        f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC{by} · engine: {document['engine']}",
        "",
    ]


def funnel_table(document: dict[str, Any]) -> str:
    """The definition, the period, then one line per row: its stage counts and, in the cohort
    view, the conversion between consecutive stages."""
    breakdown = document["breakdown"]
    lines = _heading(f"Funnel, {document['view']} view", document)
    rows = document["rows"]
    if not rows:
        return "\n".join([*lines, NOTHING[document["view"]]])
    stages: list[str] = document["stages"]
    conversions: list[str] = list(rows[0]["conversions"])
    headers = [DIMENSION_HEADER.get(breakdown, breakdown), *stages, *conversions]
    cells = [
        [
            row["label"],
            *(str(row["counts"][stage]) for stage in stages),
            *(_percent(row["conversions"][name]) for name in conversions),
        ]
        for row in rows
    ]
    lines.append(text_table(headers, cells, numbers_right=True))
    if conversions:
        lines += [
            "",
            "stage→stage: the share of the contacts at one stage who reached the next "
            "(95% intervals: --format json or csv).",
        ]
    return "\n".join(lines)


def funnel_csv(document: dict[str, Any]) -> str:
    """One line per row: counts, then each conversion's rate with its 95% interval."""
    stages: list[str] = document["stages"]
    rows = document["rows"]
    conversions: list[str] = list(rows[0]["conversions"]) if rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rate_columns = [f"{name}{part}" for name in conversions for part in ("", " low", " high")]
    writer.writerow(["dimension", "label", *stages, *rate_columns])
    for row in rows:
        rates = [
            "" if value is None else value
            for name in conversions
            for value in (
                row["conversions"][name]["value"],
                row["conversions"][name]["low"],
                row["conversions"][name]["high"],
            )
        ]
        counts = [row["counts"][stage] for stage in stages]
        writer.writerow([row["dimension"], row["label"], *counts, *rates])
    return buffer.getvalue()


def shown(value: Any, kind: str) -> str:
    """A value as the table prints it."""
    if value is None:
        return "-"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "growth":
        return f"{value:+.1%}"
    if kind == "days":
        return f"{value:.2f} d"
    return f"{value:,}"


def metric_table(document: dict[str, Any]) -> str:
    """The definition, the period, then one line per value with its interval and count."""
    breakdown = document["breakdown"]
    lines = _heading(document["title"], document)
    values = document["values"]
    if not values:
        return "\n".join([*lines, document["not_enough_data"]])
    kind = document["kind"]
    # A growth's interval is of the growth; a pipeline's (money with successes) of the share.
    interval_kind = "rate" if kind == "money" else kind
    headers = [breakdown.replace("_", " ") if breakdown != "none" else ""]
    if document["items"]:
        headers.append(document["items"])
    intervals = any(v["low"] is not None for v in values)
    headers += ["value", *(["95% interval"] if intervals else []), "n"]
    cells = []
    for v in values:
        row = [v["label"]] + ([v["item_label"]] if document["items"] else [])
        row.append(shown(v["value"], kind) if v["value"] is not None else f"- ({v['reason']})")
        if intervals:
            row.append(
                f"{shown(v['low'], interval_kind)} to {shown(v['high'], interval_kind)}"
                if v["low"] is not None
                else ""
            )
        row.append("" if v["n"] is None else f"{v['n']:,}")
        cells.append(row)
    lines.append(text_table(headers, cells, numbers_right=True))
    return "\n".join(lines)


def metric_csv(document: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ["dimension", "label", "item", "item_label", "value", "low", "high", "successes",
               "n", "reason"]  # fmt: skip
    writer.writerow(columns)
    for v in document["values"]:
        writer.writerow(["" if v[c] is None else v[c] for c in columns])
    return buffer.getvalue()


def _period_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
    p.add_argument(
        "--start", type=_instant, metavar="ISO", help="inclusive, e.g. 2026-01-01T00:00:00Z"
    )
    until = p.add_mutually_exclusive_group()
    until.add_argument("--end", type=_instant, metavar="ISO", help="exclusive; default now")
    until.add_argument(
        "--days",
        type=_days,
        metavar="N",
        help=f"the N days from --start, or the last N whole UTC days, today included "
        f"(default: the last {DEFAULT_DAYS})",
    )


def _output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=["auto", "record_store", "columnar", "analytics"],
        default="auto",
        help="auto: the record store for small workspaces, else ClickHouse when "
        "ACCORD_ANALYTICS_URL is set, else the columnar copy; analytics: ClickHouse",
    )
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument(
        "--chart", metavar="PATH", help="also draw the result as a chart: PATH.svg or PATH.png"
    )


def _spec_error(exc: ValidationFailed) -> CommandError:
    lines = [
        f"{OPTION_OF.get(name, '--' + name)}: {message}"
        for name, messages in exc.fields.items()
        for message in messages
    ]
    return CommandError("\n".join(lines))


class Command(BaseCommand):
    help = (
        "Print a metric with its written definition: the funnel as a table, CSV, or the JSON "
        "document the REST API answers. Example: accord report funnel --workspace acme "
        "--days 90 --by source"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="metric", required=True, metavar="METRIC")
        summary = "List the metrics and their written definitions."
        subs.add_parser("list", help=summary, description=summary)
        summary = (
            "The funnel: contacts created in the period that reached each stage (cohort) or "
            "transitions into each stage during it (period)."
        )
        p = subs.add_parser("funnel", help=summary, description=summary)
        _period_arguments(p)
        p.add_argument("--view", choices=["cohort", "period"], default="cohort")
        p.add_argument("--by", choices=get_args(Breakdown), default="none", help="breakdown")
        _output_arguments(p)
        for metric in METRICS:
            p = subs.add_parser(metric.key, help=metric.title, description=metric.definition)
            _period_arguments(p)
            p.add_argument("--by", choices=metric.breakdowns, default="none", help="breakdown")
            _output_arguments(p)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["metric"] == "list":
            self._list()
            return
        workspace = workspace_by_slug(options["workspace"])
        start, end = _period(options)
        if options["metric"] == "funnel":
            values = {"view": options["view"], "start": start, "end": end,
                      "breakdown": options["by"]}  # fmt: skip
            try:
                spec = funnel_spec(values)
                document = funnel_document(funnel(workspace.pk, spec, engine=options["engine"]))
            except ValidationFailed as exc:
                raise _spec_error(exc) from exc
            as_csv, as_table, chart = funnel_csv, funnel_table, chart_specs.for_funnel
        else:
            values = {"metric": options["metric"], "start": start, "end": end,
                      "breakdown": options["by"]}  # fmt: skip
            try:
                metric = metric_spec(values)
                document = metric_document(measure(workspace.pk, metric, engine=options["engine"]))
            except ValidationFailed as exc:
                raise _spec_error(exc) from exc
            as_csv, as_table, chart = metric_csv, metric_table, chart_specs.for_metric
        if options["chart"]:
            try:
                written = charts.write(chart(document), options["chart"])
            except (ValueError, OSError) as exc:
                raise CommandError(f"--chart: {exc}") from exc
            self.stderr.write(f"chart written to {written}")
        if options["format"] == "json":
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
        elif options["format"] == "csv":
            self.stdout.write(as_csv(document), ending="")
        else:
            self.stdout.write(as_table(document))

    def _list(self) -> None:
        for metric in metric_catalogue():
            self.stdout.write(f"{metric['name']} ({metric['command']}, GET {metric['path']})")
            for view in metric["views"]:
                self.stdout.write(f"  {view['view']}: {view['definition']}")
            self.stdout.write(f"  breakdowns: {', '.join(metric['breakdowns'])}")
