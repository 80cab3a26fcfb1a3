"""``to_onehot``, kept apart from ``oxignite.utils`` because TorchScript compiles it from its
source and resolves ``torch`` in this module's globals (``oxignite.utils`` loads torch lazily).
``oxignite.utils.to_onehot`` is this function."""

from __future__ import annotations

import torch

__all__ = ["to_onehot"]


def to_onehot(indices: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot encode integer ``indices`` of shape ``(N, ...)`` into a uint8 tensor of shape
    ``(N, num_classes, ...)`` on the same device. Works under ``torch.jit.script``.

    Example::

        to_onehot(torch.tensor([0, 2]), num_classes=3)  # [[1, 0, 0], [0, 0, 1]]
    """
    shape = (indices.shape[0], num_classes) + indices.shape[1:]
    onehot = torch.zeros(shape, dtype=torch.uint8, device=indices.device)
    return onehot.scatter_(1, indices.unsqueeze(1), 1)
