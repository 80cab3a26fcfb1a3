"""Small helpers that keep the per-batch ``update`` of the metrics free of no-op torch calls.

Every torch call goes through the dispatcher (about 1-3 µs on the CPU); on batches of a few
dozen samples a metric's own work is only a handful of such calls, so skipping ``detach()``
on tensors that carry no graph and ``.to(device)`` on tensors already there is what keeps
``update`` close to the same operations written by hand.
"""

from __future__ import annotations

import torch

# Native (rust/src/metric_inputs.rs): the pair read (detached when in a graph, with both
# shapes) and the device check, without bytecode.
from oxignite._core import detached_pair, on_device

__all__ = ["check_same_dtype_and_shape", "detached", "detached_pair", "on_device"]


def detached(t: torch.Tensor) -> torch.Tensor:
    """``t.detach()``, or ``t`` itself when it is not part of an autograd graph."""
    return t.detach() if t.requires_grad else t


def check_same_dtype_and_shape(y_pred: torch.Tensor, y: torch.Tensor) -> None:
    """ignite's first check of an image metric's batch (PSNR, SSIM): one dtype, one shape."""
    if y_pred.dtype != y.dtype:
        raise TypeError(
            "Expected y_pred and y to have the same data type. "
            f"Got y_pred: {y_pred.dtype} and y: {y.dtype}."
        )
    if y_pred.shape != y.shape:
        raise ValueError(
            "Expected y_pred and y to have the same shape. "
            f"Got y_pred: {y_pred.shape} and y: {y.shape}."
        )
