"""Peak signal-to-noise ratio of images (or any signals)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import check_same_dtype_and_shape, detached_pair, on_device
from oxignite.metrics.metric import (
    _CPU,
    Metric,
    _identity,
    detaches_inputs,
    reinit__is_reduced,
    sync_all_reduce,
)

__all__ = ["PSNR"]


class PSNR(Metric):
    """Mean over samples of ``10 log10(data_range² / (MSE + 1e-10))``, the MSE taken over all
    dimensions but the first.

    Args:
        data_range: range of the values (e.g. 1.0 for [0, 1] floats, 255 for uint8 images).
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Inputs: ``y_pred`` and ``y`` of the same shape ``(B, ...)`` and dtype.

    Example::

        import torch
        from oxignite.metrics import PSNR

        psnr = PSNR(data_range=1.0)
        psnr.update((torch.full((1, 3, 4, 4), 0.5), torch.full((1, 3, 4, 4), 0.6)))
        print(psnr.compute())  # 19.99... (20 up to float32 rounding)
    """

    _state_dict_all_req_keys = ("_sum_of_batchwise_psnr", "_num_examples")

    def __init__(
        self,
        data_range: float,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )
        self.data_range = data_range
        # ``.double()`` parses its arguments faster than ``.to(torch.float64)`` (~1 µs).
        self._to_double = (
            torch.Tensor.double if self._double_dtype == torch.float64 else torch.Tensor.float
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_batchwise_psnr = torch.tensor(
            0.0, dtype=self._double_dtype, device=self._device
        )
        self._num_examples = 0

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, shape, y_shape = detached_pair(output)
        if y_pred.dtype != y.dtype or shape != y_shape:
            check_same_dtype_and_shape(y_pred, y)  # raises ignite's error
        dim = tuple(range(1, len(y_shape)))
        # Shapes are equal (checked above): no view_as needed. One expression, so that each
        # image-sized temporary is freed as soon as it is used, as by hand.
        to_double = self._to_double
        mse = (to_double(y_pred) - to_double(y)).pow(2).mean(dim=dim)
        psnr = 10.0 * torch.log10(self.data_range**2 / (mse + 1e-10))
        self._sum_of_batchwise_psnr += on_device(torch.sum(psnr), self._device)
        self._num_examples += y_shape[0]

    @sync_all_reduce("_sum_of_batchwise_psnr", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "PSNR must have at least one example before it can be computed."
            )
        return (self._sum_of_batchwise_psnr / self._num_examples).item()
