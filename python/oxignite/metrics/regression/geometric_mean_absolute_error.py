"""GeometricMeanAbsoluteError: ``exp(mean(log |y - y_pred|))``."""

from __future__ import annotations

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import sync_all_reduce
from oxignite.metrics.regression._base import _SummedError

__all__ = ["GeometricMeanAbsoluteError"]


class GeometricMeanAbsoluteError(_SummedError):
    r"""``exp(mean(log |y - y_pred|))``.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import GeometricMeanAbsoluteError

        metric = GeometricMeanAbsoluteError()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))
        value = metric.compute()
    """

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.abs(y - y_pred))

    @sync_all_reduce("_sum_of_errors", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "GeometricMeanAbsoluteError must have at least one example before it can be computed."
            )
        return torch.exp(self._sum_of_errors / self._num_examples).item()
