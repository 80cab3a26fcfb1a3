"""FractionalBias: Mean of ``2 (y - y_pred) / (y_pred + y)``, accumulated in float64."""

from __future__ import annotations

import torch

from oxignite.metrics.metric import reinit__is_reduced
from oxignite.metrics.regression._base import _SummedError

__all__ = ["FractionalBias"]


class FractionalBias(_SummedError):
    r"""Mean of ``2 (y - y_pred) / (y_pred + y)``, accumulated in float64.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.regression import FractionalBias

        metric = FractionalBias()
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))
        value = metric.compute()
    """

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_errors = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_examples = 0

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 2 * (y - y_pred) / (y_pred + y + 1e-30)
