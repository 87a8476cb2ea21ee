"""REST endpoints of experiments: the registry, starting, stopping and concluding, contacts'
assignments (recorded by the marketing tool) and exposures, the live results and the learnings
log. The documents are `experiments.presentation`'s, the same the CLI prints as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.schemas import InSchema
from accord.experiments import services
from accord.experiments.presentation import (
    experiment_document,
    learning_document,
    quarterly_summary,
    results_document,
)
from accord.experiments.results import experiment_results
from accord.experiments.sample_size import size_for_uplift
from accord.experiments.selectors import experiment_by_key, experiments_of

router = Router(tags=["experiments"])


class VariantIn(InSchema):
    key: str
    name: str
    is_control: bool = False
    weight: int = 1
    description: str = ""


class ExperimentPatch(InSchema):
    key: str | None = Field(None, description="Lower-case letters, digits, hyphens; fixed once "
                            "started.")  # fmt: skip
    name: str | None = None
    hypothesis: str | None = None
    subject: str | None = Field(
        None,
        description="landing_page, email, offer, channel, routing_rule, follow_up_cadence, "
        "call_script or other.",
    )
    marketing_owner_id: int | None = None
    sales_owner_id: int | None = None
    primary_metric: str | None = Field(None, description="mql_rate, sal_rate, sql_rate, "
                                       "won_rate, acceptance_rate, pipeline_per_lead, "
                                       "revenue_per_lead or hours_to_first_touch.")  # fmt: skip
    guardrails: list[str] | None = None
    planned_sample_size: int | None = Field(None, description="Contacts per variant.")
    planned_days: int | None = None
    assignment: str | None = Field(None, description="hash (Accord assigns) or recorded.")
    variants: list[VariantIn] | None = Field(None, description="2 to 10, one the control.")


class ExperimentIn(ExperimentPatch):
    key: str
    name: str
    hypothesis: str
    subject: str
    primary_metric: str
    variants: list[VariantIn]


class VariantOut(Schema):
    key: str
    name: str
    is_control: bool
    weight: int
    description: str


class LearningOut(Schema):
    outcome: str
    decision: str
    result: str
    learned: str
    recorded_at: dt.datetime


class ExperimentOut(Schema):
    id: int
    key: str
    name: str
    hypothesis: str
    subject: str
    status: str
    marketing_owner_id: int | None
    sales_owner_id: int | None
    primary_metric: str
    guardrails: list[str]
    planned_sample_size: int | None
    planned_days: int | None
    assignment: str
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    metric_changes: list[dict[str, Any]]
    variants: list[VariantOut]
    learning: LearningOut | None


class ExperimentList(Schema):
    results: list[ExperimentOut]


@router.get("/experiments", response=ExperimentList)
def list_experiments(request: HttpRequest) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    return {"results": [experiment_document(e) for e in experiments_of(workspace)]}


@router.post("/experiments", response={201: ExperimentOut})
def create_experiment(request: HttpRequest, payload: ExperimentIn) -> Status[Any]:
    """Register an experiment with its variants (a draft until started)."""
    actor = request_actor(request)
    experiment = services.experiment_create(actor=actor, values=payload.to_values())
    return Status(201, experiment_document(experiment_by_key(actor.workspace, experiment.key)))


@router.get("/experiments/{key}", response=ExperimentOut)
def get_experiment(request: HttpRequest, key: str) -> dict[str, Any]:
    return experiment_document(experiment_by_key(request_membership(request).workspace, key))


@router.patch("/experiments/{key}", response=ExperimentOut)
def update_experiment(request: HttpRequest, key: str, payload: ExperimentPatch) -> dict[str, Any]:
    """A draft changes freely; once started its key, variants and assignment are fixed, and a
    change of metrics is kept and flagged in the results. Once concluded, only the name and
    the owners change: anything else is a 409 naming each field."""
    actor = request_actor(request)
    experiment = services.experiment_update(
        actor=actor,
        experiment_id=experiment_by_key(actor.workspace, key).pk,
        values=payload.to_values(),
    )
    return experiment_document(
        experiment_by_key(actor.workspace, experiment.key)
    )  # the key may change


@router.post("/experiments/{key}/start", response=ExperimentOut)
def start_experiment(request: HttpRequest, key: str) -> dict[str, Any]:
    actor = request_actor(request)
    services.experiment_start(actor=actor, experiment_id=experiment_by_key(actor.workspace, key).pk)
    return experiment_document(experiment_by_key(actor.workspace, key))


@router.post("/experiments/{key}/stop", response=ExperimentOut)
def stop_experiment(request: HttpRequest, key: str) -> dict[str, Any]:
    actor = request_actor(request)
    services.experiment_stop(actor=actor, experiment_id=experiment_by_key(actor.workspace, key).pk)
    return experiment_document(experiment_by_key(actor.workspace, key))


class LearningIn(InSchema):
    outcome: str = Field(description="won, lost or inconclusive.")
    decision: str
    result: str
    learned: str


@router.post("/experiments/{key}/conclude", response=LearningOut)
def conclude_experiment(request: HttpRequest, key: str, payload: LearningIn) -> dict[str, Any]:
    """Record the decision, the result and what was learned — losses too. A conclusion is
    final: concluding again is a 409 saying when and how it was concluded."""
    actor = request_actor(request)
    learning = services.experiment_conclude(
        actor=actor, experiment_id=experiment_by_key(actor.workspace, key).pk,
        values=payload.to_values(),
    )  # fmt: skip
    return learning_document(learning)


class AssignmentIn(InSchema):
    contact_id: int
    variant: str = Field(description="The variant's key.")
    assigned_at: dt.datetime | None = None


class AssignmentsIn(InSchema):
    assignments: list[AssignmentIn] = Field(max_length=10_000)


class AssignmentsOut(Schema):
    recorded: int
    unchanged: int


@router.post("/experiments/{key}/assignments", response=AssignmentsOut)
def record_assignments(request: HttpRequest, key: str, payload: AssignmentsIn) -> dict[str, int]:
    """Variants the marketing tool gave contacts; repeating one changes nothing, moving a
    contact to another variant is refused, and so is an `assigned_at` before the start or
    later than now (5 minutes of clock skew allowed). All rows or none."""
    actor = request_actor(request)
    rows = [a.model_dump() for a in payload.assignments]
    return services.record_assignments(
        actor=actor, experiment_id=experiment_by_key(actor.workspace, key).pk, rows=rows
    )


class ExposureIn(InSchema):
    contact_id: int


class ExposureOut(Schema):
    contact_id: int
    variant: str
    exposures: int
    exposed_at: dt.datetime | None


@router.post("/experiments/{key}/exposures", response=ExposureOut)
def record_exposure(request: HttpRequest, key: str, payload: ExposureIn) -> dict[str, Any]:
    actor = request_actor(request)
    assignment = services.record_exposure(
        actor=actor, experiment_id=experiment_by_key(actor.workspace, key).pk,
        contact_id=payload.contact_id,
    )  # fmt: skip
    return {"contact_id": assignment.contact_id, "variant": assignment.variant.key,
            "exposures": assignment.exposures, "exposed_at": assignment.exposed_at}  # fmt: skip


@router.get("/experiments/{key}/results")
def get_results(request: HttpRequest, key: str) -> dict[str, Any]:
    """Each variant against the control on the primary metric and the guardrails, with
    intervals, adjusted p-values, warnings and a plain-language reading. The verdicts rest on
    the always-valid p-value while the experiment runs, on the fixed-horizon one once it has
    stopped (`verdict_basis`)."""
    workspace = request_membership(request).workspace
    return results_document(experiment_results(experiment_by_key(workspace, key)))


class QuarterOut(Schema):
    quarter: str
    run: int
    won: int
    lost: int
    inconclusive: int
    open: int


class LearningsOut(Schema):
    quarters: list[QuarterOut]
    experiments: list[ExperimentOut]


@router.get("/experiments-learnings", response=LearningsOut)
def get_learnings(request: HttpRequest) -> dict[str, Any]:
    """The learnings log: concluded experiments, won and lost side by side, and each
    quarter's tests run / won / lost / inconclusive."""
    experiments = list(experiments_of(request_membership(request).workspace))
    return {
        "quarters": quarterly_summary(experiments),
        "experiments": [
            experiment_document(e) for e in experiments if getattr(e, "learning", None) is not None
        ],
    }


class SampleSizeParams(Schema):
    baseline: float = Field(gt=0, lt=1, description="The control's conversion rate, e.g. 0.12.")
    uplift: float = Field(gt=-1, description="The relative change worth finding, e.g. 0.2.")
    alpha: float = Field(0.05, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1)


class SampleSizeOut(Schema):
    per_variant: int
    total_for_two: int
    control_rate: float
    treatment_rate: float
    alpha: float
    power: float


@router.get("/experiments-sample-size", response=SampleSizeOut)
def get_sample_size(request: HttpRequest, params: Query[SampleSizeParams]) -> dict[str, Any]:
    """Contacts per variant to detect a relative change of a conversion rate (two-sided
    two-proportion z-test), before an experiment starts. A power not above alpha, or an uplift
    too small to detect with under a billion contacts per variant, is refused."""
    request_membership(request)
    sized = size_for_uplift(params.baseline, params.uplift, alpha=params.alpha,
                            power=params.power)  # fmt: skip
    return {"per_variant": sized.size.per_arm, "total_for_two": sized.size.total,
            "control_rate": sized.control_rate, "treatment_rate": sized.treatment_rate,
            "alpha": params.alpha, "power": params.power}  # fmt: skip
