"""MedianRelativeAbsoluteError: Median of ``|y - y_pred| / |y - mean(y)|`` over all samples."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.metrics.epoch_metric import EpochMetric
from oxignite.metrics.metric import _CPU, _identity
from oxignite.metrics.regression._base import _torch_median

__all__ = ["MedianRelativeAbsoluteError", "median_relative_absolute_error_compute_fn"]


def median_relative_absolute_error_compute_fn(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    """Median of ``|y - y_pred| / |y - mean(y)|`` over all samples. (the ``compute_fn`` of :class:`MedianRelativeAbsoluteError`)."""
    y = y.view_as(y_pred)
    return _torch_median(torch.abs(y - y_pred) / torch.abs(y - torch.mean(y)))


class MedianRelativeAbsoluteError(EpochMetric):
    r"""Median of ``|y - y_pred| / |y - mean(y)|`` over all samples.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``. Every prediction is
    stored (an :class:`~oxignite.metrics.EpochMetric`); across processes they are gathered
    exactly, without padded duplicates.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which predictions and targets are stored.

    Example::

        from oxignite.metrics.regression import MedianRelativeAbsoluteError

        metric = MedianRelativeAbsoluteError()
        metric.update((torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.5, 2.5, 3.0])))
        value = metric.compute()
    """

    def __init__(self, output_transform: Callable = _identity, device: str | torch.device = _CPU):
        super().__init__(
            median_relative_absolute_error_compute_fn,
            output_transform=output_transform,
            device=device,
        )
