"""The statistics of experiments: frequentist tests of rates and means, Bayesian chance to
beat control, always-valid sequential p-values, sample-ratio mismatch, multiple-comparison
corrections, power and sample size, and CUPED. Plain Python, numpy and scipy; no Django.

Differences are always treatment - control. Results are frozen dataclasses; where the data
cannot support a number (no traffic, no conversions, no variance), that field is None and
``status``/``reason`` say why — never NaN or infinity. Invalid input raises ValueError.
"""

from accord.experiments.stats._common import Alternative, Interval, Status
from accord.experiments.stats.bayes import (
    BayesianMeanComparison,
    BayesianProportionComparison,
    BetaPosterior,
    bayesian_means,
    bayesian_proportions,
    beta_posterior,
    chance_to_beat,
    expected_loss_of_treatment,
)
from accord.experiments.stats.corrections import (
    Correction,
    adjust_p_values,
    benjamini_hochberg,
    holm,
)
from accord.experiments.stats.cuped import CupedAdjustment, cuped, cuped_theta
from accord.experiments.stats.means import (
    MeanComparison,
    SampleSummary,
    compare_means,
    compare_samples,
    summarise,
)
from accord.experiments.stats.power import (
    SampleSize,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from accord.experiments.stats.proportions import ProportionComparison, compare_proportions
from accord.experiments.stats.sequential import (
    MeanLook,
    ProportionLook,
    SequentialResult,
    always_valid_p_value,
    always_valid_p_values,
    sequential_means,
    sequential_proportions,
    tau_for_effect,
)
from accord.experiments.stats.srm import SampleRatioCheck, sample_ratio_mismatch

__all__ = [
    "Alternative",
    "BayesianMeanComparison",
    "BayesianProportionComparison",
    "BetaPosterior",
    "Correction",
    "CupedAdjustment",
    "Interval",
    "MeanComparison",
    "MeanLook",
    "ProportionComparison",
    "ProportionLook",
    "SampleRatioCheck",
    "SampleSize",
    "SampleSummary",
    "SequentialResult",
    "Status",
    "adjust_p_values",
    "always_valid_p_value",
    "always_valid_p_values",
    "bayesian_means",
    "bayesian_proportions",
    "benjamini_hochberg",
    "beta_posterior",
    "chance_to_beat",
    "compare_means",
    "compare_proportions",
    "compare_samples",
    "cuped",
    "cuped_theta",
    "expected_loss_of_treatment",
    "holm",
    "power_means",
    "power_proportions",
    "sample_ratio_mismatch",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_means",
    "sequential_proportions",
    "summarise",
    "tau_for_effect",
]
