"""Python references of the core's metric input helpers (``rust/src/metric_inputs.rs``).

The core runs these when the natives are switched off (``oxignite.natives``); the natives
must return what these return for every input.
"""

from __future__ import annotations

from typing import Any


def _is_tensor(x: Any) -> bool:
    import torch

    return isinstance(x, torch.Tensor)


def is_tensor_pair(output: Any) -> bool:
    """Whether ``output`` is the common ``(y_pred, y)``: a tuple (exactly) of two tensors."""
    return (
        type(output) is tuple
        and len(output) == 2
        and _is_tensor(output[0])
        and _is_tensor(output[1])
    )


def detached_pair(output: Any) -> tuple:
    """``(y_pred, y, y_pred.shape, y.shape)`` of ``output[0]``, ``output[1]``, each detached
    when it requires grad."""
    y_pred, y = output[0], output[1]
    if y_pred.requires_grad:
        y_pred = y_pred.detach()
    if y.requires_grad:
        y = y.detach()
    return (y_pred, y, y_pred.shape, y.shape)


def on_device(t: Any, device: Any) -> Any:
    """``t`` itself when it is on ``device`` already, else ``t.to(device)``."""
    return t if t.device == device else t.to(device)
