"""Mean absolute error."""

from __future__ import annotations

import torch

from oxignite.metrics._regression import _SumOfErrors
from oxignite.metrics.metric import sync_all_reduce

__all__ = ["MeanAbsoluteError"]


class MeanAbsoluteError(_SumOfErrors):
    """Sum of absolute errors divided by the number of samples (first dimension, as in ignite).

    Example::

        import torch
        from oxignite.metrics import MeanAbsoluteError

        mae = MeanAbsoluteError()
        mae.update((torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])))
        assert mae.compute() == 1.5
    """

    _sum_name = "_sum_of_absolute_errors"  # as in ignite: saved states load in both

    def _error(self, diff: torch.Tensor) -> torch.Tensor:
        return diff.abs()

    @sync_all_reduce("_sum_of_absolute_errors", "_num_examples")
    def compute(self) -> float:
        return self._mean_error()
