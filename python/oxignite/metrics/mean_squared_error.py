"""Mean squared error."""

from __future__ import annotations

import torch

from oxignite.metrics._regression import _SumOfErrors
from oxignite.metrics.metric import sync_all_reduce

__all__ = ["MeanSquaredError"]


class MeanSquaredError(_SumOfErrors):
    """Sum of squared errors divided by the number of samples (size of the first dimension,
    as in ignite; equal to the plain mean for inputs of shape ``(N,)`` or ``(N, 1)``).

    Example::

        import torch
        from oxignite.metrics import MeanSquaredError

        mse = MeanSquaredError()
        mse.update((torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])))
        assert mse.compute() == 2.5
    """

    _sum_name = "_sum_of_squared_errors"  # as in ignite: saved states load in both

    def _error(self, diff: torch.Tensor) -> torch.Tensor:
        return diff.pow(2)

    @sync_all_reduce("_sum_of_squared_errors", "_num_examples")
    def compute(self) -> float:
        return self._mean_error()
