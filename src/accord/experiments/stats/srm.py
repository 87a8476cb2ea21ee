r"""Sample-ratio mismatch: did the variants get the traffic they were planned to get?

A split that was meant to be 50/50 and came out 52/48 over many thousand leads points to a
bug (a redirect losing visitors, a bot filter, a routing rule that skips some leads), and a
broken split biases every comparison. Pearson's chi-square goodness-of-fit test of the
observed counts :math:`O_i` against the expected :math:`E_i = N w_i / \sum_j w_j`:

.. math:: \chi^2 = \sum_i \frac{(O_i - E_i)^2}{E_i}, \qquad k - 1 \text{ degrees of freedom}

A mismatch is flagged when p < 0.001 by default: the check runs on every experiment at every
look, so a strict threshold keeps false alarms rare, and real mismatches are usually
extreme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from accord.experiments.stats._common import Status, check_count, check_open_unit, check_positive

DEFAULT_THRESHOLD = 0.001
MIN_SHARE = 1e-6  # a variant planned to get less than a millionth of the traffic is a typo


@dataclass(frozen=True)
class SampleRatioCheck:
    """Observed against expected counts per variant, in the order given."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi_square: float | None
    degrees_of_freedom: int
    p_value: float | None
    mismatch: bool | None
    threshold: float
    status: Status
    reason: str | None


def sample_ratio_mismatch(
    observed: Sequence[int],
    weights: Sequence[float] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> SampleRatioCheck:
    """Chi-square test of the counts per variant against the planned allocation weights
    (equal weights when None; weights need not sum to 1)."""
    if isinstance(observed, str | bytes) or not isinstance(observed, Sequence):
        raise ValueError("observed must be a sequence of counts, one per variant")
    counts = tuple(check_count(count, f"observed count {i}") for i, count in enumerate(observed))
    if len(counts) < 2:
        raise ValueError(f"a sample-ratio check needs at least 2 variants, got {len(counts)}")
    if weights is None:
        planned = (1.0,) * len(counts)
    else:
        if isinstance(weights, str | bytes) or not isinstance(weights, Sequence):
            raise ValueError("weights must be a sequence of numbers, one per variant")
        planned = tuple(check_positive(w, f"weight {i}") for i, w in enumerate(weights))
        if len(planned) != len(counts):
            raise ValueError(f"{len(counts)} observed counts but {len(planned)} weights")
    threshold = check_open_unit(threshold, "threshold")

    weight_sum = sum(planned)
    if min(planned) < MIN_SHARE * weight_sum:
        raise ValueError("every variant's weight must be at least a millionth of the weights' sum")

    total = sum(counts)
    expected = tuple(total * w / weight_sum for w in planned)
    df = len(counts) - 1
    if total == 0:
        return SampleRatioCheck(
            observed=counts,
            expected=expected,
            chi_square=None,
            degrees_of_freedom=df,
            p_value=None,
            mismatch=None,
            threshold=threshold,
            status="insufficient",
            reason="not enough data: no variant has any traffic yet",
        )
    chi_square = sum((o - e) ** 2 / e for o, e in zip(counts, expected, strict=True))
    p_value = min(max(float(stats.chi2.sf(chi_square, df)), 0.0), 1.0)
    return SampleRatioCheck(
        observed=counts,
        expected=expected,
        chi_square=chi_square,
        degrees_of_freedom=df,
        p_value=p_value,
        mismatch=p_value < threshold,
        threshold=threshold,
        status="ok",
        reason=None,
    )
