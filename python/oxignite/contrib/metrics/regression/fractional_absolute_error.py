"""Old import path of :mod:`oxignite.metrics.regression.fractional_absolute_error` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.fractional_absolute_error import FractionalAbsoluteError

warn_moved(__file__, "oxignite/metrics/regression/fractional_absolute_error.py")

__all__ = ["FractionalAbsoluteError"]
