"""Mean p-norm distance between predictions and targets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn.functional import pairwise_distance

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

__all__ = ["MeanPairwiseDistance"]


class MeanPairwiseDistance(Metric):
    """Mean over samples of ``||y_pred_i - y_i + eps||_p`` (``torch.nn.functional.pairwise_distance``).

    Args:
        p: norm degree.
        eps: added to the difference (avoids a zero norm).
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric` (ignite ignores it and always
            unrolls; it is honoured here).

    Example::

        import torch
        from oxignite.metrics import MeanPairwiseDistance

        mpd = MeanPairwiseDistance(p=1, eps=0.0)
        mpd.update((torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]])))
        assert mpd.compute() == 3.0
    """

    _state_dict_all_req_keys = ("_sum_of_distances", "_num_examples")

    def __init__(
        self,
        p: int = 2,
        eps: float = 1e-6,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)
        self._p = p
        self._eps = eps

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_distances = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, _, y_shape = detached_pair(output)
        distances = pairwise_distance(y_pred, y, p=self._p, eps=self._eps)
        self._sum_of_distances += on_device(torch.sum(distances), self._device)
        self._num_examples += y_shape[0]

    @sync_all_reduce("_sum_of_distances", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "MeanPairwiseDistance must have at least one example before it can be computed."
            )
        return self._sum_of_distances.item() / self._num_examples
