"""RunningAverage: exponential moving average of a metric or of the engine output."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable

import torch

import oxignite.distributed as idist
from oxignite.metrics.metric import Metric, reinit__is_reduced
from oxignite.metrics.usage import MetricUsage, RunningBatchWise, SingleEpochRunningBatchWise

if TYPE_CHECKING:
    from oxignite.engine import Engine

__all__ = ["RunningAverage"]

_RUNNING_BATCH_WISE = RunningBatchWise()


class RunningAverage(Metric):
    """``value = alpha * value + (1 - alpha) * new`` where ``new`` is either ``src.compute()``
    (``src`` is then reset, so it covers only the latest update period) or the transformed
    engine output. The first value is taken as is.

    Args:
        src: metric to average; exclusive with ``output_transform``.
        alpha: smoothing factor in ``(0, 1]``.
        output_transform: takes the engine output to a number/tensor to average
            (required when ``src`` is None).
        epoch_bound: deprecated; ``True`` = ``usage=SingleEpochRunningBatchWise()``,
            ``False`` = ``usage=RunningBatchWise()``. ``None`` (default) lets ``usage`` decide.
        device: device for the output-transform case (must be None with ``src``).
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    By default it is attached with ``usage=RunningBatchWise()``: updated every iteration and
    kept across epochs.

    Example::

        from oxignite.metrics import Accuracy, RunningAverage

        RunningAverage(output_transform=lambda loss: loss).attach(trainer, "running_loss")
        RunningAverage(Accuracy(output_transform=lambda o: (o[1], o[2]))).attach(
            trainer, "running_acc"
        )
    """

    required_output_keys = None
    _state_dict_all_req_keys = ("_value", "src")

    def __init__(
        self,
        src: Metric | None = None,
        alpha: float = 0.98,
        output_transform: Callable | None = None,
        epoch_bound: bool | None = None,
        device: str | torch.device | None = None,
        skip_unrolling: bool = False,
    ) -> None:
        if not (isinstance(src, Metric) or src is None):
            raise TypeError(f"Argument src should be a Metric or None, got {type(src)}.")
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"Argument alpha should be a float between 0.0 and 1.0, got {alpha}.")

        if isinstance(src, Metric):
            if output_transform is not None:
                raise ValueError("Argument output_transform should be None if src is a Metric.")
            if device is not None:
                raise ValueError("Argument device should be None if src is a Metric.")
            # The source metric applies its own transform; here we only forward the output.
            output_transform = _identity_transform
            device = src._device
        else:
            if output_transform is None:
                raise ValueError(
                    "Argument output_transform should not be None if src corresponds "
                    "to the output of process function."
                )
            if device is None:
                device = torch.device("cpu")
        self.src: Metric | None = src

        if epoch_bound is not None:
            warnings.warn(
                "`epoch_bound` is deprecated and will be removed in the future. Consider using "
                "`usage` argument of `attach` method instead. `epoch_bound=True` is equivalent "
                "with `usage=SingleEpochRunningBatchWise()` and `epoch_bound=False` is "
                "equivalent with `usage=RunningBatchWise()`."
            )
        self.epoch_bound = epoch_bound
        self.alpha = alpha
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._value: float | torch.Tensor | None = None
        if isinstance(self.src, Metric):
            self.src.reset()

    @reinit__is_reduced
    def update(self, output: Any) -> None:
        if self.src is None:
            if isinstance(output, torch.Tensor):
                output = output.detach().to(self._device, copy=True)
            # Every process averages the same (global) mean value.
            value = idist.all_reduce(output) / idist.get_world_size()
        else:
            value = self.src.compute()
            self.src.reset()

        if self._value is None:
            self._value = value
        else:
            self._value = self._value * self.alpha + (1.0 - self.alpha) * value

    def compute(self) -> float | torch.Tensor:
        return self._value

    def _usage(self, usage: str | MetricUsage) -> MetricUsage:
        usage = self._check_usage(usage)
        if self.epoch_bound is not None:
            usage = SingleEpochRunningBatchWise() if self.epoch_bound else RunningBatchWise()
        return usage

    def attach(
        self, engine: Engine, name: str, usage: str | MetricUsage = _RUNNING_BATCH_WISE
    ) -> None:
        usage = self._usage(usage)
        if isinstance(self.src, Metric):
            # The source is updated on every iteration, whatever our own usage is.
            event = _iteration_completed()
            if not engine.has_event_handler(self.src.iteration_completed, event):
                engine.add_event_handler(event, self.src.iteration_completed)
        super().attach(engine, name, usage)

    def detach(self, engine: Engine, usage: str | MetricUsage = _RUNNING_BATCH_WISE) -> None:
        usage = self._usage(usage)
        if isinstance(self.src, Metric):
            event = _iteration_completed()
            if engine.has_event_handler(self.src.iteration_completed, event):
                engine.remove_event_handler(self.src.iteration_completed, event)
        super().detach(engine, usage)

    def is_attached(self, engine: Engine, usage: str | MetricUsage = _RUNNING_BATCH_WISE) -> bool:
        return super().is_attached(engine, self._usage(usage))


def _identity_transform(x: Any) -> Any:
    return x


def _iteration_completed() -> Any:
    from oxignite.engine import Events

    return Events.ITERATION_COMPLETED
