"""Old import path of :mod:`oxignite.metrics.average_precision` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.average_precision import AveragePrecision

warn_moved(__file__, "/oxignite/metrics/average_precision.py")

__all__ = ["AveragePrecision"]
