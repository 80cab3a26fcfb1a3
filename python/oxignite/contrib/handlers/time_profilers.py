"""Old import path of :mod:`oxignite.handlers.time_profilers` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.time_profilers import BasicTimeProfiler, HandlersTimeProfiler

warn_moved(__file__, "/oxignite/handlers/time_profilers.py")

__all__ = ["BasicTimeProfiler", "HandlersTimeProfiler"]
