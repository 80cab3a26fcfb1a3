"""Old import path of :mod:`oxignite.metrics.regression.fractional_bias` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.fractional_bias import FractionalBias

warn_moved(__file__, "oxignite/metrics/regression/fractional_bias.py")

__all__ = ["FractionalBias"]
