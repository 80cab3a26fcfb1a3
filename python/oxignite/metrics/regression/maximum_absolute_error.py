"""MaximumAbsoluteError: the largest ``|y - y_pred|`` seen."""

from __future__ import annotations

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import reinit__is_reduced, sync_all_reduce
from oxignite.metrics.regression._base import _BaseRegression

__all__ = ["MaximumAbsoluteError"]


class MaximumAbsoluteError(_BaseRegression):
    r"""Largest absolute error ``max |y - y_pred|`` over all samples (MAX across processes).

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Example::

        from oxignite.metrics.regression import MaximumAbsoluteError

        metric = MaximumAbsoluteError()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 4.0])))
        assert metric.compute() == 2.0
    """

    _state_dict_all_req_keys = ("_max_of_absolute_errors",)

    @reinit__is_reduced
    def reset(self) -> None:
        # -1 marks "no data": absolute errors are never negative.
        self._max_of_absolute_errors: float = -1

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        batch_max = torch.abs(y_pred - y).max().item()
        self._max_of_absolute_errors = max(self._max_of_absolute_errors, batch_max)

    @sync_all_reduce("_max_of_absolute_errors:MAX")
    def compute(self) -> float:
        if self._max_of_absolute_errors < 0:
            raise NotComputableError(
                "MaximumAbsoluteError must have at least one example before it can be computed."
            )
        return self._max_of_absolute_errors
