"""Old import path of :mod:`oxignite.handlers.visdom_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite
from oxignite.handlers.visdom_logger import (
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    VisdomLogger,
    WeightsScalarHandler,
    _DummyExecutor,  # noqa: F401 - as ignite
)

warn_moved(__file__, "/oxignite/handlers/visdom_logger.py")

__all__ = [
    "GradsScalarHandler",
    "OptimizerParamsHandler",
    "OutputHandler",
    "VisdomLogger",
    "WeightsScalarHandler",
]
