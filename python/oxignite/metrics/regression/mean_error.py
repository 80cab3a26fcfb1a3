"""MeanError: Mean of ``y - y_pred`` (the signed error)."""

from __future__ import annotations

import torch

from oxignite.metrics.regression._base import _SummedError

__all__ = ["MeanError"]


class MeanError(_SummedError):
    r"""Mean of ``y - y_pred`` (the signed error).

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import MeanError

        metric = MeanError()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))
        value = metric.compute()
    """

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y - y_pred
