"""Old import path of :mod:`oxignite.handlers.mlflow_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.mlflow_logger import (
    MLflowLogger,
    OptimizerParamsHandler,
    OutputHandler,
)
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite

warn_moved(__file__, "/oxignite/handlers/mlflow_logger.py")

__all__ = [
    "MLflowLogger",
    "OptimizerParamsHandler",
    "OutputHandler",
]
