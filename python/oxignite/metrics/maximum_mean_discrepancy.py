"""Maximum mean discrepancy between two sets of samples (Gaussian kernel)."""

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

__all__ = ["MaximumMeanDiscrepancy"]


def _sq_distances(a: torch.Tensor, b: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """``||a_i - b_j||^2`` from the Gram diagonals of ``a`` and ``b`` and ``ab = a @ b.T``."""
    return a.unsqueeze(1) + b.unsqueeze(0) - 2.0 * ab


class MaximumMeanDiscrepancy(Metric):
    """Square root of the unbiased MMD² estimate with kernel ``exp(-||x - y||² / (2 var))``,
    computed per batch and averaged over batches.

    Args:
        var: kernel variance.
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Inputs: ``(x, y)`` of the same shape ``(B, D)`` or ``(B, ...)`` (flattened), ``B > 1``.

    Example::

        import torch
        from oxignite.metrics import MaximumMeanDiscrepancy

        mmd = MaximumMeanDiscrepancy()
        mmd.update((torch.randn(8, 3), torch.randn(8, 3) + 1.0))
        print(mmd.compute())
    """

    _state_dict_all_req_keys = ("_xx_sum", "_yy_sum", "_xy_sum", "_num_batches")

    def __init__(
        self,
        var: float = 1.0,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        self.var = var
        super().__init__(output_transform, device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._xx_sum = torch.tensor(0.0, device=self._device)
        self._yy_sum = torch.tensor(0.0, device=self._device)
        self._xy_sum = torch.tensor(0.0, device=self._device)
        self._num_batches = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        x, y = output[0].detach(), output[1].detach()
        if x.shape != y.shape:
            raise ValueError(f"x and y must be in the same shape, got {x.shape} != {y.shape}.")
        if x.ndim >= 3:
            x = x.flatten(start_dim=1)
            y = y.flatten(start_dim=1)
        elif x.ndim == 1:
            raise ValueError(f"x must be in the shape of (B, ...), got {x.shape}.")
        xx, yy, xy = x @ x.t(), y @ y.t(), x @ y.t()
        rx, ry = xx.diag(), yy.diag()
        scale = -0.5 / self.var
        k_xx = torch.exp(scale * _sq_distances(rx, rx, xx))
        k_yy = torch.exp(scale * _sq_distances(ry, ry, yy))
        k_xy = torch.exp(scale * _sq_distances(rx, ry, xy))
        # Unbiased: the diagonals (k(x_i, x_i) = 1) are left out of the within-set means.
        n = x.shape[0]
        self._xx_sum += on_device((k_xx.sum() - n) / (n * (n - 1)), self._device)
        self._yy_sum += on_device((k_yy.sum() - n) / (n * (n - 1)), self._device)
        self._xy_sum += on_device(k_xy.sum() / (n * n), self._device)
        self._num_batches += 1

    @sync_all_reduce("_xx_sum", "_yy_sum", "_xy_sum", "_num_batches")
    def compute(self) -> float:
        if self._num_batches == 0:
            raise NotComputableError(
                "MaximumMeanDiscrepacy must have at least one batch before it can be computed."
            )
        mmd2 = (self._xx_sum + self._yy_sum - 2.0 * self._xy_sum).clamp(min=0.0)
        return (mmd2 / self._num_batches).sqrt().item()
