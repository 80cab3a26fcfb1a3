"""Old import path of :mod:`oxignite.metrics.gpu_info` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.metrics.gpu_info import GpuInfo

warn_moved(__file__, "oxignite/metrics/gpu_info.py")

__all__ = ["GpuInfo"]
