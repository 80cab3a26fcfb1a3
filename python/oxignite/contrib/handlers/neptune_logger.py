"""Old import path of :mod:`oxignite.handlers.neptune_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.neptune_logger import (
    _INTEGRATION_VERSION_KEY,  # noqa: F401 - as ignite
    GradsScalarHandler,
    NeptuneLogger,
    NeptuneSaver,
    OptimizerParamsHandler,
    OutputHandler,
    WeightsScalarHandler,
)
from oxignite.handlers.utils import global_step_from_engine  # noqa: F401 - as ignite

warn_moved(__file__, "/oxignite/handlers/neptune_logger.py")

__all__ = [
    "GradsScalarHandler",
    "NeptuneLogger",
    "NeptuneSaver",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
]
