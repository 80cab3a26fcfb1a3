"""Entropy of the predicted class distribution, averaged over predictions."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import detached, on_device
from oxignite.metrics.metric import Metric, detaches_inputs, reinit__is_reduced, sync_all_reduce

__all__ = ["Entropy"]


def _as_rows(y_pred: torch.Tensor) -> torch.Tensor:
    """``(B, C, ...)`` logits -> ``(B * ..., C)``: every position is one prediction."""
    if y_pred.ndim >= 3:
        return y_pred.movedim(1, -1).reshape(-1, y_pred.shape[1])
    if y_pred.ndim == 1:
        raise ValueError(
            f"y_pred must be in the shape of (B, C) or (B, C, ...), got {y_pred.shape}."
        )
    return y_pred


class Entropy(Metric):
    """Mean of ``-sum_c p_c log p_c`` over predictions, with ``p = softmax(y_pred, dim=1)``.

    Inputs: ``(y_pred, y)`` (``y`` is ignored) with logits ``y_pred`` of shape ``(B, C)`` or
    ``(B, C, ...)`` (each position counts as one prediction).

    Example::

        import torch
        from oxignite.metrics import Entropy

        entropy = Entropy()
        entropy.update((torch.zeros(4, 2), torch.zeros(4)))
        print(entropy.compute())  # log(2) = 0.693...
    """

    _state_dict_all_req_keys = ("_sum_of_entropies", "_num_examples")

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_entropies = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred = _as_rows(detached(output[0]))
        self._update(F.softmax(y_pred, dim=1), F.log_softmax(y_pred, dim=1))

    def _update(self, prob: torch.Tensor, log_prob: torch.Tensor) -> None:
        self._sum_of_entropies -= on_device(torch.sum(prob * log_prob), self._device)
        self._num_examples += prob.shape[0]

    @sync_all_reduce("_sum_of_entropies", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "Entropy must have at least one example before it can be computed."
            )
        return self._sum_of_entropies.item() / self._num_examples
