"""A standardised, L2-regularised logistic regression: fitted with scikit-learn, stored as
plain JSON (feature names, means, scales, coefficients, intercept — never a pickle) and scored
from that JSON with numpy alone. No Django.

Classes are not re-weighted (``class_weight=None``): re-weighting would shift every
probability towards the rarer class, and the score is meant to be read as a probability.

A contact's *factors* are coefficient x standardised value, one per feature: how far each
feature moves its log-odds away from those of an average training contact. The intercept plus
all factors is exactly the contact's log-odds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LogisticModel:
    features: list[str]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float
    c: float

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [float(x) for x in self.mean],
            "scale": [float(x) for x in self.scale],
            "coef": [float(x) for x in self.coef],
            "intercept": float(self.intercept),
            "C": float(self.c),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogisticModel:
        features = [str(f) for f in data["features"]]
        mean, scale, coef = (
            np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")
        )
        if any(a.shape != (len(features),) for a in (mean, scale, coef)):
            raise ValueError("mean, scale and coef must have one value per feature")
        return cls(
            features, mean, scale, coef, intercept=float(data["intercept"]), c=float(data["C"])
        )

    def standardise(self, x: FloatArray) -> FloatArray:
        return np.asarray((x - self.mean) / self.scale, dtype=np.float64)

    def contributions(self, x: FloatArray) -> FloatArray:
        """Coefficient x standardised value per contact (rows) and feature (columns)."""
        return self.standardise(x) * self.coef

    def logit(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.standardise(x) @ self.coef + self.intercept, dtype=np.float64)

    def probability(self, x: FloatArray) -> FloatArray:
        return sigmoid(self.logit(x))


def sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)


def scaling(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Column means and standard deviations; a constant column gets scale 1 (its standardised
    value is 0 for every training contact, so it cannot move anyone's score)."""
    mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    scale = x.std(axis=0) if len(x) else np.ones(x.shape[1])
    return mean, np.where(scale > 1e-12, scale, 1.0)


def fit_logistic(
    x: FloatArray, y: npt.NDArray[np.bool_], features: list[str], c: float
) -> LogisticModel:
    """Fit on standardised columns with L2 penalty strength 1/c (lbfgs, unweighted classes)."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    mean, scale = scaling(x)
    z = (x - mean) / scale
    # One BLAS thread: the problem is small, and on a busy machine multi-threaded BLAS made
    # each fit ~10x slower (measured on 2 cores, see docs/benchmarks.md).
    with threadpool_limits(limits=1):
        fitted = LogisticRegression(C=c, max_iter=5000, tol=1e-8).fit(z, y.astype(np.int64))
    return LogisticModel(
        features=list(features),
        mean=mean,
        scale=scale,
        coef=np.asarray(fitted.coef_[0], dtype=np.float64),
        intercept=float(fitted.intercept_[0]),
        c=c,
    )


@dataclass(frozen=True)
class Factor:
    feature: str
    value: float  # the contact's raw value of the feature
    contribution: float  # coefficient x standardised value, in log-odds


def top_factors(model: LogisticModel, x_row: FloatArray, k: int = 5) -> list[Factor]:
    """The `k` factors that move this contact's log-odds most, largest magnitude first."""
    contributions = model.contributions(x_row.reshape(1, -1))[0]
    order = np.argsort(-np.abs(contributions), kind="stable")[:k]
    return [
        Factor(model.features[i], float(x_row[i]), float(contributions[i]))
        for i in order
        if contributions[i] != 0.0
    ]


def top_coefficients(model: LogisticModel, k: int = 10) -> list[tuple[str, float]]:
    """The `k` largest coefficients by magnitude (per standard deviation of their feature)."""
    order = np.argsort(-np.abs(model.coef), kind="stable")[:k]
    return [(model.features[i], float(model.coef[i])) for i in order if abs(model.coef[i]) >= 5e-5]
