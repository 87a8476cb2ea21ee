r"""Adjusted p-values for several comparisons at once (several variants against the control,
or one experiment judged on several metrics), returned in the order given.

With the m p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`:

- **Holm** (controls the family-wise error rate, the chance of any false positive):
  :math:`\tilde p_{(i)} = \max_{j \le i} \min\bigl(1, (m - j + 1)\,p_{(j)}\bigr)`;
- **Benjamini-Hochberg** (controls the false discovery rate, the expected share of false
  positives among the findings; for independent or positively dependent tests):
  :math:`\tilde p_{(i)} = \min_{j \ge i} \min\bigl(1, \tfrac{m}{j}\,p_{(j)}\bigr)`.

Compare an adjusted p-value with alpha as one would a raw one. Ties keep their input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from accord.experiments.stats._common import check_finite

Correction = Literal["holm", "benjamini-hochberg"]


def holm(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm's step-down adjusted p-values (family-wise error rate)."""
    p = _checked(p_values)
    if p.size == 0:
        return ()
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = np.minimum((m - np.arange(m)) * p[order], 1.0)
    # step-down: an adjusted p-value is never below the one of a smaller raw p-value
    return _in_input_order(np.maximum.accumulate(scaled), order)


def benjamini_hochberg(p_values: Sequence[float]) -> tuple[float, ...]:
    """Benjamini-Hochberg step-up adjusted p-values (false discovery rate)."""
    p = _checked(p_values)
    if p.size == 0:
        return ()
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = np.minimum(m / np.arange(1, m + 1) * p[order], 1.0)
    # step-up: the minimum over this and every larger raw p-value
    return _in_input_order(np.minimum.accumulate(scaled[::-1])[::-1], order)


def adjust_p_values(p_values: Sequence[float], method: Correction) -> tuple[float, ...]:
    """Holm or Benjamini-Hochberg, by name."""
    if method == "holm":
        return holm(p_values)
    if method == "benjamini-hochberg":
        return benjamini_hochberg(p_values)
    raise ValueError(f"method must be 'holm' or 'benjamini-hochberg', got {method!r}")


def _checked(p_values: Sequence[float]) -> np.ndarray:
    if isinstance(p_values, str | bytes) or not isinstance(p_values, Sequence | np.ndarray):
        raise ValueError("p_values must be a sequence of numbers")
    values = [check_finite(p, f"p-value {i}") for i, p in enumerate(p_values)]
    for i, p in enumerate(values):
        if not 0 <= p <= 1:
            raise ValueError(f"p-value {i} must be between 0 and 1, got {p!r}")
    return np.array(values, dtype=float)


def _in_input_order(adjusted_sorted: np.ndarray, order: np.ndarray) -> tuple[float, ...]:
    adjusted = np.empty_like(adjusted_sorted)
    adjusted[order] = adjusted_sorted
    return tuple(float(value) for value in adjusted)
