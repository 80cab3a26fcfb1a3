"""HitRate@k: share of users with at least one relevant item among their top-k scores."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["HitRate"]


def _check_pair(output: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    if len(output) != 2:
        raise ValueError(
            f"output should be in format `(y_pred,y)` but got tuple of {len(output)} tensors."
        )
    y_pred, y = output
    if y_pred.shape != y.shape:
        raise ValueError(
            f"y_pred and y must be in the same shape, got {y_pred.shape} != {y.shape}."
        )
    return y_pred, y


class HitRate(Metric):
    r"""Hit rate at each ``k`` in ``top_k``: the fraction of rows (users) whose ``k``
    highest-scored items contain a relevant one (``y > 0``).

    ``update`` takes ``(y_pred, y)`` of shape ``(n_users, n_items)``: scores and relevance.
    ``compute`` returns a list of rates, one per ``k`` in increasing order.

    Args:
        top_k: an int or a list of positive ints.
        ignore_zero_hits: skip rows without any relevant item (default True).
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics.rec_sys import HitRate

        metric = HitRate(top_k=[1, 2])
        scores = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.3]])
        relevant = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
        metric.update((scores, relevant))
        assert metric.compute() == [0.5, 1.0]
    """

    required_output_keys = ("y_pred", "y")
    _state_dict_all_req_keys = ("_hits_per_k", "_num_examples")

    def __init__(
        self,
        top_k: list[int] | int = 1,
        ignore_zero_hits: bool = True,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        if not isinstance(top_k, (int, list)):
            raise ValueError("top_k must be either int or a list[int]")  # noqa: TRY004 - as ignite
        top_k = [top_k] if isinstance(top_k, int) else top_k
        if len(top_k) == 0:
            raise ValueError("top_k must have at least one positive value")
        if any(k <= 0 for k in top_k):
            raise ValueError("top_k must be list of positive integers only.")
        self.top_k = sorted(top_k)
        self.ignore_zero_hits = ignore_zero_hits
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._hits_per_k = torch.zeros(len(self.top_k), device=self._device)
        self._num_examples = 0

    @reinit__is_reduced
    def update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = _check_pair(output)
        if self.ignore_zero_hits:
            keep = torch.any(y > 0, dim=-1)
            y_pred, y = y_pred[keep], y[keep]
        if y.shape[0] == 0:
            return
        # One top-k for the largest k; smaller k read a prefix of it.
        top = torch.topk(y_pred, k=self.top_k[-1], dim=-1).indices
        relevant_at = torch.gather(y, dim=-1, index=top) > 0
        hits = torch.stack([relevant_at[:, :k].any(dim=-1).sum() for k in self.top_k])
        self._hits_per_k += on_device(hits, self._device)
        self._num_examples += y.shape[0]

    @sync_all_reduce("_hits_per_k", "_num_examples")
    def compute(self) -> list[float]:
        if self._num_examples == 0:
            raise NotComputableError("HitRate must have at least one example.")
        return (self._hits_per_k / self._num_examples).tolist()
