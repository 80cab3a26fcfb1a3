"""Old import path of :mod:`oxignite.handlers.base_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.base_logger import (
    BaseHandler,
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsHandler,
    BaseWeightsScalarHandler,
)

warn_moved(__file__, "/oxignite/handlers/base_logger.py")

__all__ = [
    "BaseHandler",
    "BaseLogger",
    "BaseOptimizerParamsHandler",
    "BaseOutputHandler",
    "BaseWeightsHandler",
    "BaseWeightsScalarHandler",
]
