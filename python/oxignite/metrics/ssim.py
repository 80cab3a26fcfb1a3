"""Structural similarity index (SSIM) of 2-d or 3-d images."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import check_same_dtype_and_shape
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["SSIM"]


def _per_dim(value: object, ndims: int, kind: type, name: str, what: str) -> list:
    """``value`` for each of ``ndims`` dimensions: a single ``kind`` or a sequence of ndims."""
    if isinstance(value, kind):
        return [value] * ndims
    if isinstance(value, Sequence):
        if len(value) != ndims:
            raise ValueError(f"Expected {name} to have length of {ndims}. Got {len(value)}.")
        return list(value)
    raise ValueError(
        f"Argument {name} should be either {what} or a sequence of {what} of length {ndims}."
    )


class SSIM(Metric):
    """Mean structural similarity over samples (Wang et al., 2004), with a Gaussian (or
    uniform) window, reflect padding and ``c1 = (k1 * data_range)²``, ``c2 = (k2 * data_range)²``.

    Args:
        data_range: range of the values (e.g. 1.0 or 255).
        kernel_size: odd window size, one int or one per spatial dimension.
        sigma: Gaussian standard deviation, one float or one per spatial dimension.
        k1: stabilizing constant of the luminance term.
        k2: stabilizing constant of the contrast term.
        gaussian: Gaussian window (True) or uniform window (False).
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.
        ndims: 2 for ``(B, C, H, W)`` images, 3 for ``(B, C, D, H, W)`` volumes.

    Example::

        import torch
        from oxignite.metrics import SSIM

        ssim = SSIM(data_range=1.0)
        img = torch.rand(2, 3, 16, 16)
        ssim.update((img, img))
        print(ssim.compute())  # 1.0
    """

    _state_dict_all_req_keys = ("_sum_of_ssim", "_num_examples", "_kernel")

    def __init__(
        self,
        data_range: float,
        kernel_size: int | Sequence[int] = 11,
        sigma: float | Sequence[float] = 1.5,
        k1: float = 0.01,
        k2: float = 0.03,
        gaussian: bool = True,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
        ndims: int = 2,
    ) -> None:
        if ndims not in (2, 3):
            raise ValueError(f"Expected ndims to be 2 or 3. Got {ndims}.")
        self.kernel_size = _per_dim(kernel_size, ndims, int, "kernel_size", "int")
        self.sigma = _per_dim(sigma, ndims, float, "sigma", "float")
        if any(x % 2 == 0 or x <= 0 for x in self.kernel_size):
            raise ValueError(
                f"Expected kernel_size to have odd positive number. Got {kernel_size}."
            )
        if any(y <= 0 for y in self.sigma):
            raise ValueError(f"Expected sigma to have positive number. Got {sigma}.")
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )
        self.gaussian = gaussian
        self.data_range = data_range
        self.c1 = (k1 * data_range) ** 2
        self.c2 = (k2 * data_range) ** 2
        self.ndims = ndims
        self.pad_h = (self.kernel_size[0] - 1) // 2
        self.pad_w = (self.kernel_size[1] - 1) // 2
        self.pad_d = (self.kernel_size[2] - 1) // 2 if ndims == 3 else None
        self._kernel_nd = self._gaussian_or_uniform_kernel(self.kernel_size, self.sigma, ndims)
        # The window repeated per channel; built at the first update (channels known then).
        self._kernel: torch.Tensor | None = None

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_ssim = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        self._num_examples = 0

    def _uniform(self, kernel_size: int) -> torch.Tensor:
        # Uniform over the 5 central taps (at most), as ignite.
        kernel = torch.zeros(kernel_size, device=self._device)
        start = max(kernel_size // 2 - 2, 0)
        end = min(kernel_size // 2 + 3, kernel_size)
        kernel[start:end] = 1 / 5.0
        return kernel

    def _gaussian(self, kernel_size: int, sigma: float) -> torch.Tensor:
        half = (kernel_size - 1) * 0.5
        x = torch.linspace(-half, half, steps=kernel_size, device=self._device)
        gauss = torch.exp(-0.5 * (x / sigma).pow(2))
        return gauss / gauss.sum()

    def _gaussian_or_uniform_kernel(
        self, kernel_size: Sequence[int], sigma: Sequence[float], ndims: int
    ) -> torch.Tensor:
        if self.gaussian:
            kernels = [self._gaussian(k, s) for k, s in zip(kernel_size[:ndims], sigma[:ndims])]
        else:
            kernels = [self._uniform(k) for k in kernel_size[:ndims]]
        # Outer product of the 1-d windows.
        if ndims == 2:
            return torch.einsum("i,j->ij", *kernels)
        return torch.einsum("i,j,k->ijk", *kernels)

    def _check_type_and_shape(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        check_same_dtype_and_shape(y_pred, y)
        if len(y_pred.shape) - 2 != self.ndims:
            raise ValueError(
                "Expected y_pred and y to have BxCxHxW or BxCxDxHxW shape. "
                f"Got y_pred: {y_pred.shape} and y: {y.shape}."
            )

    def _channel_kernel(self, y_pred: torch.Tensor) -> torch.Tensor:
        nb_channel = y_pred.size(1)
        if self._kernel is None or self._kernel.shape[0] != nb_channel:
            self._kernel = self._kernel_nd.expand(nb_channel, 1, *([-1] * self.ndims))
        if y_pred.device != self._kernel.device and self._kernel.device.type == "cpu":
            self._kernel = self._kernel.to(device=y_pred.device)
        if y_pred.dtype != self._kernel.dtype:
            self._kernel = self._kernel.to(dtype=y_pred.dtype)
        return self._kernel

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        self._check_type_and_shape(y_pred, y)
        if not y.is_floating_point():
            y = y.float()
        if not y_pred.is_floating_point():
            y_pred = y_pred.float()
        if (
            self._kernel is not None
            and y_pred.device != self._kernel.device
            and y_pred.device.type == "cpu"
        ):
            warnings.warn(
                "y_pred tensor is on cpu device but previous computation was on another device: "
                f"{self._kernel.device}. To avoid having a performance hit, please ensure that "
                "all y and y_pred tensors are on the same device.",
                stacklevel=2,
            )
            y_pred = y_pred.to(device=self._kernel.device)
            y = y.to(device=self._kernel.device)

        padding = [self.pad_w, self.pad_w, self.pad_h, self.pad_h]
        if self.pad_d is not None:
            padding += [self.pad_d, self.pad_d]
        y_pred = F.pad(y_pred, padding, mode="reflect")
        y = F.pad(y, padding, mode="reflect")
        kernel = self._channel_kernel(y_pred)

        # One grouped convolution for the five local statistics.
        inputs = [y_pred, y, y_pred * y_pred, y * y, y_pred * y]
        conv = F.conv3d if self.ndims == 3 else F.conv2d
        outputs = conv(torch.cat(inputs), kernel, groups=y_pred.size(1))
        mu_p, mu_t, e_pp, e_tt, e_pt = outputs.chunk(len(inputs))
        mu_p_sq, mu_t_sq, mu_pt = mu_p.pow(2), mu_t.pow(2), mu_p * mu_t
        a1 = 2 * mu_pt + self.c1
        a2 = 2 * (e_pt - mu_pt) + self.c2
        b1 = mu_p_sq + mu_t_sq + self.c1
        b2 = (e_pp - mu_p_sq) + (e_tt - mu_t_sq) + self.c2
        ssim_idx = (a1 * a2) / (b1 * b2)

        # MPS has no float64.
        dtype = torch.float32 if ssim_idx.device.type == "mps" else self._double_dtype
        per_sample = torch.mean(ssim_idx, list(range(1, 2 + self.ndims)), dtype=dtype)
        self._sum_of_ssim += per_sample.sum().to(device=self._device)
        self._num_examples += y.shape[0]

    @sync_all_reduce("_sum_of_ssim", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "SSIM must have at least one example before it can be computed."
            )
        return (self._sum_of_ssim / self._num_examples).item()
