"""EpochOutputStore: keep every output of the current epoch (e.g. to plot predictions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oxignite.engine import Engine, Events

__all__ = ["EpochOutputStore"]


class EpochOutputStore:
    """Collect the engine's outputs of one epoch in ``self.data`` (emptied at each
    EPOCH_STARTED), optionally also exposed as ``engine.state.<name>`` at EPOCH_COMPLETED.

    The whole epoch is kept in memory.

    Args:
        output_transform: applied to ``engine.state.output`` before it is stored.

    Example::

        eos = EpochOutputStore()
        eos.attach(evaluator, "output")
        evaluator.run(val_loader)
        evaluator.state.output  # [(y_pred0, y0), (y_pred1, y1), ...]
    """

    def __init__(self, output_transform: Callable = lambda x: x):
        self.data: list[Any] = []
        self.output_transform = output_transform

    def reset(self) -> None:
        """Forget the stored outputs."""
        self.data = []

    def update(self, engine: Engine) -> None:
        """Store the (transformed) output of the iteration that just completed."""
        self.data.append(self.output_transform(engine.state.output))

    def store(self, engine: Engine) -> None:
        """Expose the stored outputs as ``engine.state.<name>``."""
        setattr(engine.state, self.name, self.data)

    def attach(self, engine: Engine, name: str | None = None) -> None:
        """Reset at EPOCH_STARTED, store each ITERATION_COMPLETED output and, when ``name`` is
        given, set ``engine.state.<name>`` at EPOCH_COMPLETED."""
        engine.add_event_handler(Events.EPOCH_STARTED, self.reset)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.update)
        if name:
            self.name = name
            engine.add_event_handler(Events.EPOCH_COMPLETED, self.store)
