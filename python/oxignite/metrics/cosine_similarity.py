"""Mean cosine similarity between predictions and targets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import detached_pair, on_device
from oxignite.metrics.metric import (
    _CPU,
    Metric,
    _identity,
    detaches_inputs,
    reinit__is_reduced,
    sync_all_reduce,
)

__all__ = ["CosineSimilarity"]


class CosineSimilarity(Metric):
    """Mean over samples of ``cos(y_pred_i, y_i)``, each sample flattened to a vector.

    Args:
        eps: lower bound of the vector norms (avoids division by zero).
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        import torch
        from oxignite.metrics import CosineSimilarity

        cos = CosineSimilarity()
        cos.update((torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([[2.0, 0.0], [-1.0, -1.0]])))
        print(cos.compute())  # (1 + -1) / 2, about 0.0
    """

    _state_dict_all_req_keys = ("_sum_of_cos_similarities", "_num_examples")

    def __init__(
        self,
        eps: float = 1e-8,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform, device, skip_unrolling=skip_unrolling)
        self.eps = eps

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_cos_similarities = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, pred_shape, y_shape = detached_pair(output)
        # Rows of features, flattened as ignite's ``flatten(start_dim=1)`` (a no-op at 2-d).
        if len(pred_shape) != 2:
            y_pred = y_pred.flatten(start_dim=1)
        if len(y_shape) != 2:
            y = y.flatten(start_dim=1)
        cos = torch.nn.functional.cosine_similarity(y_pred, y, dim=1, eps=self.eps)
        self._sum_of_cos_similarities += on_device(torch.sum(cos), self._device)
        self._num_examples += y_shape[0]

    @sync_all_reduce("_sum_of_cos_similarities", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "CosineSimilarity must have at least one example before it can be computed."
            )
        return self._sum_of_cos_similarities.item() / self._num_examples
