"""Experiments as JSON-ready data: the same documents from the API (`/api/v1/experiments…`)
and `accord experiment … --format json`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict
from typing import Any

from accord.experiments.models import Experiment, Learning
from accord.experiments.results import ExperimentResults


def _interval(value: Any) -> dict[str, float] | None:
    return None if value is None else {"lower": value.lower, "upper": value.upper}


def experiment_document(experiment: Experiment) -> dict[str, Any]:
    learning: Learning | None = getattr(experiment, "learning", None)
    return {
        "id": experiment.pk,
        "key": experiment.key,
        "name": experiment.name,
        "hypothesis": experiment.hypothesis,
        "subject": experiment.subject,
        "status": experiment.status,
        "marketing_owner_id": experiment.marketing_owner_id,
        "sales_owner_id": experiment.sales_owner_id,
        "primary_metric": experiment.primary_metric,
        "guardrails": experiment.guardrails,
        "planned_sample_size": experiment.planned_sample_size,
        "planned_days": experiment.planned_days,
        "assignment": experiment.assignment,
        "started_at": experiment.started_at,
        "stopped_at": experiment.stopped_at,
        "metric_changes": experiment.metric_changes,
        "variants": [
            {
                "key": v.key,
                "name": v.name,
                "is_control": v.is_control,
                "weight": v.weight,
                "description": v.description,
            }
            for v in experiment.variants.all()
        ],
        "learning": learning_document(learning) if learning else None,
    }


def learning_document(learning: Learning) -> dict[str, Any]:
    return {
        "outcome": learning.outcome,
        "decision": learning.decision,
        "result": learning.result,
        "learned": learning.learned,
        "recorded_at": learning.created_at,
    }


def results_document(results: ExperimentResults) -> dict[str, Any]:
    def test(c: Any) -> dict[str, Any] | None:
        t = c.test
        if t is None:
            return None
        return {
            "difference": t.difference,
            "difference_interval": _interval(t.difference_interval),
            "relative_uplift": t.relative_uplift,
            "relative_uplift_interval": _interval(t.relative_uplift_interval),
            "p_value": t.p_value,
            "status": t.status,
            "reason": t.reason,
        }

    return {
        "experiment": results.experiment.key,
        "status": results.experiment.status,
        "assigned": results.assigned,
        "warnings": results.warnings,
        "sample_ratio_p": results.srm_p,
        "reading": results.reading,
        "verdict_basis": results.verdict_basis,
        "metrics": [
            {
                "metric": m.metric,
                "label": m.label,
                "role": m.role,
                "lower_is_better": m.lower_is_better,
                "unit": m.unit,
                "arms": [asdict(a) for a in m.arms],
                "comparisons": [
                    {
                        "variant": c.variant,
                        "kind": c.kind,
                        "test": test(c),
                        "adjusted_p": c.adjusted_p,
                        "chance_to_beat": c.chance_to_beat,
                        "expected_loss": c.expected_loss,
                        "always_valid_p": c.always_valid_p,
                        "adjusted_always_valid_p": c.adjusted_always_valid_p,
                        "cuped_variance_reduction": c.cuped_reduction,
                        "verdict": c.verdict,
                        "verdict_basis": c.verdict_basis,
                        "reading": c.reading,
                        "details": c.details,
                        "reason": c.reason,
                    }
                    for c in m.comparisons
                ],
            }
            for m in results.metrics
        ],
    }


def quarter(moment: dt.datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def quarterly_summary(experiments: list[Experiment]) -> list[dict[str, Any]]:
    """Per quarter (of the start): experiments run, won, lost, inconclusive, still open."""
    counts: dict[str, Counter[str]] = {}
    for e in experiments:
        if e.started_at is None:
            continue
        learning: Learning | None = getattr(e, "learning", None)
        key = learning.outcome if learning else "open"
        counts.setdefault(quarter(e.started_at), Counter())[key] += 1
    return [
        {"quarter": q, "run": sum(c.values()), "won": c["won"], "lost": c["lost"],
         "inconclusive": c["inconclusive"], "open": c["open"]}
        for q, c in sorted(counts.items(), reverse=True)
    ]  # fmt: skip
