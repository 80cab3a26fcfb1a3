"""Old import path of :mod:`oxignite.metrics.regression.mean_normalized_bias` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.mean_normalized_bias import MeanNormalizedBias

warn_moved(__file__, "oxignite/metrics/regression/mean_normalized_bias.py")

__all__ = ["MeanNormalizedBias"]
