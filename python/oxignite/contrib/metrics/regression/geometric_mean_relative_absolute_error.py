"""Old import path of :mod:`oxignite.metrics.regression.geometric_mean_relative_absolute_error` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.geometric_mean_relative_absolute_error import (
    GeometricMeanRelativeAbsoluteError,
)

warn_moved(__file__, "oxignite/metrics/regression/geometric_mean_relative_absolute_error.py")

__all__ = ["GeometricMeanRelativeAbsoluteError"]
