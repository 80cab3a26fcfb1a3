"""Shared state for error metrics that sum a per-element error over batches."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import detached_pair, on_device
from oxignite.metrics.metric import Metric, detaches_inputs, reinit__is_reduced


class _SumOfErrors(Metric):
    """Accumulates ``sum(error(y_pred - y))`` and the number of samples (first dimension).

    Subclasses name the running sum as ignite does (``_sum_name``), so that state_dicts and
    checkpoints are interchangeable with ignite's, and all-reduce it in their ``compute``.
    """

    _sum_name: str  # ignite's attribute name for the running sum

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._state_dict_all_req_keys = (cls._sum_name, "_num_examples")

    def _error(self, diff: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @reinit__is_reduced
    def reset(self) -> None:
        self.__dict__[self._sum_name] = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, shape, y_shape = detached_pair(output)
        if shape != y_shape:
            if y_pred.numel() != y.numel():
                raise ValueError(
                    "y_pred and y must have the same number of elements, but given shapes "
                    f"{tuple(shape)} vs {tuple(y_shape)}."
                )
            y = y.view_as(y_pred)
        errors = self._error(y_pred - y)
        self.__dict__[self._sum_name] += on_device(torch.sum(errors), self._device)
        self._num_examples += y_shape[0]

    def _mean_error(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        return self.__dict__[self._sum_name].item() / self._num_examples
