"""How good a score is on held-out contacts: pure numpy/scipy, no Django.

- ROC AUC: the probability that a randomly chosen converter scores higher than a randomly
  chosen non-converter (ties count half); 0.5 is chance, 1.0 a perfect ranking. Computed from
  mid-ranks (the Mann-Whitney statistic).
- DeLong's method (fast form, Sun & Xu 2014) gives the AUC's standard error and, for two
  scores of the same contacts, the covariance of their AUCs, hence an interval for the
  difference without resampling.
- Brier score: the mean squared difference between the predicted probability and the outcome
  (0 or 1); lower is better. Compared with the Brier score of always predicting the training
  base rate.
- Reliability: contacts sorted by predicted probability and cut into ten equal-count bins; per
  bin the mean prediction, the observed conversion rate and its 95% Wilson interval. A
  calibrated model's points lie on the diagonal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from accord.core.intervals import Z95, wilson

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def roc_auc(y: BoolArray, score: FloatArray) -> float:
    """Mann-Whitney AUC with tied scores counted half; NaN unless both classes are present."""
    y = np.asarray(y, dtype=bool)
    positives = int(y.sum())
    negatives = len(y) - positives
    if not positives or not negatives:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def delong_covariance(y: BoolArray, scores: list[FloatArray]) -> tuple[FloatArray, FloatArray]:
    """The AUC of each score and the covariance matrix of those AUCs (DeLong et al. 1988)."""
    y = np.asarray(y, dtype=bool)
    pos = np.array([np.asarray(s)[y] for s in scores], dtype=np.float64)
    neg = np.array([np.asarray(s)[~y] for s in scores], dtype=np.float64)
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        k = len(scores)
        return np.full(k, math.nan), np.full((k, k), math.nan)
    tx = np.array([rankdata(row) for row in pos])
    ty = np.array([rankdata(row) for row in neg])
    tz = np.array([rankdata(np.concatenate([p, q])) for p, q in zip(pos, neg, strict=True)])
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1.0) / (2.0 * n)
    v_pos = (tz[:, :m] - tx) / n  # per converter: share of non-converters it outranks
    v_neg = 1.0 - (tz[:, m:] - ty) / m  # per non-converter: share of converters above it
    cov = np.atleast_2d(np.cov(v_pos)) / m + np.atleast_2d(np.cov(v_neg)) / n
    return aucs, cov


def auc_interval(y: BoolArray, score: FloatArray) -> tuple[float, float]:
    """A 95% interval for the AUC (DeLong standard error, clipped to [0, 1])."""
    aucs, cov = delong_covariance(y, [score])
    if math.isnan(aucs[0]):
        return math.nan, math.nan
    se = math.sqrt(max(float(cov[0, 0]), 0.0))
    return max(0.0, float(aucs[0]) - Z95 * se), min(1.0, float(aucs[0]) + Z95 * se)


def auc_difference(y: BoolArray, a: FloatArray, b: FloatArray) -> tuple[float, float, float]:
    """AUC(a) - AUC(b) on the same contacts, with a 95% DeLong interval."""
    aucs, cov = delong_covariance(y, [a, b])
    diff = float(aucs[0] - aucs[1])
    if math.isnan(diff):
        return math.nan, math.nan, math.nan
    se = math.sqrt(max(float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]), 0.0))
    return diff, diff - Z95 * se, diff + Z95 * se


def brier(y: BoolArray, p: FloatArray) -> float:
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


def log_loss(y: BoolArray, p: FloatArray) -> float:
    clipped = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    yy = np.asarray(y, dtype=np.float64)
    return float(-np.mean(yy * np.log(clipped) + (1 - yy) * np.log(1 - clipped)))


@dataclass(frozen=True)
class ReliabilityBin:
    bin: int  # 1 = lowest predictions
    n: int
    predicted: float  # mean predicted probability
    observed: float  # observed conversion rate
    low: float  # 95% Wilson interval of the observed rate
    high: float


def reliability(y: BoolArray, p: FloatArray, bins: int = 10) -> list[ReliabilityBin]:
    """Predicted against observed conversion per equal-count bin of the predictions."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    out: list[ReliabilityBin] = []
    for i, part in enumerate(np.array_split(order, min(bins, len(order)))):
        if not len(part):
            continue
        hits = int(y[part].sum())
        low, high = wilson(hits, len(part))
        out.append(
            ReliabilityBin(
                bin=i + 1,
                n=len(part),
                predicted=float(p[part].mean()),
                observed=hits / len(part),
                low=low,
                high=high,
            )
        )
    return out


def calibration_error(table: list[ReliabilityBin]) -> float:
    """Expected calibration error: the count-weighted mean |predicted - observed| over bins."""
    total = sum(b.n for b in table)
    if not total:
        return math.nan
    return sum(b.n * abs(b.predicted - b.observed) for b in table) / total
