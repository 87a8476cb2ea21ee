"""Writes the experiment the demo planted (`demo.experiment_plan`): the experiment, its two
variants, and each joined contact's assignment as the marketing tool would have recorded it."""

from __future__ import annotations

import datetime as dt

from accord.demo.experiment_plan import PLANTED
from accord.experiments.models import (
    Assignment,
    AssignmentMethod,
    Experiment,
    ExperimentStatus,
    OutcomeMetric,
    Subject,
    Variant,
)
from accord.identity.models import Membership, Workspace

Member = tuple[int, int, dt.datetime]  # contact id, arm (0 control, 1 treatment), joined at


def plant_demo_experiment(workspace: Workspace, as_of: dt.datetime, members: list[Member]) -> None:
    owners = dict(
        Membership.objects.filter(workspace=workspace, role="manager").values_list(
            "team__kind", "user_id"
        )
    )
    experiment = Experiment.objects.create(
        workspace=workspace,
        key=PLANTED.key,
        name=PLANTED.name,
        hypothesis=PLANTED.hypothesis,
        subject=Subject.CALL_SCRIPT,
        sales_owner_id=owners.get("sales"),
        marketing_owner_id=owners.get("marketing"),
        primary_metric=OutcomeMetric.SQL_RATE,
        guardrails=[OutcomeMetric.ACCEPTANCE_RATE, OutcomeMetric.REVENUE_PER_LEAD],
        planned_days=PLANTED.first_day - PLANTED.last_day,
        assignment=AssignmentMethod.RECORDED,
        status=ExperimentStatus.STOPPED,
        started_at=as_of - dt.timedelta(days=PLANTED.first_day),
        stopped_at=as_of - dt.timedelta(days=PLANTED.last_day),
        created_at=as_of - dt.timedelta(days=PLANTED.first_day + 3),
    )
    control, treatment = Variant.objects.bulk_create(
        [
            Variant(workspace=workspace, experiment=experiment, key="script-a",
                    name=PLANTED.control, is_control=True, weight=1),
            Variant(workspace=workspace, experiment=experiment, key="script-b",
                    name=PLANTED.treatment, weight=1),
        ]
    )  # fmt: skip
    experiment.planned_sample_size = (len(members) // 2) // 100 * 100 or None  # per variant
    experiment.save(update_fields=["planned_sample_size"])
    Assignment.objects.bulk_create(
        (
            Assignment(workspace=workspace, experiment=experiment,
                       variant=treatment if arm else control, contact_id=contact,
                       assigned_at=joined, source=AssignmentMethod.RECORDED)
            for contact, arm, joined in members
        ),
        batch_size=5_000,
    )  # fmt: skip
