"""Perplexity: exp of the mean token negative log-likelihood."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

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

__all__ = ["Perplexity"]


class Perplexity(Metric):
    r"""Perplexity ``exp(sum NLL / number of tokens)`` of a language model.

    ``update`` takes ``(y_pred, y)``: logits of shape ``(N, C)`` or ``(N, C, d1, ...)`` and
    target class indices of shape ``(N,)`` or ``(N, d1, ...)``. Tokens equal to
    ``ignore_index`` are not counted.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        ignore_index: target value that is ignored (default -100, as in ``cross_entropy``).

    Example::

        from oxignite.metrics.nlp import Perplexity

        ppl = Perplexity()
        logits = torch.zeros(2, 4, 3)  # batch 2, vocabulary 4, sequence length 3
        ppl.update((logits, torch.zeros(2, 3, dtype=torch.long)))
        assert abs(ppl.compute() - 4.0) < 1e-5  # uniform over 4 tokens
    """

    _state_dict_all_req_keys = ("_sum_of_nll", "_num_tokens")

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        ignore_index: int = -100,
    ) -> None:
        self._ignore_index = ignore_index
        super().__init__(output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_nll = torch.tensor(0.0, device=self._device)
        self._num_tokens = torch.tensor(0, device=self._device)

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        if y_pred.ndim < 2:
            raise ValueError(f"y_pred must be at least 2-dimensional (got shape: {y_pred.shape})")
        if y.ndim < 1:
            raise ValueError(f"y must be at least 1-dimensional (got shape: {y.shape})")
        if y_pred.ndim != y.ndim + 1:
            raise ValueError(
                "y_pred must have exactly one more dimension than y "
                f"(got y_pred={y_pred.ndim}D and y={y.ndim}D)."
            )
        if y_pred.shape[0] != y.shape[0] or y_pred.shape[2:] != y.shape[1:]:
            raise ValueError(
                f"y_pred and y have incompatible shapes: y_pred={y_pred.shape}, y={y.shape} "
                "(expected y_pred[0] == y[0] and y_pred[2:] == y[1:])."
            )
        nll = F.cross_entropy(y_pred, y, reduction="sum", ignore_index=self._ignore_index)
        self._sum_of_nll += on_device(nll, self._device)
        self._num_tokens += on_device((y != self._ignore_index).sum(), self._device)

    @sync_all_reduce("_sum_of_nll", "_num_tokens")
    def compute(self) -> float:
        if self._num_tokens == 0:
            raise NotComputableError(
                "Perplexity must have at least one example before it can be computed."
            )
        return torch.exp(self._sum_of_nll / self._num_tokens).item()
