"""Old import path of :mod:`oxignite.handlers.wandb_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite
from oxignite.handlers.wandb_logger import (
    OptimizerParamsHandler,
    OutputHandler,
    WandBLogger,
)

warn_moved(__file__, "/oxignite/handlers/wandb_logger.py")

__all__ = [
    "OptimizerParamsHandler",
    "OutputHandler",
    "WandBLogger",
]
