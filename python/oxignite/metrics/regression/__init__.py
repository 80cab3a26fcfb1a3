"""pytorch-ignite's regression metrics: ``from oxignite.metrics.regression import R2Score``."""

from oxignite.metrics.regression.canberra_metric import CanberraMetric
from oxignite.metrics.regression.fractional_absolute_error import FractionalAbsoluteError
from oxignite.metrics.regression.fractional_bias import FractionalBias
from oxignite.metrics.regression.geometric_mean_absolute_error import GeometricMeanAbsoluteError
from oxignite.metrics.regression.geometric_mean_relative_absolute_error import (
    GeometricMeanRelativeAbsoluteError,
)
from oxignite.metrics.regression.kendall_correlation import KendallRankCorrelation
from oxignite.metrics.regression.manhattan_distance import ManhattanDistance
from oxignite.metrics.regression.maximum_absolute_error import MaximumAbsoluteError
from oxignite.metrics.regression.mean_absolute_relative_error import MeanAbsoluteRelativeError
from oxignite.metrics.regression.mean_error import MeanError
from oxignite.metrics.regression.mean_normalized_bias import MeanNormalizedBias
from oxignite.metrics.regression.median_absolute_error import MedianAbsoluteError
from oxignite.metrics.regression.median_absolute_percentage_error import (
    MedianAbsolutePercentageError,
)
from oxignite.metrics.regression.median_relative_absolute_error import MedianRelativeAbsoluteError
from oxignite.metrics.regression.pearson_correlation import PearsonCorrelation
from oxignite.metrics.regression.r2_score import R2Score
from oxignite.metrics.regression.spearman_correlation import SpearmanRankCorrelation
from oxignite.metrics.regression.wave_hedges_distance import WaveHedgesDistance

__all__ = [
    "CanberraMetric",
    "FractionalAbsoluteError",
    "FractionalBias",
    "GeometricMeanAbsoluteError",
    "GeometricMeanRelativeAbsoluteError",
    "KendallRankCorrelation",
    "ManhattanDistance",
    "MaximumAbsoluteError",
    "MeanAbsoluteRelativeError",
    "MeanError",
    "MeanNormalizedBias",
    "MedianAbsoluteError",
    "MedianAbsolutePercentageError",
    "MedianRelativeAbsoluteError",
    "PearsonCorrelation",
    "R2Score",
    "SpearmanRankCorrelation",
    "WaveHedgesDistance",
]
