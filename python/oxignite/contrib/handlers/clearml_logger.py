"""Old import path of :mod:`oxignite.handlers.clearml_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.clearml_logger import (
    ClearMLLogger,
    ClearMLSaver,
    GradsHistHandler,
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    WeightsHistHandler,
    WeightsScalarHandler,
)
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite

warn_moved(__file__, "/oxignite/handlers/clearml_logger.py")

__all__ = [
    "ClearMLLogger",
    "ClearMLSaver",
    "GradsHistHandler",
    "GradsScalarHandler",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsHistHandler",
    "WeightsScalarHandler",
]
