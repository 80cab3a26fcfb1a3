"""PearsonCorrelation: Pearson's r from running sums."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import _CPU, _identity, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.regression._base import _BaseRegression

__all__ = ["PearsonCorrelation"]


class PearsonCorrelation(_BaseRegression):
    r"""Pearson correlation coefficient between predictions and targets.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype. The state is
    five running sums (float64; pytorch-ignite uses float32) and a count, so the value across
    processes is exact.

    Args:
        eps: lower bound of the denominator ``sqrt(var(y_pred) var(y))`` (default 1e-8).
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import PearsonCorrelation

        metric = PearsonCorrelation()
        metric.update((torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 4.0, 6.5])))
        value = metric.compute()
    """

    _state_dict_all_req_keys = (
        "_sum_of_y_preds",
        "_sum_of_ys",
        "_sum_of_y_pred_squares",
        "_sum_of_y_squares",
        "_sum_of_products",
        "_num_examples",
    )

    def __init__(
        self,
        eps: float = 1e-8,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        super().__init__(output_transform, device)
        self.eps = eps

    @reinit__is_reduced
    def reset(self) -> None:
        # float64 sums: E[x^2] - E[x]^2 cancels, float32 would lose digits.
        zero = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._sum_of_y_preds = zero.clone()
        self._sum_of_ys = zero.clone()
        self._sum_of_y_pred_squares = zero.clone()
        self._sum_of_y_squares = zero.clone()
        self._sum_of_products = zero.clone()
        self._num_examples = 0

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        dtype = self._double_dtype
        y_pred, y = output[0].to(dtype=dtype), output[1].to(dtype=dtype)
        self._sum_of_y_preds += on_device(y_pred.sum(), self._device)
        self._sum_of_ys += on_device(y.sum(), self._device)
        self._sum_of_y_pred_squares += on_device(y_pred.square().sum(), self._device)
        self._sum_of_y_squares += on_device(y.square().sum(), self._device)
        self._sum_of_products += on_device((y_pred * y).sum(), self._device)
        self._num_examples += y.shape[0]

    @sync_all_reduce(
        "_sum_of_y_preds",
        "_sum_of_ys",
        "_sum_of_y_pred_squares",
        "_sum_of_y_squares",
        "_sum_of_products",
        "_num_examples",
    )
    def compute(self) -> float:
        n = self._num_examples
        if n == 0:
            raise NotComputableError(
                "PearsonCorrelation must have at least one example before it can be computed."
            )
        # cov = E[xy] - E[x]E[y]; var = E[x^2] - E[x]^2 (clamped: rounding can make it < 0).
        cov = self._sum_of_products / n - self._sum_of_y_preds * self._sum_of_ys / (n * n)
        pred_mean = self._sum_of_y_preds / n
        pred_var = torch.clamp(self._sum_of_y_pred_squares / n - pred_mean * pred_mean, min=0.0)
        y_mean = self._sum_of_ys / n
        y_var = torch.clamp(self._sum_of_y_squares / n - y_mean * y_mean, min=0.0)
        r = cov / torch.clamp(torch.sqrt(pred_var * y_var), min=self.eps)
        return float(r.item())
