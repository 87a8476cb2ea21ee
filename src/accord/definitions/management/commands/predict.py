from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.definitions.models import PredictiveModel
from accord.definitions.predictive.selectors import active_model
from accord.definitions.predictive.services import predictions_refresh, predictive_train
from accord.identity.actor import Actor, Source
from accord.identity.cli_support import cli_actor, workspace_by_slug


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval(values: list[float | None] | None) -> str:
    if not values or values[0] is None or values[1] is None:
        return ""
    return f" (95% CI {values[0]:.3f} to {values[1]:.3f})"


def metrics_lines(model: PredictiveModel) -> list[str]:
    """The model's measurements as plain text lines (also used by tests)."""
    m = model.metrics
    rule_version = m.get("rule_definition_version")
    rule_label = (
        f"Rule score AUC (definition v{rule_version})" if rule_version else "Rule score AUC"
    )
    rows = [
        ("Test AUC", f"{_num(m.get('auc'))}{_interval(m.get('auc_ci'))}"),
        (
            rule_label,
            f"{_num(m.get('rule_auc'))}{_interval(m.get('rule_auc_ci'))}"
            if m.get("rule_auc") is not None
            else "no active definition",
        ),
        (
            "Brier score",
            f"{_num(m.get('brier'), 4)} (base rate alone: {_num(m.get('brier_base_rate'), 4)})",
        ),
        ("Calibration error", _num(m.get("calibration_error"), 4)),
        (
            "Base rate train / test",
            f"{_pct(m.get('base_rate_train'))} / {_pct(m.get('base_rate_test'))}",
        ),
        (
            "Contacts train / test",
            f"{m.get('n_train', 0):,} / {m.get('n_test', 0):,} "
            f"({m.get('positives_train', 0):,} / {m.get('positives_test', 0):,} converted)",
        ),
        ("Split at", str(m.get("split_at", "—"))),
        (
            "Windows",
            f"features: first {m.get('observation_days', 0):g} days; "
            f"outcome: {m.get('target', model.target)} within {m.get('outcome_days', 0):g} days",
        ),
        ("Training time", f"{m.get('train_seconds', 0):.2f} s"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [
        f"Predictive model v{model.version} (target: {model.target}, trained "
        f"{model.trained_at:%Y-%m-%d %H:%M} UTC)",
        f"Verdict: {m.get('verdict_text', '')}",
        "",
        *(f"  {label.ljust(width)}  {value}" for label, value in rows),
        "",
        "Reliability (test contacts in ten equal bins of the prediction):",
        "  bin       n  predicted  observed (95% CI)",
    ]
    for b in m.get("reliability", []):
        lines.append(
            f"  {b['bin']:>3}  {b['n']:>6,}  {_pct(b['predicted']):>9}  {_pct(b['observed']):>8} "
            f"({_pct(b['low'])} to {_pct(b['high'])})"
        )
    lines += ["", "Top coefficients (log-odds per standard deviation):"]
    for c in m.get("top_coefficients", []):
        lines.append(f"  {c['coefficient']:+.3f}  {c['label']}")
    return lines


class Command(BaseCommand):
    help = (
        "Show the predictive score of a workspace (test AUC beside the rule score's AUC, Brier "
        "score, reliability per decile, top coefficients, verdict), or train a new version with "
        "--train. Example: accord predict --workspace acme --train"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace slug")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--train",
            action="store_true",
            help="train a new version on the workspace's history and score every contact",
        )
        mode.add_argument(
            "--refresh",
            action="store_true",
            help="score every contact again with the active model (no retraining)",
        )
        parser.add_argument(
            "--user", help="act as this member (email); default: the system, for scheduled runs"
        )
        parser.add_argument(
            "--target",
            default="sql",
            choices=["sql", "opportunity", "customer"],
            help="the stage (or later) that counts as converted (sql)",
        )
        parser.add_argument(
            "--observation-days",
            type=float,
            default=7.0,
            help="days after creation whose engagement the model sees (7)",
        )
        parser.add_argument(
            "--outcome-days",
            type=float,
            default=90.0,
            help="days after creation within which a conversion counts (90)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        actor = (
            cli_actor(workspace.slug, options["user"])
            if options["user"]
            else Actor.system(workspace, Source.SYSTEM)
        )
        try:
            if options["train"]:
                self.stdout.write(f"Training on the history of {workspace.slug} …")
                predictive_train(
                    actor,
                    target=options["target"],
                    observation_days=options["observation_days"],
                    outcome_days=options["outcome_days"],
                )
            elif options["refresh"]:
                count = predictions_refresh(actor)
                self.stdout.write(f"Scored {count:,} contacts with the active model.")
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        model = active_model(workspace)
        if model is None:
            raise CommandError(
                f"Workspace {workspace.slug} has no predictive model yet; train one with "
                f"`accord predict --workspace {workspace.slug} --train`."
            )
        self.stdout.write("\n".join(metrics_lines(model)))
