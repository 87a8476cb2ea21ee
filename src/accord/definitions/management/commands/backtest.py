from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError, ValidationFailed
from accord.definitions.backtest import Backtest, VersionOutcome, backtest, backtest_version
from accord.definitions.models import LeadDefinition
from accord.definitions.services import validated_document
from accord.identity.cli_support import workspace_by_slug


def _percent(outcome: VersionOutcome, name: str) -> str:
    r = outcome.rates[name]
    if r.value is None:
        return "-"
    return f"{r.value:.1%} ({r.low:.1%} to {r.high:.1%})"


class Command(BaseCommand):
    help = (
        "Back-test a lead definition over the workspace's history beside the active one: MQLs "
        "per month, later SAL / SQL / won rates with 95% intervals, the contacts that change "
        "class and MQLs per rep per week. Writes nothing. "
        "Example: accord backtest --workspace acme --definition 8 --months 12"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--definition", type=int, help="a stored version number (8 for v8)")
        which.add_argument("--file", type=Path, help="a definition document (JSON) to try")
        parser.add_argument("--months", type=int, default=12, help="months to replay (12)")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        if not 1 <= options["months"] <= 36:
            raise CommandError("--months must be between 1 and 36.")
        try:
            result = self._run(workspace, options)
        except ValidationFailed as exc:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
            raise CommandError(f"{exc.message} {fields}".strip()) from exc
        except AccordError as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(_as_json(result), indent=2, default=str))
        else:
            self._table(result)

    def _run(self, workspace: Any, options: dict[str, Any]) -> Backtest:
        if options["file"] is not None:
            try:
                raw = json.loads(options["file"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
            document = validated_document(raw)
            return backtest(workspace, document, months=options["months"], label="file")
        definition = (
            LeadDefinition.objects.for_workspace(workspace)
            .filter(version=options["definition"])
            .first()
        )
        if definition is None:
            raise CommandError(
                f"Workspace {workspace.slug} has no lead definition v{options['definition']}."
            )
        return backtest_version(workspace, definition, months=options["months"])

    def _table(self, result: Backtest) -> None:
        from rich.console import Console
        from rich.table import Table

        versions = [v for v in (result.proposed, result.active) if v is not None]
        buffer = io.StringIO()
        console = Console(file=buffer, width=110, color_system=None)
        console.print(
            f"Replayed {result.contacts:,} contacts over {result.months[0]} to "
            f"{result.months[-1]} (up to {result.end:%Y-%m-%d %H:%M} UTC)."
        )
        months = Table(title="MQLs per month")
        months.add_column("month")
        for v in versions:
            months.add_column(v.label, justify="right")
        for i, month in enumerate(result.months):
            months.add_row(month, *(f"{v.per_month[i]:,}" for v in versions))
        months.add_row("total", *(f"{v.mqls:,}" for v in versions))
        console.print(months)
        rates = Table(title="What those MQLs became (95% intervals)")
        rates.add_column("")
        for v in versions:
            rates.add_column(v.label, justify="right")
        for name, label in (("sal", "→ SAL"), ("sql", "→ SQL"), ("won", "→ won")):
            rates.add_row(label, *(_percent(v, name) for v in versions))
        rates.add_row(
            f"MQLs per rep per week ({result.reps} reps)",
            *(f"{v.per_rep_week:.1f}" if v.per_rep_week is not None else "-" for v in versions),
        )
        rates.add_row("busiest week", *(f"{v.peak_week:,}" for v in versions))
        console.print(rates)
        if result.active is not None:
            console.print(
                f"{result.gained:,} contacts become MQLs only under {result.proposed.label}; "
                f"{result.lost:,} only under {result.active.label}."
            )
        self.stdout.write(buffer.getvalue())


def _as_json(result: Backtest) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(result)
    for key in ("proposed", "active"):
        outcome = getattr(result, key)
        if outcome is not None:
            for name, r in outcome.rates.items():
                data[key]["rates"][name]["value"] = r.value
    return data
