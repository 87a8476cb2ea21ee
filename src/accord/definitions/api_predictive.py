"""REST endpoints of the predictive score: the active model and what it measured, training a
new version, and one contact's predicted probability with the factors behind it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.errors import ErrorOut
from accord.api.schemas import InSchema, RecordId
from accord.core.errors import NotFound
from accord.definitions.models import PredictiveModel
from accord.definitions.predictive import selectors
from accord.definitions.predictive.services import predictive_train
from accord.definitions.predictive.tasks import train_predictive_model
from accord.identity.permissions import Action

router = Router()


class PredictiveModelOut(Schema):
    id: int
    version: int
    target: str
    active: bool
    trained_at: dt.datetime
    trained_by_id: int | None
    metrics: dict[str, Any] = Field(
        description="Measured on the later (test) contacts: auc, auc_ci, rule_auc, brier, "
        "brier_base_rate, reliability, base rates, counts, top_coefficients, verdict."
    )
    parameters: dict[str, Any] = Field(
        description="The model as plain JSON: features, mean, scale, coef, intercept, levels."
    )


class TrainIn(InSchema):
    target: Literal["sql", "opportunity", "customer"] = "sql"
    observation_days: float = Field(default=7.0, description="Engagement window after creation.")
    outcome_days: float = Field(default=90.0, description="Conversion window after creation.")
    queue: bool = Field(default=False, description="Leave the training to `accord worker`.")


class QueuedOut(Schema):
    queued: bool


class FactorOut(Schema):
    feature: str
    label: str
    description: str
    value: float
    contribution: float = Field(description="Log-odds against an average training contact.")


class PredictionOut(Schema):
    contact_id: int
    model_version: int
    target: str
    probability: float
    percent: float
    logit: float
    intercept: float
    factors: list[FactorOut]
    stored_probability: float | None
    stored_at: dt.datetime | None


def _model(model: PredictiveModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in PredictiveModelOut.model_fields}


@router.get(
    "/predictive-model",
    response={200: PredictiveModelOut, 404: ErrorOut},
    tags=["definitions"],
)
def get_predictive_model(request: HttpRequest) -> dict[str, Any]:
    """The active predictive model: test AUC beside the rule score's AUC, Brier score,
    reliability per decile, top coefficients and the verdict (404 before the first training)."""
    model = selectors.active_model(request_membership(request).workspace)
    if model is None:
        raise NotFound("This workspace has no predictive model yet; train one first.")
    return _model(model)


@router.post(
    "/predictive-model/train",
    response={201: PredictiveModelOut, 202: QueuedOut},
    tags=["definitions"],
)
def train_predictive(request: HttpRequest, payload: TrainIn) -> Status[Any]:
    """Train a new version on the workspace's history and score every contact (409 when the
    history is too short, nothing written). With `queue`, the worker trains it (202)."""
    actor = request_actor(request)
    actor.require(Action.EDIT_DEFINITIONS)
    if payload.queue:
        train_predictive_model.enqueue(actor.workspace.pk, actor.user.pk if actor.user else None)
        return Status(202, {"queued": True})
    model = predictive_train(
        actor,
        target=payload.target,
        observation_days=payload.observation_days,
        outcome_days=payload.outcome_days,
    )
    return Status(201, _model(model))


@router.get("/contacts/{contact_id}/prediction", response=PredictionOut, tags=["definitions"])
def get_contact_prediction(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """A contact's predicted probability of converting under the active model, with the
    factors that move it most (coefficient x standardised value)."""
    view = selectors.contact_prediction(request_membership(request).workspace, contact_id)
    return {
        "contact_id": view.contact_id,
        "model_version": view.model_version,
        "target": view.target,
        "probability": view.probability,
        "percent": view.percent,
        "logit": view.logit,
        "intercept": view.intercept,
        "factors": [vars(f) for f in view.factors],
        "stored_probability": view.stored_probability,
        "stored_at": view.stored_at,
    }
