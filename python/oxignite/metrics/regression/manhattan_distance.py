"""ManhattanDistance: Manhattan distance: ``sum(|y - y_pred|)`` over all samples."""

from __future__ import annotations

import torch

from oxignite.metrics.regression._base import _SummedError

__all__ = ["ManhattanDistance"]


class ManhattanDistance(_SummedError):
    r"""Manhattan distance: ``sum(|y - y_pred|)`` over all samples.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import ManhattanDistance

        metric = ManhattanDistance()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))
        value = metric.compute()
    """

    _mean = False
    _state_dict_all_req_keys = ("_sum_of_errors",)

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.abs(y - y_pred)
