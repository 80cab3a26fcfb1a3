"""Timer: measure (average) wall time between engine events."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from oxignite.engine import Engine, Events

__all__ = ["Timer"]


class Timer:
    """Measure time between events, optionally averaged over ``step()`` calls.

    Args:
        average: if True, ``value()`` returns the total measured time divided by the number of
            ``step()`` calls (at least 1).

    Attributes:
        total: seconds accumulated while running (excluding the current running segment).
        step_count: number of ``step()`` calls since the last ``reset()``.
        running: whether the timer is currently measuring.

    Example::

        from oxignite.engine import Engine, Events
        from oxignite.handlers import Timer
        timer = Timer(average=True)
        timer.attach(trainer, start=Events.STARTED, resume=Events.ITERATION_STARTED,
                     pause=Events.ITERATION_COMPLETED, step=Events.ITERATION_COMPLETED)
        trainer.run(data)
        timer.value()  # average seconds per iteration
    """

    def __init__(self, average: bool = False):
        self._average = average
        self.reset()

    def attach(
        self,
        engine: Engine,
        start: Any = Events.STARTED,
        pause: Any = Events.COMPLETED,
        resume: Any | None = None,
        step: Any | None = None,
    ) -> Timer:
        """Register ``reset``/``pause``/``resume``/``step`` on the given events. Returns ``self``."""
        engine.add_event_handler(start, self.reset)
        engine.add_event_handler(pause, self.pause)
        if resume is not None:
            engine.add_event_handler(resume, self.resume)
        if step is not None:
            engine.add_event_handler(step, self.step)
        return self

    def reset(self, *args: Any) -> Timer:
        """Restart the timer from zero (running)."""
        self._t0 = perf_counter()
        self.total = 0.0
        self.step_count = 0.0
        self.running = True
        return self

    def pause(self, *args: Any) -> None:
        """Stop measuring; time is accumulated into ``total``."""
        if self.running:
            self.total += perf_counter() - self._t0  # inline: called every iteration
            self.running = False

    def resume(self, *args: Any) -> None:
        """Start measuring again after ``pause``."""
        if not self.running:
            self.running = True
            self._t0 = perf_counter()

    def value(self) -> float:
        """Measured time in seconds (divided by ``step_count`` if ``average``)."""
        total = self.total
        if self.running:
            total += self._elapsed()
        denominator = max(self.step_count, 1.0) if self._average else 1.0
        return total / denominator

    def step(self, *args: Any) -> None:
        """Increment the step counter used for averaging."""
        self.step_count += 1.0

    def _elapsed(self) -> float:
        return perf_counter() - self._t0
