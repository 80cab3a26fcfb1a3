"""Old import path of :mod:`oxignite.metrics.cohen_kappa` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.cohen_kappa import CohenKappa

warn_moved(__file__, "oxignite/metrics/cohen_kappa.py")

__all__ = ["CohenKappa"]
