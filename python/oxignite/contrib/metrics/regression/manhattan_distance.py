"""Old import path of :mod:`oxignite.metrics.regression.manhattan_distance` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.manhattan_distance import ManhattanDistance

warn_moved(__file__, "oxignite/metrics/regression/manhattan_distance.py")

__all__ = ["ManhattanDistance"]
