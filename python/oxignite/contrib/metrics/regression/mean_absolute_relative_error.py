"""Old import path of :mod:`oxignite.metrics.regression.mean_absolute_relative_error` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.mean_absolute_relative_error import MeanAbsoluteRelativeError

warn_moved(__file__, "oxignite/metrics/regression/mean_absolute_relative_error.py")

__all__ = ["MeanAbsoluteRelativeError"]
