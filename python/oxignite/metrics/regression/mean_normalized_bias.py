"""MeanNormalizedBias: Mean of ``(y - y_pred) / y``; a zero in ``y`` raises NotComputableError."""

from __future__ import annotations

import torch

from oxignite.metrics.regression._base import _check_no_zero, _SummedError

__all__ = ["MeanNormalizedBias"]


class MeanNormalizedBias(_SummedError):
    r"""Mean of ``(y - y_pred) / y``; a zero in ``y`` raises NotComputableError.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import MeanNormalizedBias

        metric = MeanNormalizedBias()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))
        value = metric.compute()
    """

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        _check_no_zero(y)
        return (y - y_pred) / y
