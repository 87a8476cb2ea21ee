"""The experiment the demo plants, with its true effect, so that the experiment results can be
checked against the truth: sales tried a new discovery-call script on half of the leads created
in a three-month window; the script raises the chance that an accepted lead becomes an SQL by
a known factor. The arm of each contact is drawn from its own random stream (not the funnel's),
so planting the experiment leaves every other draw of the demo unchanged. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86_400.0


@dataclass(frozen=True)
class PlantedExperiment:
    key: str
    name: str
    hypothesis: str
    control: str
    treatment: str
    first_day: int  # days before the demo's end when contacts start to join
    last_day: int  # days before the end when they stop (their outcomes have time to happen)
    treatment_share: float
    sal_to_sql_factor: float  # the treatment's SAL -> SQL rate is the control's times this


PLANTED = PlantedExperiment(
    key="discovery-script-b",
    name="Discovery call script B",
    hypothesis="Opening discovery calls with the buyer's reporting pains (script B) turns more "
    "accepted leads into SQLs than the product tour (script A).",
    control="Script A: product tour",
    treatment="Script B: reporting pains first",
    first_day=200,
    last_day=80,
    treatment_share=0.5,
    sal_to_sql_factor=1.5,
)


def arms(seed: int, start: int, created: np.ndarray, now: float,
         plan: PlantedExperiment = PLANTED) -> np.ndarray:  # fmt: skip
    """Per contact of a chunk starting at population index `start`: -1 outside the experiment,
    0 control, 1 treatment. `created` and `now` are seconds since the demo's origin."""
    rng = np.random.default_rng([seed, 7, start])
    inside = (created >= now - plan.first_day * DAY) & (created < now - plan.last_day * DAY)
    treated = rng.random(len(created)) < plan.treatment_share
    return np.where(inside, treated.astype(np.int64), -1)


def sql_factor(arm: np.ndarray, plan: PlantedExperiment = PLANTED) -> np.ndarray:
    return np.where(arm == 1, plan.sal_to_sql_factor, 1.0)
