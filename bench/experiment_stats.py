"""Benchmark: an experiment's results with 100,000 assigned contacts — the outcomes from the
metrics layer's cohort queries, then the statistics — beside the same tests computed with
scipy and statsmodels on the same arrays, in the same run.

    python bench/experiment_stats.py --contacts 1000000 --data-dir /tmp/bench1m
    python bench/experiment_stats.py --contacts 20000 --assigned 10000 --data-dir /tmp/d

On the demo workspace in --data-dir (generated if missing) an experiment with two variants is
registered and started through the services (primary metric: conversion to SQL; guardrails:
acceptance rate, pipeline and revenue per lead, hours to first touch), and the first --assigned
contacts are recorded into it through `record_assignments` (half and half by the contact's
hash, joined when the contact was created); it is reused on later runs. Timed, median of
three:

- `outcomes(experiment)`: the cohort queries (members, stages reached, deals before and
  after joining, first handoff) and the per-variant arrays built from them;
- the statistics alone (`experiment_results` given those outcomes): per metric the
  two-proportion z-test or Welch's t-test with CUPED, the Bayesian chance to beat the control,
  the always-valid (mSPRT) p-value, the sample-ratio check and Holm's adjustment;
- reference: from the same arrays, statsmodels' `proportions_ztest` (pooled), CUPED with numpy
  and scipy's Welch `ttest_ind`, scipy's chi-square sample-ratio test and statsmodels' Holm
  adjustment. The reference computes fewer things (no Bayesian or sequential figures), so a
  ratio above 1 is expected; the p-values of the z-tests must agree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, bench_environment, write_json

KEY = "bench-assigned"
GUARDRAILS = ["acceptance_rate", "pipeline_per_lead", "revenue_per_lead", "hours_to_first_touch"]
CHUNK = 10_000  # assignments per record_assignments call (SQLite's bound-variable limit)


def _median(run: Callable[[], Any], times: int = 3) -> tuple[float, Any]:
    seconds, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def _experiment(workspace: Any, assigned: int) -> Any:
    """The benchmark's running experiment with `assigned` contacts (made once, reused)."""
    from accord.crm.models import Contact
    from accord.experiments import services
    from accord.experiments.models import Assignment, Experiment
    from accord.identity.actor import Actor, Source
    from accord.identity.models import Membership, Role

    key = f"{KEY}-{assigned}"
    found = Experiment.objects.for_workspace(workspace).filter(key=key).first()
    if found is not None and Assignment.objects.for_workspace(workspace).filter(
        experiment=found
    ).count() == assigned:  # fmt: skip
        return found
    marketer = (
        Membership.objects.for_workspace(workspace)
        .filter(role=Role.MANAGER, team__kind="marketing")
        .select_related("user", "workspace")
        .first()
    )
    assert marketer is not None, "the demo has a marketing manager"
    actor = Actor.for_membership(marketer, Source.CLI)
    if found is not None:
        services.experiment_delete(actor=actor, experiment_id=found.pk)
    experiment = services.experiment_create(actor=actor, values={
        "key": key, "name": f"Benchmark: {assigned:,} assigned contacts",
        "hypothesis": "The new nurture email moves more leads to SQL.", "subject": "email",
        "primary_metric": "sql_rate", "guardrails": GUARDRAILS, "assignment": "recorded",
        "variants": [{"key": "control", "name": "Current email", "is_control": True},
                     {"key": "new-email", "name": "New email"}],
    })  # fmt: skip
    services.experiment_start(actor=actor, experiment_id=experiment.pk)
    contacts = list(
        Contact.objects.for_workspace(workspace)
        .order_by("pk")
        .values_list("pk", "created_at")[:assigned]
    )
    for start in range(0, len(contacts), CHUNK):
        rows = [
            {
                "contact_id": pk,
                "variant": "new-email" if services.bucket(key, pk) >= 0.5 else "control",
                "assigned_at": created.isoformat(),
            }
            for pk, created in contacts[start : start + CHUNK]
        ]
        services.record_assignments(actor=actor, experiment_id=experiment.pk, rows=rows)
    return experiment


def reference_statistics(found: list[Any], metrics: list[str]) -> dict[str, float]:
    """The p-value of each metric's test (treatment against control) with scipy/statsmodels,
    plus the sample-ratio check and Holm's adjustment, from the same arrays."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportions_ztest

    from accord.experiments.outcomes import MEANS

    control, other = found
    p_values: dict[str, float] = {}
    for metric in metrics:
        if metric not in MEANS:
            counts = np.array([other.successes[metric], control.successes[metric]])
            trials = np.array([other.trials[metric], control.trials[metric]])
            if trials.min() == 0 or counts.sum() in (0, trials.sum()):
                continue
            _, p = proportions_ztest(counts, trials)
            p_values[metric] = float(p)
            continue
        y_c, y_t = (np.asarray(o.values[metric], dtype=float) for o in (control, other))
        if min(len(y_c), len(y_t)) < 2:
            continue
        x_c, x_t = (np.asarray(o.before.get(metric, []), dtype=float) for o in (control, other))
        if len(x_c) == len(y_c) and len(x_t) == len(y_t) and (x_c.any() or x_t.any()):
            x, y = np.concatenate([x_c, x_t]), np.concatenate([y_c, y_t])
            theta = np.cov(x, y)[0, 1] / x.var(ddof=1) if x.var(ddof=1) > 0 else 0.0
            y_c, y_t = y_c - theta * (x_c - x.mean()), y_t - theta * (x_t - x.mean())
        p_values[metric] = float(stats.ttest_ind(y_t, y_c, equal_var=False).pvalue)
    counts = [control.assigned, other.assigned]
    p_values["srm"] = float(stats.chisquare(counts).pvalue)
    raw = [p_values[m] for m in metrics if m in p_values]
    if raw:
        multipletests(raw, method="holm")
    return p_values


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--assigned", type=int, default=100_000)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "bench1m"))
    add_json_option(parser)
    args = parser.parse_args()
    bench_environment(args.data_dir)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from large_demo import large_demo

    workspace = large_demo(args.contacts, args.data_dir)
    assigned = min(args.assigned, args.contacts)
    started = time.perf_counter()
    experiment = _experiment(workspace, assigned)
    setup = time.perf_counter() - started
    from accord.experiments import results as results_module
    from accord.experiments.outcomes import outcomes

    read_seconds, found = _median(lambda: outcomes(experiment))
    real_outcomes = results_module.outcomes
    results_module.outcomes = lambda _experiment: found  # the statistics alone
    try:
        stats_seconds, result = _median(lambda: results_module.experiment_results(experiment))
    finally:
        results_module.outcomes = real_outcomes
    end_to_end, _ = _median(lambda: results_module.experiment_results(experiment))
    metrics = [experiment.primary_metric, *experiment.guardrails]
    reference_seconds, reference = _median(lambda: reference_statistics(found, metrics))

    ours = {
        m.metric: c.test.p_value
        for m in result.metrics
        for c in m.comparisons
        if c.test is not None and c.test.p_value is not None
    }
    differences = {m: abs(ours[m] - reference[m]) for m in ours if m in reference}
    worst = max(differences.values(), default=0.0)
    print(
        f"experiment with {sum(o.assigned for o in found):,} assigned contacts "
        f"({', '.join(f'{o.variant.key} {o.assigned:,}' for o in found)}); set up in {setup:.1f} s"
    )
    print(f"cohort outcomes (metrics layer): {read_seconds:.2f} s")
    print(
        f"statistics: Accord {1000 * stats_seconds:.1f} ms | scipy/statsmodels reference "
        f"{1000 * reference_seconds:.1f} ms | ratio {stats_seconds / reference_seconds:.2f}x | "
        f"largest p-value difference {worst:.2g} over {len(differences)} tests"
    )
    print(
        f"results end to end: {end_to_end:.2f} s | reference (the same cohort read + the "
        f"reference statistics) {read_seconds + reference_seconds:.2f} s | ratio "
        f"{end_to_end / (read_seconds + reference_seconds):.2f}x"
    )
    for metric, p in sorted(ours.items()):
        print(f"  {metric:<22} p = {p:.4g} (reference {reference.get(metric, float('nan')):.4g})")
    note = f"largest p-value difference {worst:.2g} over {len(differences)} tests"
    write_json(args.json, "experiment_stats", [
        Figure(f"experiment statistics, {assigned:,} assigned", 1000 * stats_seconds, "ms",
               1000 * reference_seconds, note=note + "; the reference omits Bayesian and "
               "sequential figures"),
        Figure(f"experiment results end to end, {assigned:,} assigned", end_to_end, "s",
               read_seconds + reference_seconds,
               note=f"cohort outcomes {read_seconds:.2f} s of it"),
    ], assigned=assigned, contacts=args.contacts)  # fmt: skip


if __name__ == "__main__":
    main()
