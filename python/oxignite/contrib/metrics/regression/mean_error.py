"""Old import path of :mod:`oxignite.metrics.regression.mean_error` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.mean_error import MeanError

warn_moved(__file__, "oxignite/metrics/regression/mean_error.py")

__all__ = ["MeanError"]
