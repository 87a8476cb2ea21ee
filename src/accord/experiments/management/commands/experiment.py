"""`accord experiment`: the experiment registry, live results and the learnings log.

    accord experiment list --workspace demo
    accord experiment results discovery-script-b --workspace demo [--format json]
    accord experiment create --workspace demo --as boss@acme.com --file experiment.json
    accord experiment start KEY --workspace demo --as boss@acme.com
    accord experiment assign KEY --workspace demo --as boss@acme.com
    accord experiment stop KEY --workspace demo --as boss@acme.com
    accord experiment conclude KEY --workspace demo --as boss@acme.com --outcome won \\
        --decision "Ship script B" --result "+31 % SQLs" --learned "Pains first works"
    accord experiment learnings --workspace demo
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError, NotFound
from accord.experiments import services
from accord.experiments.models import Experiment, Outcome
from accord.experiments.presentation import (
    experiment_document,
    quarterly_summary,
    results_document,
)
from accord.experiments.results import experiment_results
from accord.experiments.sample_size import size_for_uplift
from accord.experiments.selectors import experiment_by_key, experiments_of
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class Command(BaseCommand):
    help = "Experiments judged on pipeline outcomes: register, run, read, conclude, learn."

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, text in (("list", "the experiments"), ("learnings", "the learnings log")):
            p = subs.add_parser(name, help=text)
            p.add_argument("--workspace", required=True, metavar="SLUG")
            p.add_argument("--format", choices=("table", "json"), default="table")
        p = subs.add_parser("results", help="an experiment's live results")
        p.add_argument("key")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p = subs.add_parser("size", help="contacts per variant to detect a change of a rate")
        p.add_argument("--baseline", type=float, required=True, help="e.g. 0.12")
        p.add_argument("--uplift", type=float, required=True, help="relative, e.g. 0.2")
        p.add_argument("--alpha", type=float, default=0.05)
        p.add_argument("--power", type=float, default=0.8)
        p = subs.add_parser("create", help="register an experiment from a JSON file")
        p.add_argument("--file", required=True, type=Path)
        for name in ("start", "stop", "assign"):
            p = subs.add_parser(name, help=f"{name} an experiment")
            p.add_argument("key")
        p = subs.add_parser("conclude", help="record the decision and what was learned")
        p.add_argument("key")
        p.add_argument("--outcome", required=True, choices=Outcome.values)
        p.add_argument("--decision", required=True)
        p.add_argument("--result", required=True)
        p.add_argument("--learned", required=True)
        for action in ("create", "start", "stop", "assign", "conclude"):
            sub = subs.choices[action]
            sub.add_argument("--workspace", required=True, metavar="SLUG")
            sub.add_argument("--as", "--user", dest="acting_user", required=True, metavar="EMAIL")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except AccordError as exc:
            raise command_error(exc) from exc

    def _experiment(self, options: dict[str, Any]) -> Experiment:
        workspace = workspace_by_slug(options["workspace"])
        try:
            return experiment_by_key(workspace, options["key"])
        except NotFound:
            raise CommandError(
                f"No experiment '{options['key']}' in workspace {workspace.slug}."
            ) from None

    def _size(self, options: dict[str, Any]) -> None:
        sized = size_for_uplift(options["baseline"], options["uplift"], alpha=options["alpha"],
                                power=options["power"])  # fmt: skip
        size = sized.size
        self.stdout.write(
            f"{size.per_arm:,} contacts per variant ({size.total:,} for two) to detect "
            f"{sized.control_rate:.1%} -> {sized.treatment_rate:.1%} with power "
            f"{options['power']:.0%} at alpha {options['alpha']:g} (two-sided)."
        )

    def _list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        experiments = list(experiments_of(workspace))
        if options["format"] == "json":
            self.stdout.write(_json([experiment_document(e) for e in experiments]))
            return
        rows = [
            [e.key, e.name, e.status, e.primary_metric,
             f"{e.started_at:%Y-%m-%d}" if e.started_at else "-"]
            for e in experiments
        ]  # fmt: skip
        self.stdout.write(text_table(["key", "name", "status", "primary metric", "started"],
                                     rows) if rows else "No experiments yet.")  # fmt: skip

    def _results(self, options: dict[str, Any]) -> None:
        results = experiment_results(self._experiment(options))
        if options["format"] == "json":
            self.stdout.write(_json(results_document(results)))
            return
        lines = [f"{results.experiment.name} ({results.experiment.status}): "
                 + ", ".join(f"{k} {n:,}" for k, n in results.assigned.items()), ""]  # fmt: skip
        for m in results.metrics:
            lines.append(f"{m.label} ({m.role})")
            lines += [f"  {c.reading}" for c in m.comparisons]
        lines += [f"Warning: {w}" for w in results.warnings]
        self.stdout.write("\n".join(lines))

    def _create(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        try:
            values = json.loads(options["file"].read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        if not isinstance(values, dict):
            raise CommandError("The file must hold one JSON object: the experiment.")
        experiment = services.experiment_create(actor=actor, values=values)
        self.stdout.write(f"Experiment '{experiment.key}' registered as a draft.")

    def _start(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        services.experiment_start(actor=actor, experiment_id=self._experiment(options).pk)
        self.stdout.write(f"Experiment '{options['key']}' started.")

    def _stop(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        services.experiment_stop(actor=actor, experiment_id=self._experiment(options).pk)
        self.stdout.write(f"Experiment '{options['key']}' stopped.")

    def _assign(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        count = services.assign_new_contacts(
            actor=actor, experiment_id=self._experiment(options).pk
        )
        self.stdout.write(f"Assigned {count} contact(s) to '{options['key']}'.")

    def _conclude(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        values = {k: options[k] for k in ("outcome", "decision", "result", "learned")}
        services.experiment_conclude(actor=actor, experiment_id=self._experiment(options).pk,
                                     values=values)  # fmt: skip
        self.stdout.write(f"Experiment '{options['key']}' concluded: {options['outcome']}.")

    def _learnings(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        experiments = list(Experiment.objects.for_workspace(workspace).select_related("learning"))
        quarters = quarterly_summary(experiments)
        concluded = [e for e in experiments if getattr(e, "learning", None) is not None]
        if options["format"] == "json":
            documents = [experiment_document(e) for e in concluded]
            self.stdout.write(_json({"quarters": quarters, "experiments": documents}))
            return
        rows = [[q["quarter"], str(q["run"]), str(q["won"]), str(q["lost"]),
                 str(q["inconclusive"]), str(q["open"])] for q in quarters]  # fmt: skip
        out = [text_table(["quarter", "run", "won", "lost", "inconclusive", "open"], rows)
               if rows else "No experiment has started yet."]  # fmt: skip
        for e in concluded:
            out.append(f"\n{e.name} — {e.learning.outcome}: {e.learning.decision}\n"
                       f"  {e.learning.result}\n  Learned: {e.learning.learned}")  # fmt: skip
        self.stdout.write("\n".join(out))
