"""Top-k categorical accuracy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import (
    _CPU,
    Metric,
    _identity,
    detaches_inputs,
    reinit__is_reduced,
    sync_all_reduce,
)

__all__ = ["TopKCategoricalAccuracy"]


class TopKCategoricalAccuracy(Metric):
    """Fraction of samples whose true class is among the ``k`` highest scores.

    Inputs: ``y_pred`` of shape ``(N, C)`` scores, ``y`` of shape ``(N,)`` class indices.

    Example::

        import torch
        from oxignite.metrics import TopKCategoricalAccuracy

        top2 = TopKCategoricalAccuracy(k=2)
        top2.update((torch.tensor([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]]), torch.tensor([2, 2])))
        assert top2.compute() == 0.5
    """

    _state_dict_all_req_keys = ("_num_correct", "_num_examples")

    def __init__(
        self,
        k: int = 5,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)
        self._k = k

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_correct = torch.tensor(0, device=self._device)
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        if y_pred.ndimension() != 2 or y.reshape(-1).shape[0] != y_pred.shape[0]:
            raise ValueError(
                "y_pred must have shape (batch_size, num_classes) and y shape (batch_size,), "
                f"but given {tuple(y_pred.shape)} vs {tuple(y.shape)}."
            )
        if y_pred.shape[1] < self._k:
            raise ValueError(f"k={self._k} is larger than the number of classes {y_pred.shape[1]}")
        top_k = torch.topk(y_pred, self._k, dim=1)[1]
        correct = torch.eq(top_k, y.view(-1, 1)).sum(dim=1)
        self._num_correct += on_device(torch.sum(correct), self._device)
        self._num_examples += correct.shape[0]

    @sync_all_reduce("_num_correct", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "TopKCategoricalAccuracy must have at least one example before it can be computed."
            )
        return self._num_correct.item() / self._num_examples
