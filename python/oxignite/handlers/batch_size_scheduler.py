"""BatchSizeScheduler: change a DataLoader's batch size during training.

ignite defines it in ``ignite.handlers.param_scheduler``; ``oxignite.handlers.param_scheduler``
re-exports it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oxignite.engine import Engine, Events
from oxignite.handlers.param_scheduler import BaseParamScheduler

__all__ = ["BatchSizeScheduler"]


class BatchSizeScheduler(BaseParamScheduler):
    """Set ``dataloader.batch_sampler.batch_size`` to ``scheduler_fn(event_index)`` at each
    event (EPOCH_STARTED by default), ``event_index`` counting from 0.

    Args:
        dataloader: a torch DataLoader with a BatchSampler.
        scheduler_fn: event index -> batch size (a positive int).
        save_history: append the sizes to ``engine.state.param_history["batch_size"]``.

    Example::

        dataloader = DataLoader(TensorDataset(torch.arange(100)), batch_size=10)
        scheduler = BatchSizeScheduler(dataloader, scheduler_fn=lambda e: 10 + e * 10)
        trainer.add_event_handler(Events.EPOCH_STARTED, scheduler)
    """

    def __init__(
        self,
        dataloader: Any,
        scheduler_fn: Callable[[int], int],
        save_history: bool = False,
    ):
        from torch.utils.data import BatchSampler, DataLoader

        super().__init__(param_name="batch_size", save_history=save_history)
        if not isinstance(dataloader, DataLoader):
            raise TypeError(
                "Argument dataloader should be torch.utils.data.DataLoader, "
                f"but given {type(dataloader)}"
            )
        if not isinstance(getattr(dataloader, "batch_sampler", None), BatchSampler):
            raise ValueError(  # noqa: TRY004 - same exception type as ignite
                "Argument dataloader should have a BatchSampler, "
                "i.e. dataloader.batch_sampler should be an instance of "
                "torch.utils.data.sampler.BatchSampler"
            )
        if not callable(scheduler_fn):
            raise TypeError(
                f"Argument scheduler_fn should be callable, but given {type(scheduler_fn)}"
            )
        self.dataloader = dataloader
        self.scheduler_fn = scheduler_fn

    def __call__(self, engine: Engine | None) -> None:
        value = self.get_param()
        if not isinstance(value, int) or value < 1:
            raise ValueError(
                "Batch size returned by scheduler_fn should be a positive integer, "
                f"but given {value}"
            )
        self.dataloader.batch_sampler.batch_size = value
        if self.save_history and engine is not None:
            if getattr(engine.state, "param_history", None) is None:
                engine.state.param_history = {}
            engine.state.param_history.setdefault(self.param_name, []).append(value)
        self.event_index += 1

    def get_param(self) -> int:
        """The batch size for the current event index."""
        return self.scheduler_fn(self.event_index)

    def attach(self, engine: Engine, event: Any = Events.EPOCH_STARTED) -> None:
        """Update the batch size at each ``event``."""
        engine.add_event_handler(event, self)

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list[int]]:
        """``[[i, scheduler_fn(i)], ...]`` for ``num_events`` events."""
        if "scheduler_fn" not in scheduler_kwargs:
            raise ValueError("Argument scheduler_kwargs must contain 'scheduler_fn'")
        scheduler_fn = scheduler_kwargs["scheduler_fn"]
        return [[i, scheduler_fn(i)] for i in range(num_events)]
