"""The predictive score's measures, checked against closed forms and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from accord.definitions.predictive.measures import (
    auc_difference,
    auc_interval,
    brier,
    calibration_error,
    delong_covariance,
    reliability,
    roc_auc,
    wilson,
)


def test_auc_of_a_hand_case() -> None:
    # Pairs (positive, negative): (0.35, 0.1) yes, (0.35, 0.4) no, (0.8, 0.1) yes, (0.8, 0.4) yes.
    y = np.array([False, False, True, True])
    assert roc_auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


def test_tied_scores_count_half() -> None:
    y = np.array([False, True, False, True])
    assert roc_auc(y, np.array([0.5, 0.5, 0.2, 0.9])) == 0.875  # (1 + 0.5 + 1 + 1) / 4


def test_auc_agrees_with_scikit_learn_on_noisy_scores_with_ties() -> None:
    rng = np.random.default_rng(3)
    y = rng.random(500) < 0.2
    score = np.round(y * 0.5 + rng.random(500), 1)  # rounding creates many ties
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_auc_is_undefined_with_one_class() -> None:
    assert math.isnan(roc_auc(np.array([True, True]), np.array([0.1, 0.2])))


def _brute_force_delong_variance(y: np.ndarray, s: np.ndarray) -> float:
    """DeLong's structural components by direct pair comparisons (O(m n))."""
    pos, neg = s[y], s[~y]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))


def test_delong_variance_matches_the_definition() -> None:
    rng = np.random.default_rng(7)
    y = rng.random(120) < 0.3
    s = np.round(y * 0.8 + rng.normal(size=120), 1)
    aucs, cov = delong_covariance(y, [s])
    assert aucs[0] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert cov[0, 0] == pytest.approx(_brute_force_delong_variance(y, s), rel=1e-9)
    low, high = auc_interval(y, s)
    half = 1.959963984540054 * math.sqrt(cov[0, 0])
    assert (low, high) == pytest.approx((aucs[0] - half, aucs[0] + half))


def test_difference_of_a_score_with_itself_is_exactly_zero() -> None:
    rng = np.random.default_rng(1)
    y = rng.random(200) < 0.4
    s = y + rng.normal(size=200)
    diff, low, high = auc_difference(y, s, s)
    assert (diff, low, high) == (0.0, 0.0, 0.0)


def test_a_clearly_better_score_has_an_interval_above_zero() -> None:
    rng = np.random.default_rng(2)
    y = rng.random(2000) < 0.3
    good, noise = y * 2.0 + rng.normal(size=2000), rng.normal(size=2000)
    diff, low, _high = auc_difference(y, good, noise)
    assert diff > 0.3
    assert low > 0


def test_brier_matches_scikit_learn() -> None:
    y = np.array([True, False, True, False])
    p = np.array([0.9, 0.2, 0.4, 0.0])
    assert brier(y, p) == pytest.approx((0.01 + 0.04 + 0.36 + 0.0) / 4)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p))


def test_wilson_interval_of_a_known_case() -> None:
    low, high = wilson(5, 10)  # 0.5 ± 1.96·sqrt(0.25/10 + 1.96²/400) / (1 + 1.96²/10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10)[0] == 0.0


def test_reliability_bins_are_equal_count_and_ordered() -> None:
    p = np.linspace(0.0, 0.99, 100)
    y = np.arange(100) % 10 == 0  # one converter in every ten
    table = reliability(y, p)
    assert [b.n for b in table] == [10] * 10
    assert [b.bin for b in table] == list(range(1, 11))
    assert all(b.observed == 0.1 for b in table)
    assert table[0].predicted == pytest.approx(p[:10].mean())
    assert table[-1].predicted == pytest.approx(p[90:].mean())
    expected = float(np.mean([abs(b.predicted - 0.1) for b in table]))
    assert calibration_error(table) == pytest.approx(expected)
