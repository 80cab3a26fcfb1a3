"""Shared state for error metrics that sum a per-element error over batches."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce


class _SumOfErrors(Metric):
    """Accumulates ``sum(error(y_pred - y))`` and the number of samples (first dimension)."""

    _state_dict_all_req_keys = ("_sum_of_errors", "_num_examples")

    def _error(self, diff: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_errors = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        if y_pred.numel() != y.numel():
            raise ValueError(
                "y_pred and y must have the same number of elements, but given shapes "
                f"{tuple(y_pred.shape)} vs {tuple(y.shape)}."
            )
        errors = self._error(y_pred - y.view_as(y_pred))
        self._sum_of_errors += torch.sum(errors).to(self._device)
        self._num_examples += y.shape[0]

    @sync_all_reduce("_sum_of_errors", "_num_examples")
    def _mean_error(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        return self._sum_of_errors.item() / self._num_examples
