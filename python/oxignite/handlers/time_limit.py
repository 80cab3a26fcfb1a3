"""TimeLimit: stop training gracefully once a wall-clock budget is spent."""

from __future__ import annotations

import time

from oxignite.engine import Engine
from oxignite.utils import setup_logger

__all__ = ["TimeLimit"]


class TimeLimit:
    """Terminate the engine once ``limit_sec`` seconds have passed since this handler was
    created (not since the run started), for sessions with a time budget.

    Args:
        limit_sec: the budget in seconds (a positive int), 8 hours by default.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import TimeLimit

        trainer.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit())  # 8 hours
    """

    def __init__(self, limit_sec: int | None = 28800):
        if not isinstance(limit_sec, int):
            raise TypeError("Argument limit_sec should be an integer.")
        if limit_sec <= 0:
            raise ValueError("Argument limit_sec should be a positive integer.")
        self.limit_sec = limit_sec
        self.start_time = time.time()
        self.logger = setup_logger(f"{__name__}.{type(self).__name__}")

    def __call__(self, engine: Engine) -> None:
        if time.time() - self.start_time > self.limit_sec:
            self.logger.info(f"Reached the time limit: {self.limit_sec} sec. Stop training")
            engine.terminate()
