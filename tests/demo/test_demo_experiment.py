"""The experiment the demo plants is found: on the demo data, script B's conversion to SQL is
better than the control's, with an interval that covers the true effect the generator used."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.demo.experiment_plan import PLANTED
from accord.demo.parameters import DEFAULT_PARAMETERS as P
from accord.experiments.models import Experiment
from accord.experiments.results import experiment_results

SEED = 29
CONTACTS = 12_000
# A 95 % interval misses the truth one time in twenty; a fixed end date makes this a fixed case.
AS_OF = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def true_uplift() -> float:
    """The generator's expected SQL rate of the treatment over the control's, minus 1: each
    channel's share of new contacts times its chance to reach SAL, times its SAL -> SQL rate
    (raised by the factor, capped at certainty)."""
    treated = control = 0.0
    for c in P.channels:
        reach_sal = c.lead_share * c.lead_to_mql * c.mql_to_sal
        control += reach_sal * c.sal_to_sql
        treated += reach_sal * min(1.0, c.sal_to_sql * PLANTED.sal_to_sql_factor)
    return treated / control - 1


def test_the_planted_experiment_is_found(demo, settings: Any, tmp_path: Any) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    experiment = Experiment.objects.for_workspace(demo.dataset.workspace).get(key=PLANTED.key)
    results = experiment_results(experiment)
    primary = results.metrics[0]
    assert primary.metric == "sql_rate" and primary.role == "primary"
    (comparison,) = primary.comparisons
    assert comparison.variant == "script-b" and comparison.verdict == "better"
    test = comparison.test
    assert test is not None and test.relative_uplift is not None
    assert test.relative_uplift > 0  # the right sign
    interval = test.relative_uplift_interval
    truth = true_uplift()
    assert interval is not None and interval.lower <= truth <= interval.upper, (interval, truth)
    # Both arms drew from the same population: about half each, no sample-ratio warning.
    counts = list(results.assigned.values())
    assert min(counts) / max(counts) > 0.9
    assert "reporting pains" in results.reading
