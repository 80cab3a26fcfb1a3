"""Old import path of :mod:`oxignite.metrics.roc_auc` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.roc_auc import ROC_AUC, RocCurve

warn_moved(__file__, "oxignite/metrics/roc_auc.py")

__all__ = ["ROC_AUC", "RocCurve"]
