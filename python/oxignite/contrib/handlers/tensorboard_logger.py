"""Old import path of :mod:`oxignite.handlers.tensorboard_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.tensorboard_logger import (
    GradsHistHandler,
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    TensorboardLogger,
    WeightsHistHandler,
    WeightsScalarHandler,
)
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite

warn_moved(__file__, "/oxignite/handlers/tensorboard_logger.py")

__all__ = [
    "GradsHistHandler",
    "GradsScalarHandler",
    "OptimizerParamsHandler",
    "OutputHandler",
    "TensorboardLogger",
    "WeightsHistHandler",
    "WeightsScalarHandler",
]
