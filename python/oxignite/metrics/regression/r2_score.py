"""R2Score: the coefficient of determination."""

from __future__ import annotations

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import reinit__is_reduced, sync_all_reduce
from oxignite.metrics.regression._base import _BaseRegression

__all__ = ["R2Score"]


class R2Score(_BaseRegression):
    r"""Coefficient of determination ``1 - sum((y - y_pred)^2) / sum((y - mean(y))^2)``.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.
    The total sum of squares is accumulated as ``sum(y^2) - sum(y)^2 / n`` so that the state
    is three sums and a count (exact to reduce across processes); the sums are float64
    (pytorch-ignite uses float32, whose rounding the cancellation amplifies).

    Example::

        from oxignite.metrics.regression import R2Score

        metric = R2Score()
        metric.update((torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 4.0])))
        value = metric.compute()
    """

    _state_dict_all_req_keys = ("_num_examples", "_sum_of_errors", "_y_sq_sum", "_y_sum")

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_examples = 0
        # float64 sums: sum(y^2) - sum(y)^2 / n cancels, float32 would lose digits.
        zero = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._sum_of_errors = zero.clone()
        self._y_sq_sum = zero.clone()
        self._y_sum = zero.clone()

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        dtype = self._double_dtype
        y_pred, y = output[0].to(dtype=dtype), output[1].to(dtype=dtype)
        self._num_examples += y.shape[0]
        self._sum_of_errors += on_device(torch.sum(torch.square(y_pred - y)), self._device)
        self._y_sum += on_device(torch.sum(y), self._device)
        self._y_sq_sum += on_device(torch.sum(torch.square(y)), self._device)

    @sync_all_reduce("_num_examples", "_sum_of_errors", "_y_sq_sum", "_y_sum")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "R2Score must have at least one example before it can be computed."
            )
        total = self._y_sq_sum.item() - self._y_sum.item() ** 2 / self._num_examples
        return 1 - self._sum_of_errors.item() / total
