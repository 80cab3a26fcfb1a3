"""Old import path of :mod:`oxignite.metrics.regression.r2_score` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.r2_score import R2Score

warn_moved(__file__, "oxignite/metrics/regression/r2_score.py")

__all__ = ["R2Score"]
