"""Root mean squared error."""

from __future__ import annotations

import math

from oxignite.metrics.mean_squared_error import MeanSquaredError

__all__ = ["RootMeanSquaredError"]


class RootMeanSquaredError(MeanSquaredError):
    """Square root of :class:`~oxignite.metrics.MeanSquaredError`.

    Example::

        import torch
        from oxignite.metrics import RootMeanSquaredError

        rmse = RootMeanSquaredError()
        rmse.update((torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0])))
        assert abs(rmse.compute() - 12.5**0.5) < 1e-9
    """

    def compute(self) -> float:
        return math.sqrt(super().compute())
