"""MeanAbsoluteRelativeError: mean of ``|y - y_pred| / |y|``."""

from __future__ import annotations

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import reinit__is_reduced, sync_all_reduce
from oxignite.metrics.regression._base import _BaseRegression, _check_no_zero

__all__ = ["MeanAbsoluteRelativeError"]


class MeanAbsoluteRelativeError(_BaseRegression):
    r"""Mean of ``|y - y_pred| / |y|``; a zero in ``y`` raises NotComputableError.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Example::

        from oxignite.metrics.regression import MeanAbsoluteRelativeError

        metric = MeanAbsoluteRelativeError()
        metric.update((torch.tensor([1.0, 3.0]), torch.tensor([2.0, 2.0])))
        assert metric.compute() == 0.5
    """

    _state_dict_all_req_keys = ("_sum_of_absolute_relative_errors", "_num_samples")

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_absolute_relative_errors = torch.tensor(0.0, device=self._device)
        self._num_samples = 0

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        _check_no_zero(y)
        errors = torch.abs(y_pred - y) / torch.abs(y)
        self._sum_of_absolute_relative_errors += on_device(torch.sum(errors), self._device)
        self._num_samples += y.shape[0]

    @sync_all_reduce("_sum_of_absolute_relative_errors", "_num_samples")
    def compute(self) -> float:
        if self._num_samples == 0:
            raise NotComputableError(
                "MeanAbsoluteRelativeError must have at least one sample before it can be computed."
            )
        return self._sum_of_absolute_relative_errors.item() / self._num_samples
