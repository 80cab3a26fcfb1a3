"""KendallRankCorrelation: Kendall's tau (scipy) over the whole epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oxignite.metrics.metric import _CPU, _identity
from oxignite.metrics.regression._scipy_correlation import _EpochCorrelation, _require_scipy

__all__ = ["KendallRankCorrelation"]


def _get_kendall_tau(variant: str = "b") -> Callable[[torch.Tensor, torch.Tensor], float]:
    if variant not in ("b", "c"):
        raise ValueError(f"variant accepts 'b' or 'c', got {variant!r}.")

    def _tau(predictions: torch.Tensor, targets: torch.Tensor) -> float:
        from scipy.stats import kendalltau

        preds = predictions.flatten().cpu().numpy()
        trues = targets.flatten().cpu().numpy()
        return kendalltau(preds, trues, variant=variant).statistic

    return _tau


class KendallRankCorrelation(_EpochCorrelation):
    r"""Kendall rank correlation coefficient (tau-b or tau-c) between predictions and targets.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype. Needs scipy
    (imported when the metric is created).

    Args:
        variant: ``"b"`` (default) or ``"c"``.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        check_compute_fn: run scipy on the first batch and warn if it fails.
        device: device on which predictions and targets are stored.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics.regression import KendallRankCorrelation

        metric = KendallRankCorrelation()
        metric.update((torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 3.0, 2.0])))
        value = metric.compute()
    """

    def __init__(
        self,
        variant: str = "b",
        output_transform: Callable[..., Any] = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        _require_scipy()
        super().__init__(
            _get_kendall_tau(variant), output_transform, check_compute_fn, device, skip_unrolling
        )
