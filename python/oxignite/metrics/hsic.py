"""Hilbert-Schmidt independence criterion between two sets of features."""

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

__all__ = ["HSIC"]


def _gaussian_gram(x: torch.Tensor, sigma: float, mask: torch.Tensor) -> torch.Tensor:
    """Gaussian kernel matrix with zero diagonal; ``sigma < 0``: median squared distance."""
    xx = x @ x.T
    r = xx.diag().unsqueeze(0).expand_as(xx)
    d = r.T + r - xx * 2
    var = torch.quantile(d, 0.5) if sigma < 0 else sigma**2
    return torch.exp(-0.5 * d / var) * mask


class HSIC(Metric):
    """Unbiased HSIC estimate (Song et al., 2012) with Gaussian kernels, per batch,
    averaged over batches.

    Args:
        sigma_x: kernel bandwidth for ``y_pred``; negative: the median pairwise distance.
        sigma_y: kernel bandwidth for ``y``; negative: the median pairwise distance.
        ignore_invalid_batch: skip batches of 3 samples or fewer instead of raising.
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Inputs: ``(y_pred, y)`` of shape ``(B, ...)`` each (flattened per sample).

    Example::

        import torch
        from oxignite.metrics import HSIC

        hsic = HSIC()
        x = torch.randn(16, 4)
        hsic.update((x, x ** 2))
        print(hsic.compute())
    """

    _state_dict_all_req_keys = ("_sum_of_hsic", "_num_batches")

    def __init__(
        self,
        sigma_x: float = -1,
        sigma_y: float = -1,
        ignore_invalid_batch: bool = True,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform, device, skip_unrolling=skip_unrolling)
        self.sigma_x = sigma_x
        self.sigma_y = sigma_y
        self.ignore_invalid_batch = ignore_invalid_batch

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_hsic = torch.tensor(0.0, device=self._device)
        self._num_batches = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        x = output[0].detach().flatten(start_dim=1)
        y = output[1].detach().flatten(start_dim=1)
        b = x.shape[0]
        if b <= 3:
            if self.ignore_invalid_batch:
                return
            raise ValueError(f"A batch must contain more than four samples, got only {b} samples.")
        mask = 1.0 - torch.eye(b, device=x.device)
        k = _gaussian_gram(x, self.sigma_x, mask)
        l_ = _gaussian_gram(y, self.sigma_y, mask)
        kl = k @ l_
        hsic = kl.trace() + k.sum() * l_.sum() / ((b - 1) * (b - 2)) - kl.sum() / (b - 2) * 2.0
        hsic /= b * (b - 3)
        self._sum_of_hsic += on_device(torch.clamp(hsic, min=0.0), self._device)
        self._num_batches += 1

    @sync_all_reduce("_sum_of_hsic", "_num_batches")
    def compute(self) -> float:
        if self._num_batches == 0:
            raise NotComputableError("HSIC must have at least one batch before it can be computed.")
        return self._sum_of_hsic.item() / self._num_batches
