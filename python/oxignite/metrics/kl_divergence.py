"""Kullback-Leibler divergence between target and predicted class distributions."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import detached_pair, on_device
from oxignite.metrics.metric import Metric, detaches_inputs, reinit__is_reduced, sync_all_reduce

__all__ = ["KLDivergence"]


class KLDivergence(Metric):
    """Mean over predictions of ``KL(softmax(y) || softmax(y_pred))``.

    Inputs: logits ``y_pred`` and ``y`` of the same shape ``(B, C)`` or ``(B, C, ...)``
    (each position counts as one prediction).

    Example::

        import torch
        from oxignite.metrics import KLDivergence

        kl = KLDivergence()
        kl.update((torch.zeros(2, 3), torch.zeros(2, 3)))
        assert kl.compute() == 0.0
    """

    _state_dict_all_req_keys = ("_sum_of_kl", "_num_examples")

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_kl = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, shape, y_shape = detached_pair(output)
        if shape != y_shape:
            raise ValueError(f"y_pred and y must be in the same shape, got {shape} != {y_shape}.")
        if len(shape) >= 3:
            # (B, C, ...) -> (B * ..., C): every position is one prediction.
            num_classes = shape[1]
            y_pred = y_pred.movedim(1, -1).reshape(-1, num_classes)
            y = y.movedim(1, -1).reshape(-1, num_classes)
            self._num_examples += y_pred.shape[0]
        elif len(shape) == 1:
            raise ValueError(f"y_pred must be in the shape of (B, C) or (B, C, ...), got {shape}.")
        else:
            self._num_examples += shape[0]
        self._update(y_pred, y)

    def _update(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        kl_sum = F.kl_div(
            F.log_softmax(y_pred, dim=1), F.log_softmax(y, dim=1), log_target=True, reduction="sum"
        )
        self._sum_of_kl += on_device(kl_sum, self._device)

    @sync_all_reduce("_sum_of_kl", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "KLDivergence must have at least one example before it can be computed."
            )
        return self._sum_of_kl.item() / self._num_examples
