"""Accumulating metrics: VariableAccumulation and the Average/GeometricAverage built on it."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["Average", "GeometricAverage", "VariableAccumulation"]


class VariableAccumulation(Metric):
    """Fold every output into an accumulator with ``op(accumulator, output)`` and count
    samples (a tensor with more than one dimension counts its first dimension, anything
    else counts as one sample). ``compute`` returns ``(accumulator, num_examples)``.

    Example::

        import torch
        from oxignite.metrics import VariableAccumulation

        acc = VariableAccumulation(lambda a, x: a + x.sum())
        acc.update(torch.tensor([1.0, 2.0]))
        total, n = acc.compute()
    """

    required_output_keys = None
    _state_dict_all_req_keys = ("accumulator", "num_examples")

    def __init__(
        self,
        op: Callable,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        if not callable(op):
            raise TypeError(f"Argument op should be a callable, but given {type(op)}")
        self._op = op
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self.accumulator = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self.num_examples = 0

    @reinit__is_reduced
    def update(self, output: float | torch.Tensor) -> None:
        if not isinstance(output, (numbers.Number, torch.Tensor)):
            raise TypeError(f"Output should be a number or torch.Tensor, but given {type(output)}")
        if isinstance(output, torch.Tensor):
            output = output.detach().to(self.accumulator)
            self.num_examples += output.shape[0] if output.dim() > 1 else 1
        else:
            self.num_examples += 1
        self.accumulator = self._op(self.accumulator, output)

    @sync_all_reduce("accumulator", "num_examples")
    def compute(self) -> tuple[torch.Tensor, int]:
        return self.accumulator, self.num_examples


def _sum_op(acc: torch.Tensor, x: float | torch.Tensor) -> torch.Tensor:
    if isinstance(x, torch.Tensor) and x.dim() > 1:
        x = x.sum(dim=0)
    return acc + x


def _log_sum_op(acc: torch.Tensor, x: float | torch.Tensor) -> torch.Tensor:
    x = torch.log(x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=acc.dtype))
    if x.dim() > 1:
        x = x.sum(dim=0)
    return acc + x


class Average(VariableAccumulation):
    """Arithmetic mean of numbers, or of tensors over their first dimension.

    A number or 1-D tensor counts as one sample (1-D tensors are averaged element-wise
    across updates); an ``(N, ...)`` tensor counts as ``N`` samples.

    Example::

        from oxignite.metrics import Average

        avg = Average()
        for value in (1.0, 2.0, 6.0):
            avg.update(value)
        assert avg.compute().item() == 3.0

        # Usually fed the trainer's output (a loss value):
        Average(output_transform=lambda out: out).attach(trainer, "mean_loss")
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            op=_sum_op,
            output_transform=output_transform,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @sync_all_reduce("accumulator", "num_examples")
    def compute(self) -> float | torch.Tensor:
        if self.num_examples < 1:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        return self.accumulator / self.num_examples


class GeometricAverage(VariableAccumulation):
    """Geometric mean, with the same sample counting as :class:`Average`.

    Example::

        from oxignite.metrics import GeometricAverage

        g = GeometricAverage()
        g.update(1.0)
        g.update(4.0)
        assert abs(g.compute() - 2.0) < 1e-9
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            op=_log_sum_op,
            output_transform=output_transform,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @sync_all_reduce("accumulator", "num_examples")
    def compute(self) -> float | torch.Tensor:
        if self.num_examples < 1:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        value = torch.exp(self.accumulator / self.num_examples)
        return value.item() if value.numel() == 1 else value
