"""Old import path of :mod:`oxignite.metrics.regression.canberra_metric` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.canberra_metric import CanberraMetric

warn_moved(__file__, "oxignite/metrics/regression/canberra_metric.py")

__all__ = ["CanberraMetric"]
