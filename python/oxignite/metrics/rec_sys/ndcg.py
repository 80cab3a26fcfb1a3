"""NDCG@k: normalized discounted cumulative gain of the ranking given by the scores."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.rec_sys.hitrate import _check_pair

__all__ = ["NDCG"]


def _get_ranked_items(scores: torch.Tensor, items: torch.Tensor, k: int) -> torch.Tensor:
    """``items`` reordered by decreasing ``scores`` (ties keep their order), first ``k``."""
    order = torch.argsort(scores, dim=-1, descending=True, stable=True)[:, :k]
    return torch.gather(items, dim=-1, index=order)


class NDCG(Metric):
    r"""Normalized discounted cumulative gain at each ``k`` in ``top_k``, averaged over rows.

    ``DCG@k = sum_i gain(rel_i) / log2(i + 1)`` over the ``k`` highest-scored items, divided by
    the same sum for the ideal order (0 when the ideal is 0). Relevances below
    ``relevance_threshold`` count as 0.

    ``update`` takes ``(y_pred, y)`` of shape ``(n_users, n_items)``: scores and relevance.
    ``compute`` returns a list of values, one per ``k`` in increasing order.

    Args:
        top_k: list of positive ints.
        ignore_zero_hits: skip rows without a relevant item (default True).
        relevance_threshold: smallest relevance that counts (default 1.0).
        gain_function: ``"exp_rank"`` (``2^rel - 1``, default) or ``"linear_rank"`` (``rel``).
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics.rec_sys import NDCG

        metric = NDCG(top_k=[2])
        metric.update((torch.tensor([[0.9, 0.5, 0.1]]), torch.tensor([[0.0, 1.0, 1.0]])))
        value = metric.compute()  # [0.3868...]
    """

    required_output_keys = ("y_pred", "y")
    _state_dict_all_req_keys = ("_sum_ndcg_per_k", "_num_examples")

    def __init__(
        self,
        top_k: list[int],
        ignore_zero_hits: bool = True,
        relevance_threshold: float = 1.0,
        gain_function: str = "exp_rank",
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        if any(k <= 0 for k in top_k):
            raise ValueError(f"top_k must be list of positive integers only, but given {top_k}")
        if gain_function not in ["exp_rank", "linear_rank"]:
            raise ValueError(
                "gain_function must be either 'exp_rank' or 'linear_rank', "
                f"but given {gain_function}"
            )
        self.top_k = sorted(top_k)
        self.ignore_zero_hits = ignore_zero_hits
        self.relevance_threshold = relevance_threshold
        self.gain_function = gain_function
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_ndcg_per_k = torch.zeros(len(self.top_k), device=self._device)
        self._num_examples = 0

    def _compute_dcg(self, relevance_scores: torch.Tensor, k: int) -> torch.Tensor:
        k = min(k, relevance_scores.shape[1])
        positions = torch.arange(1, k + 1, dtype=torch.float32, device=relevance_scores.device)
        relevance = relevance_scores[:, :k]
        gains = torch.pow(2.0, relevance) - 1 if self.gain_function == "exp_rank" else relevance
        return (gains / torch.log2(positions + 1)).sum(dim=-1)

    @reinit__is_reduced
    def update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = _check_pair(output)
        relevant = y >= self.relevance_threshold
        if self.ignore_zero_hits:
            keep = torch.any(relevant, dim=-1)
            y_pred, y, relevant = y_pred[keep], y[keep], relevant[keep]
        if y.shape[0] == 0:
            return
        gains = torch.where(relevant, y, 0)
        max_k = self.top_k[-1]
        ranked = _get_ranked_items(y_pred, gains, max_k)
        ideal = torch.sort(gains, dim=-1, descending=True, stable=True)[0][:, :max_k]
        for i, k in enumerate(self.top_k):
            dcg, idcg = self._compute_dcg(ranked, k), self._compute_dcg(ideal, k)
            ndcg = torch.where(idcg > 0, dcg / idcg, torch.zeros_like(dcg))
            self._sum_ndcg_per_k[i] += on_device(ndcg.sum(), self._device)
        self._num_examples += y.shape[0]

    @sync_all_reduce("_sum_ndcg_per_k", "_num_examples")
    def compute(self) -> list[float]:
        if self._num_examples == 0:
            raise NotComputableError("NDCG must have at least one example.")
        return (self._sum_ndcg_per_k / self._num_examples).tolist()
