"""FBResearchLogger: the training log lines of Facebook research code bases (detectron2 style),
written to a standard ``logging.Logger``. Needs no third-party package."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import torch

from oxignite.engine import Engine, Events
from oxignite.handlers.timing import Timer
from oxignite.utils import _to_str_list

MB = 1024.0 * 1024.0

__all__ = ["FBResearchLogger"]


class FBResearchLogger:
    """Log the start of each epoch, every ``every`` iterations the progress (ETA, learning
    rates, output, state attributes, mean iteration and data-loading times, CUDA peak memory),
    the end of each epoch and of the run.

    Args:
        logger: a ``logging.Logger`` (anything with ``info``).
        delimiter: separates the fields of a line.
        show_output: include ``engine.state.output`` (through ``output_transform``) in the
            progress lines.

    Example::

        import logging
        from oxignite.handlers.fbresearch_logger import FBResearchLogger

        logger = logging.getLogger("Trainer")
        logging.basicConfig(level=logging.INFO)
        fb_logger = FBResearchLogger(logger=logger, show_output=True)
        fb_logger.attach(trainer, name="Train", every=10, optimizer=optimizer)
        # Train: start epoch [1/2]
        # Epoch [1/2]  [10/50]:  ETA: 0:00:01  lr: 0.01000  0.5234  Iter time: 0.0021 s  ...
    """

    def __init__(self, logger: Any, delimiter: str = "  ", show_output: bool = False):
        self.delimiter = delimiter
        self.logger: Any = logger
        self.iter_timer: Timer = Timer(average=True)
        self.data_timer: Timer = Timer(average=True)
        self.show_output: bool = show_output

    def attach(
        self,
        engine: Engine,
        name: str,
        every: int = 1,
        output_transform: Callable | None = None,
        state_attributes: list[str] | None = None,
        optimizer: torch.optim.Optimizer | None = None,
    ) -> None:
        """Attach the logging handlers and the two timers to ``engine``.

        Args:
            engine: the engine to log.
            name: the run's name in the epoch / completion lines (e.g. ``"Train"``).
            every: log the progress every ``every`` iterations.
            output_transform: maps ``engine.state.output`` before it is shown.
            state_attributes: names of ``engine.state`` attributes to show.
            optimizer: show the learning rate of its parameter groups.
        """
        self.name = name
        self.output_transform = output_transform
        self.state_attributes = state_attributes
        engine.add_event_handler(Events.EPOCH_STARTED, self.log_epoch_started, engine, name)
        engine.add_event_handler(
            Events.ITERATION_COMPLETED(every=every), self.log_every, engine, optimizer=optimizer
        )
        engine.add_event_handler(Events.EPOCH_COMPLETED, self.log_epoch_completed, engine, name)
        engine.add_event_handler(Events.COMPLETED, self.log_completed, engine, name)

        self.iter_timer.reset()
        self.iter_timer.attach(
            engine,
            start=Events.EPOCH_STARTED,
            resume=Events.ITERATION_STARTED,
            pause=Events.ITERATION_COMPLETED,
            step=Events.ITERATION_COMPLETED,
        )
        self.data_timer.reset()
        self.data_timer.attach(
            engine,
            start=Events.EPOCH_STARTED,
            resume=Events.GET_BATCH_STARTED,
            pause=Events.GET_BATCH_COMPLETED,
            step=Events.GET_BATCH_COMPLETED,
        )

    def log_every(self, engine: Engine, optimizer: torch.optim.Optimizer | None = None) -> None:
        """Log the progress line of the current iteration."""
        assert engine.state.epoch_length is not None  # set by run()
        cuda_max_mem = ""
        if torch.cuda.is_available():
            cuda_max_mem = f"GPU Max Mem: {torch.cuda.max_memory_allocated() / MB:.0f} MB"

        current_iter = (engine.state.iteration - 1) % engine.state.epoch_length + 1
        iter_avg_time = self.iter_timer.value()
        eta_seconds = iter_avg_time * (engine.state.epoch_length - current_iter)

        outputs: list[str] = []
        if self.show_output and engine.state.output is not None:
            output = engine.state.output
            if self.output_transform is not None:
                output = self.output_transform(output)
            outputs = _to_str_list(output)

        lrs = ""
        if optimizer is not None:
            if len(optimizer.param_groups) == 1:
                lrs += f"lr: {optimizer.param_groups[0]['lr']:.5f}"
            else:  # ignite joins the groups without a separator: kept for identical lines
                for i, g in enumerate(optimizer.param_groups):
                    lrs += f"lr [g{i}]: {g['lr']:.5f}"

        state_attrs: list[str] = []
        if self.state_attributes is not None:
            state_attrs = _to_str_list(
                {name: getattr(engine.state, name, None) for name in self.state_attributes}
            )

        msg = self.delimiter.join(
            [
                f"Epoch [{engine.state.epoch}/{engine.state.max_epochs}]",
                f"[{current_iter}/{engine.state.epoch_length}]:",
                f"ETA: {datetime.timedelta(seconds=int(eta_seconds))}",
                lrs,
                *outputs,
                " ".join(state_attrs),
                f"Iter time: {iter_avg_time:.4f} s",
                f"Data prep time: {self.data_timer.value():.4f} s",
                cuda_max_mem,
            ]
        )
        self.logger.info(msg)

    def log_epoch_started(self, engine: Engine, name: str) -> None:
        """Log ``"{name}: start epoch [epoch/max_epochs]"``."""
        self.logger.info(f"{name}: start epoch [{engine.state.epoch}/{engine.state.max_epochs}]")

    def log_epoch_completed(self, engine: Engine, name: str) -> None:
        """Log the epoch's total time and time per iteration."""
        epoch_time = engine.state.times[Events.EPOCH_COMPLETED.name]
        epoch_info = (
            f"Epoch [{engine.state.epoch}/{engine.state.max_epochs}]"
            if engine.state.max_epochs > 1
            else ""
        )
        msg = self.delimiter.join(
            [
                f"{name}: {epoch_info}",
                f"Total time: {datetime.timedelta(seconds=int(epoch_time))}",
                f"({epoch_time / engine.state.epoch_length:.4f} s / it)",
            ]
        )
        self.logger.info(msg)

    def log_completed(self, engine: Engine, name: str) -> None:
        """Log the run's total time (runs of more than one epoch only)."""
        if engine.state.max_epochs and engine.state.max_epochs > 1:
            total_time = engine.state.times[Events.COMPLETED.name]
            assert total_time is not None  # set before COMPLETED fires
            msg = self.delimiter.join(
                [
                    f"{name}: run completed",
                    f"Total time: {datetime.timedelta(seconds=int(total_time))}",
                ]
            )
            self.logger.info(msg)
