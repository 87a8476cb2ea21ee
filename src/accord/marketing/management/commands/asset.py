"""`accord asset`: the sales-enablement library.

    accord asset list --workspace demo [--stage proposal] [--persona cfo] [--format json]
    accord asset add --workspace demo --as maya@acme.com --title "ROI sheet" --file roi.xlsx \\
        --stages proposal --personas cfo --industries saas
    accord asset add --workspace demo --as maya@acme.com --title "Story" --url https://...
    accord asset usage ASSET_ID --deal DEAL_ID --workspace demo --as sam@acme.com
    accord asset report --workspace demo [--start 2026-01-01] [--end 2026-03-31]
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.core.errors import AccordError
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug
from accord.marketing import enablement_selectors as sel
from accord.marketing import enablement_services as svc
from accord.marketing.enablement_documents import asset_document, period, report_document

CHUNK = 1024 * 1024


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.1f}".replace("+", "") + " %"


def _lines(xs: list[dict[str, Any]]) -> list[list[str]]:
    return [[x["name"], str(x["usages"]), str(x["deals"]), str(x["assets"])] for x in xs]


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.1f} pp"


class Command(BaseCommand):
    help = "The sales-enablement library: list, add, record usage on deals, report."

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = subs.add_parser("list", help="the library, with filters")
        for name in ("stage", "persona", "industry", "search"):
            p.add_argument(f"--{name}", default="")
        p = subs.add_parser("add", help="add a file or a link")
        p.add_argument("--title", required=True)
        p.add_argument("--description", default="")
        source = p.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", type=Path)
        source.add_argument("--url")
        for name in ("stages", "personas", "industries"):
            p.add_argument(f"--{name}", default="", help="comma-separated")
        p = subs.add_parser("usage", help="record that you used an asset on a deal")
        p.add_argument("asset_id", type=int)
        p.add_argument("--deal", required=True, type=int, metavar="DEAL_ID")
        p.add_argument("--note", default="")
        p = subs.add_parser("report", help="usage by rep and team, win rates, unused assets")
        p.add_argument("--start", type=dt.date.fromisoformat, default=None)
        p.add_argument("--end", type=dt.date.fromisoformat, default=None)
        for action, sub in subs.choices.items():
            sub.add_argument("--workspace", required=True, metavar="SLUG")
            if action in ("add", "usage"):
                sub.add_argument(
                    "--as", "--user", dest="acting_user", required=True, metavar="EMAIL"
                )
            else:
                sub.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except AccordError as exc:
            raise command_error(exc) from exc

    def _list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        filters = {k: options[k] for k in ("stage", "persona", "industry", "search")}
        assets = sel.asset_list(workspace, **filters)
        if options["format"] == "json":
            docs = [asset_document(a, a.newest) for a in assets]  # type: ignore[attr-defined]
            self.stdout.write(_json({"results": docs}))
            return
        rows = [
            [
                str(a.pk),
                a.title,
                a.kind,
                f"v{a.latest.number}" if a.latest else "-",  # type: ignore[attr-defined]
                ", ".join(a.stages),
                ", ".join(a.personas),
                ", ".join(a.industries),
            ]
            for a in assets
        ]
        self.stdout.write(
            text_table(["id", "title", "kind", "version", "stages", "personas", "industries"], rows)
        )

    def _add(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        values = {
            k: options[k]
            for k in ("title", "description", "stages", "personas", "industries")
            if options[k]
        }
        path: Path | None = options["file"]
        if path is not None:
            if not path.is_file():
                raise CommandError(f"No file {path}.")
            asset = svc.asset_create(
                actor=actor,
                values=values | {"kind": "file"},
                file_name=path.name,
                chunks=_chunks(path),
            )
        else:
            asset = svc.asset_create(
                actor=actor, values=values | {"kind": "link", "url": options["url"]}
            )
        self.stdout.write(f"Added asset {asset.pk}: {asset.title} (v1).")

    def _usage(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        usage, created = svc.usage_record(
            actor=actor, asset_id=options["asset_id"], deal_id=options["deal"], note=options["note"]
        )
        state = "Recorded" if created else "Already recorded"
        self.stdout.write(
            f"{state}: asset {usage.asset_id} v{usage.version.number} on deal {usage.deal_id}."
        )

    def _report(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        start, end = options["start"], options["end"]
        span = period(start, end, timezone.now().date())
        doc = report_document(workspace, span)
        if options["format"] == "json":
            self.stdout.write(_json(doc))
            return
        out = [f"Enablement report {doc['start']} to {doc['end']}", "", "By rep"]
        out.append(
            text_table(
                ["rep", "usages", "deals", "assets"], _lines(doc["by_rep"]), numbers_right=True
            )
            if doc["by_rep"]
            else "  (no usage)"
        )
        out += ["", "By team"]
        out.append(
            text_table(
                ["team", "usages", "deals", "assets"], _lines(doc["by_team"]), numbers_right=True
            )
            if doc["by_team"]
            else "  (no usage)"
        )
        out += ["", "Win rate on deals closed in the period, with the asset vs without it"]
        rows = [
            [
                x["title"],
                f"{x['won_with']}/{x['won_with'] + x['lost_with']}",
                _pct(x["win_rate_with"]),
                f"{x['won_without']}/{x['won_without'] + x['lost_without']}",
                _pct(x["win_rate_without"]),
                _signed(x["difference"]),
                "-"
                if x["difference_low"] is None
                else f"{_signed(x['difference_low'])} to {_signed(x['difference_high'])}",
            ]
            for x in doc["win_rates"]
        ]
        out.append(
            text_table(
                ["asset", "won with", "rate", "won without", "rate", "difference", "95 % interval"],
                rows,
            )
            if rows
            else "  (no assets)"
        )
        unused = ", ".join(a["title"] for a in doc["unused"]) or "none"
        out += ["", f"Unused in the period: {unused}"]
        self.stdout.write("\n".join(out))
