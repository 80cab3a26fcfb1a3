"""Small helpers that keep the per-batch ``update`` of the metrics free of no-op torch calls.

Every torch call goes through the dispatcher (about 1-3 µs on the CPU); on batches of a few
dozen samples a metric's own work is only a handful of such calls, so skipping ``detach()``
on tensors that carry no graph and ``.to(device)`` on tensors already there is what keeps
``update`` close to the same operations written by hand.
"""

from __future__ import annotations

import torch


def detached(t: torch.Tensor) -> torch.Tensor:
    """``t.detach()``, or ``t`` itself when it is not part of an autograd graph."""
    return t.detach() if t.requires_grad else t


def on_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``t.to(device)``, or ``t`` itself when it is already there."""
    return t if t.device == device else t.to(device)


def rows(t: torch.Tensor) -> torch.Tensor:
    """``t.flatten(start_dim=1)`` without the call when ``t`` is already 2-d."""
    return t if t.ndim == 2 else t.flatten(start_dim=1)
