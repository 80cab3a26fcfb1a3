"""Jensen-Shannon divergence between predicted and target class distributions."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.kl_divergence import KLDivergence
from oxignite.metrics.metric import sync_all_reduce

__all__ = ["JSDivergence"]


class JSDivergence(KLDivergence):
    """Mean over predictions of ``(KL(P || M) + KL(Q || M)) / 2`` with ``P = softmax(y_pred)``,
    ``Q = softmax(y)`` and ``M = (P + Q) / 2``. Inputs: as :class:`~oxignite.metrics.KLDivergence`.

    Example::

        import torch
        from oxignite.metrics import JSDivergence

        js = JSDivergence()
        js.update((torch.tensor([[10.0, 0.0]]), torch.tensor([[0.0, 10.0]])))
        print(js.compute())  # close to log(2)
    """

    def _update(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        m_log = ((F.softmax(y_pred, dim=1) + F.softmax(y, dim=1)) / 2).log()
        y_pred_log = F.log_softmax(y_pred, dim=1)
        y_log = F.log_softmax(y, dim=1)
        both = F.kl_div(m_log, y_pred_log, log_target=True, reduction="sum") + F.kl_div(
            m_log, y_log, log_target=True, reduction="sum"
        )
        self._sum_of_kl += on_device(both, self._device)

    @sync_all_reduce("_sum_of_kl", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "JSDivergence must have at least one example before it can be computed."
            )
        return self._sum_of_kl.item() / (self._num_examples * 2)
