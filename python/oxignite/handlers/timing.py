"""Timer: measure (average) wall time between engine events."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from oxignite._core import NativeTimer
from oxignite.engine import Engine, Events
from oxignite.engine.natives import NativeSpec, overrides, set_native

__all__ = ["Timer"]

_CLOCK_FIELDS = ("t0", "total", "step_count", "running")


def _clock_field(name: str) -> property:
    """An attribute of ignite's Timer, kept in the native clock."""
    return property(
        lambda self: getattr(self._clock, name),
        lambda self, value: setattr(self._clock, name, value),
        doc=f"The timer's ``{name}``.",
    )


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
        # The clock and counters live in the core, so that a Timer attached to an engine
        # costs no Python call per event (see ``attach``).
        self._clock = NativeTimer()

    total = _clock_field("total")
    step_count = _clock_field("step_count")
    running = _clock_field("running")
    _t0 = _clock_field("t0")

    def attach(
        self,
        engine: Engine,
        start: Any = Events.STARTED,
        pause: Any = Events.COMPLETED,
        resume: Any | None = None,
        step: Any | None = None,
    ) -> Timer:
        """Register ``reset``/``pause``/``resume``/``step`` on the given events. Returns ``self``.

        On an oxignite Engine the core runs them natively (same clock, same arithmetic), unless
        a subclass overrides them."""
        for event, name in ((start, "reset"), (pause, "pause"), (resume, "resume"), (step, "step")):
            if event is None:
                continue
            method = getattr(self, name)
            engine.add_event_handler(event, method)
            if not overrides(self, Timer, name):
                set_native(engine, event, method, NativeSpec.timer(self._clock, name))
        return self

    def reset(self, *args: Any) -> Timer:
        """Restart the timer from zero (running)."""
        self._clock.reset()
        return self

    def pause(self, *args: Any) -> None:
        """Stop measuring; time is accumulated into ``total``."""
        self._clock.pause()

    def resume(self, *args: Any) -> None:
        """Start measuring again after ``pause``."""
        self._clock.resume()

    def value(self) -> float:
        """Measured time in seconds (divided by ``step_count`` if ``average``)."""
        return self._clock.value(self._average)

    def step(self, *args: Any) -> None:
        """Increment the step counter used for averaging."""
        self._clock.step()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        clock = state.pop("_clock")
        state["_clock_fields"] = tuple(getattr(clock, f) for f in _CLOCK_FIELDS)
        return state

    def __setstate__(self, state: dict) -> None:
        fields = state.pop("_clock_fields")
        self.__dict__.update(state)
        self._clock = NativeTimer()
        for f, value in zip(_CLOCK_FIELDS, fields):
            setattr(self._clock, f, value)

    def _elapsed(self) -> float:
        return perf_counter() - self._t0
