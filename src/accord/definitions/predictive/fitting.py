"""Train and measure the predictive score on a workspace's history: pure, no Django.

**What is predicted.** For a contact seen at its prediction point (creation + the observation
window, 7 days by default), the probability that it reaches the target stage (SQL, or any later
stage: opportunity, customer) within the outcome window (90 days after creation). Contacts
that reached the target before their prediction point are left out of training and testing:
for them there is nothing left to predict, and their early sales activity would teach the model
what a converted contact looks like rather than what a promising one does.

**Why a time-based split.** The model is used on contacts that arrive *after* it was trained,
so it is tested the same way: only contacts whose outcome window has fully passed (created at
least `outcome_days` before now) are used, the earliest 70% by creation time train the model
and the latest 30% test it. A random split would let the model learn from contacts created
alongside the test contacts (same campaigns, same season, same sales team) and overstate how
well it generalises to next month's leads; it would also hide drift in the base rate, which
the test base rate reported beside the training one makes visible.

**Regularisation.** L2 strength is chosen from a small grid by log-loss on the latest quarter
of the training contacts (again split by time), then the model is refitted on all of them.

**Verdict.** The model's test AUC is compared with the rule score's (fit + engagement of the
active lead definition, computed at the same prediction points on the same test contacts) with a
paired DeLong interval; the verdict says "better" only when the whole interval of the
difference is above zero, and says plainly when it is not.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.definitions.document import LeadDefinitionDocument
from accord.definitions.predictive.features import (
    DAY,
    ContactTable,
    FeatureSpec,
    feature_label,
    feature_matrix,
    fit_spec,
    prediction_points,
)
from accord.definitions.predictive.logistic import LogisticModel, fit_logistic, top_coefficients
from accord.definitions.predictive.measures import (
    auc_difference,
    auc_interval,
    brier,
    calibration_error,
    log_loss,
    reliability,
    roc_auc,
)
from accord.definitions.scoring import score

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TARGET_STAGES: dict[str, tuple[str, ...]] = {
    "sql": ("sql", "opportunity", "customer"),
    "opportunity": ("opportunity", "customer"),
    "customer": ("customer",),
}
FORMAT = "accord-logistic-v1"
# A rule scorer: the rule score of each contact of a table at its prediction point.
RuleScorer = Callable[[ContactTable, FloatArray], FloatArray]


@dataclass(frozen=True)
class TrainingSettings:
    target: str = "sql"
    observation_days: float = 7.0
    outcome_days: float = 90.0
    test_share: float = 0.3
    min_train_positives: int = 20
    min_test_positives: int = 10
    min_level_count: int = 5
    c_grid: tuple[float, ...] = (0.01, 0.1, 1.0)


class NotEnoughHistory(ValueError):
    """Too little resolved history to train or to test honestly."""


@dataclass(frozen=True)
class TrainingResult:
    model: LogisticModel
    spec: FeatureSpec
    settings: TrainingSettings
    metrics: dict[str, Any]

    @property
    def parameters(self) -> dict[str, Any]:
        """Everything needed to score later, as plain JSON."""
        return {
            "format": FORMAT,
            "target": self.settings.target,
            "target_stages": list(TARGET_STAGES[self.settings.target]),
            "outcome_days": self.settings.outcome_days,
            **self.spec.to_json(),
            **self.model.to_json(),
        }


def rule_scores_at(
    doc: LeadDefinitionDocument, table: ContactTable, points: FloatArray
) -> FloatArray:
    """Fit + engagement of `doc` for each contact as of its own prediction point: event times
    are shifted so that every contact's point falls on one common `as_of`, which keeps decay
    ages right and drops later events."""
    events = table.events
    reference = float(points.max()) if len(points) else 0.0
    shift = reference - points[events.contact_index] if len(events.kind_code) else 0.0
    shifted = replace(events, timestamp=events.timestamp + shift)
    result = score(doc, table.contacts, shifted, reference)
    return np.asarray(result.fit + result.engagement, dtype=np.float64)


def outcomes(
    created: FloatArray, converted_at: FloatArray, points: FloatArray, outcome_days: float
) -> tuple[BoolArray, BoolArray]:
    """(converted within the outcome window, converted already at the prediction point)."""
    with np.errstate(invalid="ignore"):
        converted = converted_at <= created + outcome_days * DAY
        early = converted_at <= points
    return converted, early


def _split(
    created: FloatArray, eligible: BoolArray, test_share: float
) -> tuple[IntArray, IntArray, float]:
    rows = np.nonzero(eligible)[0]
    rows = rows[np.argsort(created[rows], kind="stable")]
    cut = min(max(round(len(rows) * (1 - test_share)), 1), len(rows) - 1)
    split_at = float(created[rows[cut]])
    train = rows[created[rows] < split_at]
    test = rows[created[rows] >= split_at]
    return train, test, split_at


def _choose_c(
    x: FloatArray, y: BoolArray, created: FloatArray, features: list[str], grid: tuple[float, ...]
) -> float:
    """The grid value with the lowest log-loss on the latest quarter of the training rows."""
    order = np.argsort(created, kind="stable")
    cut = int(len(order) * 0.75)
    fit_rows, check_rows = order[:cut], order[cut:]
    if len(grid) == 1 or y[check_rows].sum() < 5 or y[fit_rows].sum() < 5:
        return grid[len(grid) // 2]
    losses = []
    for c in grid:
        model = fit_logistic(x[fit_rows], y[fit_rows], features, c)
        losses.append(log_loss(y[check_rows], model.probability(x[check_rows])))
    return grid[int(np.argmin(losses))]


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")


def _round(value: float, digits: int = 4) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def _check_history(
    settings: TrainingSettings, eligible: int, train_pos: int, test_pos: int
) -> None:
    if eligible < 2:
        raise NotEnoughHistory(
            f"No contacts old enough to learn from: a contact's outcome is known "
            f"{settings.outcome_days:g} days after it was created, and fewer than two contacts "
            "are that old (and not yet converted at their prediction point)."
        )
    if train_pos < settings.min_train_positives or test_pos < settings.min_test_positives:
        raise NotEnoughHistory(
            f"Too little history: {train_pos} contacts reached {settings.target} among the "
            f"earlier (training) contacts and {test_pos} among the later (test) contacts; at "
            f"least {settings.min_train_positives} and {settings.min_test_positives} are needed "
            "for a model that can be measured. Train again when more contacts have converted."
        )


def _rule_metrics(
    y: BoolArray, p: FloatArray, rule: FloatArray | None, version: int | None
) -> dict[str, Any]:
    if rule is None:
        return {"rule_definition_version": None, "rule_auc": None, "rule_auc_ci": None}
    diff, low, high = auc_difference(y, p, rule)
    rule_ci = auc_interval(y, rule)
    return {
        "rule_definition_version": version,
        "rule_auc": _round(roc_auc(y, rule)),
        "rule_auc_ci": [_round(rule_ci[0]), _round(rule_ci[1])],
        "auc_difference": _round(diff),
        "auc_difference_ci": [_round(low), _round(high)],
    }


def verdict(metrics: dict[str, Any]) -> tuple[str, str]:
    """(code, sentence): better, no_better, worse, no_rule or chance."""
    auc, (low, high) = metrics["auc"], metrics["auc_ci"]
    text = f"AUC {auc:.3f}, 95% CI {low:.3f} to {high:.3f}"
    if low <= 0.5:
        return "chance", (
            f"The model does no better than chance on the later contacts ({text}); do not use "
            "it to rank leads."
        )
    if metrics["rule_auc"] is None:
        return "no_rule", (
            f"The model ranks the later contacts with {text}. There is no active lead "
            "definition to compare it with."
        )
    rule = f"lead definition v{metrics['rule_definition_version']}"
    diff, (d_low, d_high) = metrics["auc_difference"], metrics["auc_difference_ci"]
    compared = (
        f"AUC {auc:.3f} against {metrics['rule_auc']:.3f} for the rule score of {rule}; "
        f"difference {diff:+.3f}, 95% CI {d_low:+.3f} to {d_high:+.3f}"
    )
    if d_low > 0:
        return "better", (
            f"The model ranks the later contacts better than the rule score ({compared})."
        )
    if d_high < 0:
        return "worse", (
            f"The model ranks the later contacts worse than the rule score ({compared}); keep "
            "ranking by the rule score."
        )
    return "no_better", (
        f"The model does no better than the rule score on the later contacts ({compared}): the "
        "difference is within noise."
    )


@dataclass(frozen=True)
class Prepared:
    """The time split and the feature matrices of the training and test contacts."""

    spec: FeatureSpec
    points: FloatArray
    train_rows: IntArray
    test_rows: IntArray
    split_at: float
    x_train: FloatArray
    y_train: BoolArray
    x_test: FloatArray
    y_test: BoolArray
    early: BoolArray  # resolved contacts that converted before their prediction point
    eligible: BoolArray


def prepare(
    table: ContactTable, converted_at: FloatArray, as_of: float, s: TrainingSettings
) -> Prepared:
    """Resolved contacts split by creation time, their labels and their feature matrices
    (levels and event kinds chosen on the training contacts only). Raises NotEnoughHistory."""
    points = prediction_points(table.created, s.observation_days, as_of)
    converted, early = outcomes(table.created, converted_at, points, s.outcome_days)
    resolved = table.created + s.outcome_days * DAY <= as_of
    eligible = resolved & ~early
    if int(eligible.sum()) < 2:
        _check_history(s, int(eligible.sum()), 0, 0)
    train_rows, test_rows, split_at = _split(table.created, eligible, s.test_share)
    _check_history(
        s, int(eligible.sum()), int(converted[train_rows].sum()), int(converted[test_rows].sum())
    )
    spec = fit_spec(
        table, points, train_rows, observation_days=s.observation_days, min_count=s.min_level_count
    )
    rows = np.concatenate([train_rows, test_rows])
    x = feature_matrix(spec, table.take(rows), points[rows])
    return Prepared(
        spec=spec,
        points=points,
        train_rows=train_rows,
        test_rows=test_rows,
        split_at=split_at,
        x_train=x[: len(train_rows)],
        y_train=converted[train_rows],
        x_test=x[len(train_rows) :],
        y_test=converted[test_rows],
        early=early & resolved,
        eligible=eligible,
    )


def train(
    table: ContactTable,
    converted_at: FloatArray,
    as_of: float,
    settings: TrainingSettings | None = None,
    *,
    rule: RuleScorer | None = None,
    rule_version: int | None = None,
) -> TrainingResult:
    """Split by creation time, fit, and measure on the later contacts. `converted_at` is each
    contact's first arrival in a target stage (epoch seconds, NaN if never)."""
    s = settings or TrainingSettings()
    started = time.perf_counter()
    d = prepare(table, converted_at, as_of, s)
    created_train = table.created[d.train_rows]
    c = _choose_c(d.x_train, d.y_train, created_train, d.spec.names, s.c_grid)
    model = fit_logistic(d.x_train, d.y_train, d.spec.names, c)
    train_seconds = time.perf_counter() - started
    p = model.probability(d.x_test)
    test_points = d.points[d.test_rows]
    rule_scores = rule(table.take(d.test_rows), test_points) if rule is not None else None
    metrics = _metrics(s=s, model=model, d=d, p=p)
    metrics |= {
        "split_at": _iso(d.split_at),
        "train_period": [_iso(created_train.min()), _iso(d.split_at)],
        "test_period": [_iso(d.split_at), _iso(table.created[d.test_rows].max())],
        "train_seconds": round(train_seconds, 3),
        **_rule_metrics(d.y_test, p, rule_scores, rule_version),
    }
    metrics["verdict"], metrics["verdict_text"] = verdict(metrics)
    return TrainingResult(model=model, spec=d.spec, settings=s, metrics=metrics)


def _metrics(
    *, s: TrainingSettings, model: LogisticModel, d: Prepared, p: FloatArray
) -> dict[str, Any]:
    y_train, y_test, spec = d.y_train, d.y_test, d.spec
    base = float(y_train.mean())
    table = reliability(y_test, p)
    low, high = auc_interval(y_test, p)
    return {
        "target": s.target,
        "observation_days": s.observation_days,
        "outcome_days": s.outcome_days,
        "C": model.c,
        "n_train": len(y_train),
        "n_test": len(y_test),
        "positives_train": int(y_train.sum()),
        "positives_test": int(y_test.sum()),
        "excluded_converted_early": int(d.early.sum()),
        "n_eligible": int(d.eligible.sum()),
        "base_rate_train": _round(base),
        "base_rate_test": _round(float(y_test.mean())),
        "mean_predicted_test": _round(float(p.mean())),
        "auc": _round(roc_auc(y_test, p)),
        "auc_ci": [_round(low), _round(high)],
        "brier": _round(brier(y_test, p)),
        "brier_base_rate": _round(brier(y_test, np.full(len(y_test), base))),
        "log_loss": _round(log_loss(y_test, p)),
        "calibration_error": _round(calibration_error(table)),
        "reliability": [
            {
                "bin": b.bin,
                "n": b.n,
                "predicted": _round(b.predicted),
                "observed": _round(b.observed),
                "low": _round(b.low),
                "high": _round(b.high),
            }
            for b in table
        ],
        "features": len(spec.names),
        "top_coefficients": [
            {
                "feature": name,
                "label": feature_label(name, s.observation_days),
                "coefficient": round(coef, 4),
            }
            for name, coef in top_coefficients(model, 10)
        ],
    }


def predict(parameters: dict[str, Any], table: ContactTable, as_of: float) -> FloatArray:
    """Probabilities for every contact of `table` from a stored model's JSON (numpy only),
    in chunks so that the feature matrix stays small."""
    spec = FeatureSpec.from_json(parameters)
    model = LogisticModel.from_json(parameters)
    points = prediction_points(table.created, spec.observation_days, as_of)
    out = np.zeros(table.size, dtype=np.float64)
    chunk = 50_000
    for lo in range(0, table.size, chunk):
        rows = np.arange(lo, min(lo + chunk, table.size), dtype=np.int64)
        part = table if len(rows) == table.size else table.take(rows)
        out[rows] = model.probability(feature_matrix(spec, part, points[rows]))
    return out
