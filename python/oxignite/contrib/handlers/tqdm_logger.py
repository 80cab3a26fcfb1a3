"""Old import path of :mod:`oxignite.handlers.tqdm_logger` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.tqdm_logger import ProgressBar

warn_moved(__file__, "/oxignite/handlers/tqdm_logger.py")

__all__ = ["ProgressBar"]
