"""Old import path of :mod:`oxignite.handlers.polyaxon_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.polyaxon_logger import (
    OptimizerParamsHandler,
    OutputHandler,
    PolyaxonLogger,
)
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite

warn_moved(__file__, "/oxignite/handlers/polyaxon_logger.py")

__all__ = [
    "OptimizerParamsHandler",
    "OutputHandler",
    "PolyaxonLogger",
]
