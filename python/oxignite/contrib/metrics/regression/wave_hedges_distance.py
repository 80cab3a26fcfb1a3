"""Old import path of :mod:`oxignite.metrics.regression.wave_hedges_distance` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.regression.wave_hedges_distance import WaveHedgesDistance

warn_moved(__file__, "oxignite/metrics/regression/wave_hedges_distance.py")

__all__ = ["WaveHedgesDistance"]
