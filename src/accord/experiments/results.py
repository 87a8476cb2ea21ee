"""An experiment's results: each variant against the control on the primary metric and the
guardrails, with the statistics of `experiments.stats`, the warnings that change how to read
them, and a plain-language reading.

Rates (conversion to MQL, SAL, SQL, won; acceptance) are compared with the two-proportion
z-test, the chance to beat the control (beta-binomial) and an always-valid p-value (mSPRT);
per-lead amounts and hours with Welch's t-test and the normal model. Both kinds of p-value are
adjusted by Holm's method in two families (the primary metric's comparisons; the guardrails').
While the experiment runs, the verdict rests on the adjusted always-valid p-value, so that
looking at it every day is safe; once it has stopped, on the adjusted fixed-horizon p-value.
Nothing here is NaN: what cannot be computed is None with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from accord.experiments.formatting import (
    amount_text,
    chance_text,
    p_text,
    p_value_text,
    percent_text,
)
from accord.experiments.models import Assignment, Experiment, ExperimentStatus, OutcomeMetric
from accord.experiments.outcomes import MEANS, VariantOutcome, outcomes
from accord.experiments.stats.bayes import bayesian_means, bayesian_proportions
from accord.experiments.stats.corrections import holm
from accord.experiments.stats.cuped import cuped
from accord.experiments.stats.means import (
    MeanComparison,
    SampleSummary,
    compare_means,
    summarise,
)
from accord.experiments.stats.proportions import ProportionComparison, compare_proportions
from accord.experiments.stats.sequential import sequential_means, sequential_proportions
from accord.experiments.stats.srm import sample_ratio_mismatch

LABELS = dict(OutcomeMetric.choices)
LOWER_IS_BETTER = frozenset({"hours_to_first_touch"})
UNITS = {"pipeline_per_lead": "money", "revenue_per_lead": "money",
         "hours_to_first_touch": "hours"}  # fmt: skip
ALPHA = 0.05
# Which p-value the verdict rests on: the always-valid one while the experiment may still be
# looked at and stopped on it; the fixed-horizon one once it has stopped.
ALWAYS_VALID = "always_valid_p"
FIXED_HORIZON = "fixed_horizon_p"
FINISHED = frozenset({ExperimentStatus.STOPPED, ExperimentStatus.CONCLUDED})


@dataclass
class Arm:
    key: str
    name: str
    is_control: bool
    assigned: int
    n: int  # contacts counted for this metric
    value: float | None  # the rate or the mean
    successes: int | None = None  # rates only


@dataclass
class Comparison:
    variant: str
    kind: str  # "rate" or "mean"
    test: ProportionComparison | MeanComparison | None
    reason: str = ""  # why there is no test
    chance_to_beat: float | None = None
    expected_loss: float | None = None
    always_valid_p: float | None = None
    adjusted_p: float | None = None
    adjusted_always_valid_p: float | None = None
    cuped_reduction: float | None = None  # the variance CUPED took out, when it applied
    verdict: str = "inconclusive"  # better, worse, inconclusive
    verdict_basis: str = FIXED_HORIZON  # ALWAYS_VALID or FIXED_HORIZON
    reading: str = ""
    details: str = ""  # the difference with its interval, the chance to beat, always-valid p


@dataclass
class MetricResult:
    metric: str
    label: str
    role: str  # "primary" or "guardrail"
    lower_is_better: bool
    unit: str  # "rate", "money" (per lead, the workspace's currency) or "hours"
    arms: list[Arm]
    comparisons: list[Comparison]


@dataclass
class ExperimentResults:
    experiment: Experiment
    metrics: list[MetricResult]
    assigned: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    srm_p: float | None = None
    reading: str = ""
    verdict_basis: str = FIXED_HORIZON
    currency: str = ""  # the workspace's, for the amounts per lead


def experiment_results(experiment: Experiment) -> ExperimentResults:
    found = outcomes(experiment)
    control = next((o for o in found if o.variant.is_control), None)
    results = ExperimentResults(experiment, [], {o.variant.key: o.assigned for o in found})
    results.verdict_basis = FIXED_HORIZON if experiment.status in FINISHED else ALWAYS_VALID
    results.currency = experiment.workspace.default_currency
    results.warnings += _warnings(experiment, found)
    if len(found) >= 2 and sum(o.assigned for o in found) > 0:
        check = sample_ratio_mismatch([o.assigned for o in found],
                                      [o.variant.weight for o in found])  # fmt: skip
        results.srm_p = check.p_value
        if check.mismatch:
            results.warnings.append(
                f"Sample-ratio mismatch: the variants got {', '.join(map(str, check.observed))} "
                f"contacts against weights {', '.join(str(o.variant.weight) for o in found)} "
                f"(p = {check.p_value:.2g}): the assignment is broken or leaky — fix it before "
                "reading the results."
            )
    if control is None:
        results.warnings.append("No variant is marked as the control: nothing to compare.")
        return results
    roles = [(experiment.primary_metric, "primary")]
    roles += [(m, "guardrail") for m in experiment.guardrails if m != experiment.primary_metric]
    for metric, role in roles:
        results.metrics.append(_metric(metric, role, control, found))
    _adjust(results)
    results.reading = _overall(results)
    return results


def _metric(
    metric: str, role: str, control: VariantOutcome, found: list[VariantOutcome]
) -> MetricResult:
    kind = "mean" if metric in MEANS else "rate"
    arms = [_arm(o, metric, kind) for o in found]
    comparisons = [
        _compare(metric, kind, control, other) for other in found if not other.variant.is_control
    ]
    return MetricResult(metric, LABELS[metric], role, metric in LOWER_IS_BETTER,
                        UNITS.get(metric, "rate"), arms, comparisons)  # fmt: skip


def _arm(o: VariantOutcome, metric: str, kind: str) -> Arm:
    if kind == "rate":
        n, x = o.trials[metric], o.successes[metric]
        return Arm(o.variant.key, o.variant.name, o.variant.is_control, o.assigned, n,
                   x / n if n else None, x)  # fmt: skip
    values = o.values[metric]
    mean = sum(values) / len(values) if values else None
    return Arm(o.variant.key, o.variant.name, o.variant.is_control, o.assigned, len(values),
               mean)  # fmt: skip


def _summary(values: list[float]) -> SampleSummary | None:
    return summarise(values) if len(values) >= 2 else None


def _compare(metric: str, kind: str, control: VariantOutcome, other: VariantOutcome
             ) -> Comparison:  # fmt: skip
    key = other.variant.key
    if kind == "rate":
        counts = (control.successes[metric], control.trials[metric],
                  other.successes[metric], other.trials[metric])  # fmt: skip
        test: Any = compare_proportions(*counts, alpha=ALPHA)
        comparison = Comparison(key, kind, test, reason=test.reason or "")
        bayes = bayesian_proportions(*counts)
        comparison.chance_to_beat = bayes.chance_to_beat_control
        comparison.expected_loss = bayes.expected_loss_treatment
        baseline = counts[0] / counts[1] if counts[1] else 0.0
        if baseline > 0 and counts[3]:
            comparison.always_valid_p = sequential_proportions(
                [counts], baseline=baseline, alpha=ALPHA
            ).p_value
        return comparison
    a, b = _summary(control.values[metric]), _summary(other.values[metric])
    if a is None or b is None:
        return Comparison(key, kind, None, reason="not enough data: each arm needs at least 2 "
                          "contacts with a value")  # fmt: skip
    reduction = None
    before = control.before.get(metric, []), other.before.get(metric, [])
    if any(before[0]) or any(before[1]):  # a pre-period value exists: CUPED narrows the test
        adjusted = cuped(control.values[metric], before[0], other.values[metric], before[1])
        if adjusted.theta is not None:
            a, b = adjusted.control_summary, adjusted.treatment_summary
            reduction = adjusted.variance_reduction
    test = compare_means(a, b, alpha=ALPHA)
    comparison = Comparison(key, kind, test, reason=test.reason or "")
    comparison.cuped_reduction = reduction
    bayes_means = bayesian_means(a, b)
    comparison.chance_to_beat = bayes_means.chance_to_beat_control
    comparison.expected_loss = bayes_means.expected_loss_treatment
    if a.mean != 0 and (a.variance or b.variance):
        comparison.always_valid_p = sequential_means([(a, b)], baseline=a.mean,
                                                     alpha=ALPHA).p_value  # fmt: skip
    return comparison


def _adjust(results: ExperimentResults) -> None:
    """Holm-adjusted p-values in two families — the primary metric's comparisons (one per
    variant), and every guardrail comparison together — for the fixed-horizon and the
    always-valid p-values alike, then each comparison's verdict and reading. The primary metric
    is what the experiment was planned on; correcting it for the guardrails too would spend its
    power on checks that are not the question. Holm needs only that each p-value be valid, and
    an always-valid p-value is valid at whatever look one reads it."""
    families: dict[str, list[Comparison]] = {"primary": [], "guardrail": []}
    for m in results.metrics:
        families[m.role] += m.comparisons
    for family in families.values():
        tested = [(c, c.test.p_value) for c in family
                  if c.test is not None and c.test.p_value is not None]  # fmt: skip
        for (comparison, _), p in zip(tested, holm([p for _, p in tested]), strict=True):
            comparison.adjusted_p = p
        watched = [(c, c.always_valid_p) for c in family if c.always_valid_p is not None]
        for (comparison, _), p in zip(watched, holm([p for _, p in watched]), strict=True):
            comparison.adjusted_always_valid_p = p
    for m in results.metrics:
        for c in m.comparisons:
            c.verdict_basis = results.verdict_basis
            c.verdict = _verdict(c, m.lower_is_better)
            c.reading = _reading(m, c, results.currency)
            c.details = _details(m, c, results.currency)


def _verdict(c: Comparison, lower_is_better: bool) -> str:
    p = c.adjusted_always_valid_p if c.verdict_basis == ALWAYS_VALID else c.adjusted_p
    if c.test is None or p is None or c.test.difference is None:
        return "inconclusive"
    if p >= ALPHA:
        return "inconclusive"
    up = c.test.difference > 0
    return "better" if up != lower_is_better else "worse"


BASIS_NOTES = {
    ALWAYS_VALID: "verdict on the always-valid p, safe to read while the experiment runs",
    FIXED_HORIZON: "verdict on the fixed-horizon p, the experiment having stopped",
}


def _adjusted(raw: float | None, adjusted: float | None, role: str) -> str:
    if adjusted is None or raw is None or p_value_text(adjusted) == p_value_text(raw):
        return ""
    return f" ({p_value_text(adjusted)} adjusted for the other {role} comparisons)"


def _reading(m: MetricResult, c: Comparison, currency: str) -> str:
    arms = {a.key: a for a in m.arms}
    control = next(a for a in m.arms if a.is_control)
    variant = arms[c.variant]
    if c.test is None or c.test.relative_uplift is None or c.test.p_value is None:
        why = (c.reason or "no traffic").removeprefix("not enough data: ")
        return f"{variant.name}: not enough data ({why})."

    def value(v: float | None) -> str:
        if v is None:
            return "n/a"
        return amount_text(m.unit, v, currency) + (" per lead" if m.unit == "money" else "")

    interval = c.test.relative_uplift_interval
    span = (
        f" (95 % interval {percent_text(interval.lower, signed=True)} to "
        f"{percent_text(interval.upper, signed=True)})"
        if interval
        else ""
    )
    verdict = {"better": "better than the control", "worse": "worse than the control",
               "inconclusive": "no clear difference"}[c.verdict]  # fmt: skip
    return (
        f"{variant.name}: {value(variant.value)} against {value(control.value)} for the control, "
        f"{percent_text(c.test.relative_uplift, signed=True)}{span}; "
        + p_text("p", c.test.p_value)
        + _adjusted(c.test.p_value, c.adjusted_p, m.role)
        + (
            f"; chance to beat the control {chance_text(c.chance_to_beat)}"
            if c.chance_to_beat is not None
            else ""
        )
        + (
            "; "
            + p_text("always-valid p", c.always_valid_p)
            + _adjusted(c.always_valid_p, c.adjusted_always_valid_p, m.role)
            if c.always_valid_p is not None
            else ""
        )
        + (
            f"; CUPED on the amounts before the experiment took out {c.cuped_reduction:.0%} of "
            "the variance"
            if c.cuped_reduction
            else ""
        )
        + f" — {verdict} ({BASIS_NOTES[c.verdict_basis]})."
    )


def _details(m: MetricResult, c: Comparison, currency: str) -> str:
    """The page's line under a reading: the absolute difference with its interval, in the
    metric's unit, the chance to beat the control and the always-valid p."""
    parts = []
    if c.test is not None and c.test.difference is not None:
        difference = amount_text(m.unit, c.test.difference, currency, signed=True)
        interval = c.test.difference_interval
        parts.append(
            f"Difference {difference}"
            + (
                f" (95 % interval {amount_text(m.unit, interval.lower, currency, signed=True)}"
                f" to {amount_text(m.unit, interval.upper, currency, signed=True)})"
                if interval
                else ""
            )
        )
    if c.chance_to_beat is not None:
        parts.append(f"chance to beat the control {chance_text(c.chance_to_beat)}")
    if c.always_valid_p is not None:
        parts.append(p_text("always-valid p", c.always_valid_p))
    return " · ".join(parts)


def _warnings(experiment: Experiment, found: list[VariantOutcome]) -> list[str]:
    notes = []
    if experiment.status == ExperimentStatus.DRAFT:
        notes.append("The experiment has not started: no contact has joined yet.")
    for o in found:
        if o.assigned == 0 and experiment.status != ExperimentStatus.DRAFT:
            notes.append(f"{o.variant.name} has no traffic: no contact was assigned to it.")
    for change in experiment.metric_changes:
        notes.append(
            f"The {change['field'].replace('_', ' ')} changed after the start ({change['at'][:10]}"
            f", by {change['by']}): read the results as exploratory, not as the planned test."
        )
    overlap = _overlap(experiment)
    if overlap:
        notes.append(
            f"{sum(overlap.values()):,} of its contacts are in other experiments too ("
            + ", ".join(f"{key}: {n:,}" for key, n in sorted(overlap.items()))
            + "): their effects may mix; check that those experiments' variants are balanced "
            "across this one's."
        )
    planned = experiment.planned_sample_size
    smallest = min((o.assigned for o in found), default=0)
    if planned and 0 < smallest < planned:
        notes.append(f"The smallest variant has {smallest:,} of the {planned:,} contacts planned.")
    return notes


def _overlap(experiment: Experiment) -> dict[str, int]:
    """Per other experiment, how many of this one's contacts it also holds."""
    mine = Assignment.objects.for_workspace(experiment.workspace_id).filter(experiment=experiment)
    shared = (
        Assignment.objects.for_workspace(experiment.workspace_id)
        .filter(contact_id__in=mine.values("contact_id"))
        .exclude(experiment=experiment)
        .values("experiment__key")
        .annotate(n=Count("contact_id", distinct=True))
    )
    return {row["experiment__key"]: row["n"] for row in shared}


def _overall(results: ExperimentResults) -> str:
    primary = results.metrics[0] if results.metrics else None
    if primary is None or not primary.comparisons:
        return "Not enough data to read the experiment."
    parts = [c.reading for c in primary.comparisons]
    harmed = [f"{m.label.lower()} ({c.variant})" for m in results.metrics[1:]
              for c in m.comparisons if c.verdict == "worse"]  # fmt: skip
    if harmed:
        parts.append("Guardrail hurt: " + ", ".join(harmed) + ".")
    return " ".join(parts)
