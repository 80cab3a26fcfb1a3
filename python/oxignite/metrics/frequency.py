"""Frequency: how many things (samples, tokens...) are processed per second."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

import oxignite.distributed as idist
from oxignite.engine import Engine, Events
from oxignite.handlers.timing import Timer
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["Frequency"]


class Frequency(Metric):
    """Number of items per second since the start of the epoch; ``output_transform`` turns the
    engine output into the item count of one iteration. Across processes: the total count
    divided by the mean elapsed time.

    By default :meth:`attach` writes ``int(frequency)`` to ``engine.state.metrics[name]`` after
    every iteration (``event_name``); the count restarts at every epoch.

    Example::

        from oxignite.metrics import Frequency

        # tokens per second, with batches {"tokens": ...}
        wps = Frequency(output_transform=lambda output: output["ntokens"])
        wps.attach(trainer, name="wps")
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._timer = Timer()
        self._acc = 0
        self._n = 0
        self._elapsed = 0.0

    @reinit__is_reduced
    def update(self, output: int) -> None:
        self._acc += output
        self._n = self._acc
        self._elapsed = self._timer.value()

    @sync_all_reduce("_n", "_elapsed")
    def compute(self) -> float:
        # _elapsed is the sum over processes: multiply by world size to use the mean time.
        return self._n / self._elapsed * idist.get_world_size()

    def completed(self, engine: Engine, name: str) -> None:
        engine.state.metrics[name] = int(self.compute())

    def attach(  # type: ignore[override]
        self, engine: Engine, name: str, event_name: Any = Events.ITERATION_COMPLETED
    ) -> None:
        """Reset at every epoch start, count every iteration, write the value at ``event_name``."""
        engine.add_event_handler(Events.EPOCH_STARTED, self.started)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.iteration_completed)
        engine.add_event_handler(event_name, self.completed, name)
