"""Reads of the predictive score: the active model, its history, and one contact's prediction
with the factors behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from accord.core.errors import NotFound
from accord.definitions.models import ContactPrediction, PredictiveModel
from accord.definitions.predictive.features import (
    FeatureSpec,
    describe,
    feature_label,
    feature_matrix,
    prediction_points,
)
from accord.definitions.predictive.loading import load_table
from accord.definitions.predictive.logistic import LogisticModel, sigmoid, top_factors
from accord.identity.models import Workspace


def active_model(workspace: Workspace | int) -> PredictiveModel | None:
    return PredictiveModel.objects.for_workspace(workspace).filter(active=True).first()


def model_list(workspace: Workspace | int) -> QuerySet[PredictiveModel]:
    return (
        PredictiveModel.objects.for_workspace(workspace)
        .select_related("trained_by")
        .order_by("-version")
    )


@dataclass(frozen=True)
class FactorView:
    feature: str
    label: str  # the feature in words, e.g. "original source = referral"
    description: str  # the contact's value in words, e.g. "original source is referral"
    value: float
    contribution: float  # log-odds, relative to an average training contact


@dataclass(frozen=True)
class PredictionView:
    contact_id: int
    model_version: int
    target: str
    probability: float  # computed now from the active model
    logit: float
    intercept: float
    factors: list[FactorView]
    stored_probability: float | None  # the last written prediction, if any
    stored_at: dt.datetime | None

    @property
    def percent(self) -> float:
        return round(100 * self.probability, 1)


def contact_prediction(
    workspace: Workspace, contact_id: int, *, factors: int = 5, as_of: dt.datetime | None = None
) -> PredictionView:
    """A contact's probability under the active model and its top factors (coefficient x
    standardised value; the intercept plus all factors is the log-odds)."""
    model = active_model(workspace)
    if model is None:
        raise NotFound("This workspace has no predictive model yet; train one first.")
    ids, table = load_table(workspace, contact_ids=[contact_id])
    if not len(ids):
        raise NotFound(f"No contact with id {contact_id} in this workspace.")
    spec = FeatureSpec.from_json(model.parameters)
    logistic = LogisticModel.from_json(model.parameters)
    when = (as_of or timezone.now()).timestamp()
    x = feature_matrix(spec, table, prediction_points(table.created, spec.observation_days, when))
    logit = float(logistic.logit(x)[0])
    stored = (
        ContactPrediction.objects.for_workspace(workspace)
        .filter(contact_id=contact_id)
        .values_list("probability", "computed_at")
        .first()
    )
    days = spec.observation_days
    return PredictionView(
        contact_id=contact_id,
        model_version=model.version,
        target=model.target,
        probability=float(sigmoid(logistic.logit(x))[0]),
        logit=logit,
        intercept=logistic.intercept,
        factors=[
            FactorView(
                feature=f.feature,
                label=feature_label(f.feature, days),
                description=describe(f.feature, f.value, days),
                value=f.value,
                contribution=f.contribution,
            )
            for f in top_factors(logistic, x[0], factors)
        ],
        stored_probability=stored[0] if stored else None,
        stored_at=stored[1] if stored else None,
    )
