"""WaveHedgesDistance: Wave Hedges distance: ``sum(|y - y_pred| / max(y_pred, y))``."""

from __future__ import annotations

import torch

from oxignite.metrics.regression._base import _SummedError

__all__ = ["WaveHedgesDistance"]


class WaveHedgesDistance(_SummedError):
    r"""Wave Hedges distance: ``sum(|y - y_pred| / max(y_pred, y))``.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import WaveHedgesDistance

        metric = WaveHedgesDistance()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))
        value = metric.compute()
    """

    _mean = False
    _state_dict_all_req_keys = ("_sum_of_errors",)

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.abs(y - y_pred) / (torch.max(y_pred, y) + 1e-30)
