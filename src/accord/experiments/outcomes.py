"""What happened to each variant's contacts after they joined the experiment, metric by
metric: the metrics layer's cohort outcomes (`metrics.cohorts`, where each outcome is defined)
gathered per variant for the statistics.

- rates (conversion to MQL / SAL / SQL / won, acceptance): successes over the contacts counted
  (acceptance counts only contacts whose first handoff since joining was decided);
- means (pipeline / revenue per lead over every assigned contact, 0 for one with no deal;
  hours to first touch over the touched contacts), with the same contacts' amounts before
  joining as the CUPED covariate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.experiments.models import Experiment, Variant
from accord.metrics.cohorts import REACHED, MemberOutcome, cohort_outcomes

RATES = ("mql_rate", "sal_rate", "sql_rate", "won_rate", "acceptance_rate")
MEANS = ("pipeline_per_lead", "revenue_per_lead", "hours_to_first_touch")


@dataclass
class VariantOutcome:
    variant: Variant
    assigned: int = 0
    successes: dict[str, int] = field(default_factory=dict)  # rate metric -> contacts
    trials: dict[str, int] = field(default_factory=dict)  # rate metric -> contacts counted
    values: dict[str, list[float]] = field(default_factory=dict)  # mean metric -> per contact
    # The same contacts' values before they joined (a CUPED covariate), aligned with `values`.
    before: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for metric in RATES:
            self.successes[metric] = self.trials[metric] = 0
        for metric in MEANS:
            self.values[metric], self.before[metric] = [], []

    def add(self, member: MemberOutcome) -> None:
        self.assigned += 1
        for metric in REACHED:
            self._count(metric, member.reached(metric))
        self._count("won_rate", member.won)
        if member.handoff_decided:
            self._count("acceptance_rate", member.handoff_status == "accepted")
        for metric, after, before in (
            ("pipeline_per_lead", member.pipeline, member.pipeline_before),
            ("revenue_per_lead", member.revenue, member.revenue_before),
        ):
            self.values[metric].append(float(after))
            self.before[metric].append(float(before))
        if member.hours_to_first_touch is not None:
            self.values["hours_to_first_touch"].append(member.hours_to_first_touch)

    def _count(self, metric: str, success: bool) -> None:
        self.trials[metric] += 1
        self.successes[metric] += int(success)


def outcomes(experiment: Experiment) -> list[VariantOutcome]:
    """Per variant (the control first), every metric's raw outcome."""
    variants = sorted(experiment.variants.all(), key=lambda v: (not v.is_control, v.pk))
    by_id = {v.pk: VariantOutcome(v) for v in variants}
    for member in cohort_outcomes(experiment.workspace_id, "experiment", experiment.pk):
        by_id[member.group].add(member)
    return list(by_id.values())
