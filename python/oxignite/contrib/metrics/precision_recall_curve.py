"""Old import path of :mod:`oxignite.metrics.precision_recall_curve` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.precision_recall_curve import PrecisionRecallCurve

warn_moved(__file__, "oxignite/metrics/precision_recall_curve.py")

__all__ = ["PrecisionRecallCurve"]
