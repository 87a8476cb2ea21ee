"""The sample-size calculator behind `GET /api/v1/experiments-sample-size` and `accord
experiment size`: contacts per variant to detect a relative change of a conversion rate, with
each refusal keyed by the parameter to change."""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.errors import ValidationFailed
from accord.experiments.stats.power import SampleSize, sample_size_proportions

# Beyond this no B2B funnel will ever fill a variant: the answer is "too small to detect", not a
# 21-digit number.
MAX_PER_VARIANT = 1_000_000_000


@dataclass(frozen=True)
class SizedExperiment:
    size: SampleSize
    control_rate: float
    treatment_rate: float


def size_for_uplift(
    baseline: float, uplift: float, *, alpha: float = 0.05, power: float = 0.8
) -> SizedExperiment:
    """Contacts per variant for a two-sided two-proportion z-test (pooled) to detect
    baseline -> baseline x (1 + uplift) with the given power at level alpha."""
    if not 0 < alpha < 1:
        raise ValidationFailed.single("alpha", f"alpha must be between 0 and 1, got {alpha:g}.")
    if not alpha < power < 1:
        raise ValidationFailed.single(
            "power",
            f"The power must be above alpha ({alpha:g}) and below 1, got {power:g}: a test "
            "rejects with probability alpha even with no data.",
        )
    if not 0 < baseline < 1:
        raise ValidationFailed.single(
            "baseline", f"The control's rate must be between 0 and 1, got {baseline:g}."
        )
    treatment = baseline * (1 + uplift)
    if not 0 < treatment < 1:
        raise ValidationFailed.single(
            "uplift",
            f"The variant's rate would be {treatment:.3g}: it must stay between 0 and 1.",
        )
    try:
        size = sample_size_proportions(baseline, treatment, alpha=alpha, power=power)
    except ValueError as exc:  # the two rates are equal: no change to detect
        message = str(exc)
        raise ValidationFailed.single("uplift", f"{message[:1].upper()}{message[1:]}.") from exc
    if size.per_arm > MAX_PER_VARIANT:
        raise ValidationFailed.single(
            "uplift",
            f"The uplift is too small to detect: it would take more than {MAX_PER_VARIANT:,} "
            "contacts per variant. Test a larger change.",
        )
    return SizedExperiment(size, baseline, treatment)
