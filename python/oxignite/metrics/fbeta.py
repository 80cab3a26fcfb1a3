"""F-beta score built from Precision and Recall."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.metrics.metrics_lambda import MetricsLambda
from oxignite.metrics.precision import Precision
from oxignite.metrics.recall import Recall

__all__ = ["Fbeta"]


def Fbeta(
    beta: float,
    average: bool = True,
    precision: Precision | None = None,
    recall: Recall | None = None,
    output_transform: Callable | None = None,
    device: str | torch.device | None = None,
) -> MetricsLambda:
    """F-beta score ``(1 + beta^2) * P * R / (beta^2 * P + R)`` per class.

    Args:
        beta: weight of recall relative to precision (> 0).
        average: True -> mean over classes (a float); False -> per-class tensor.
        precision: an existing ``Precision(average=False)`` to reuse (optional).
        recall: an existing ``Recall(average=False)`` to reuse (optional).
        output_transform: for the Precision/Recall created here (only if none are given).
        device: for the Precision/Recall created here (only if none are given).

    Example::

        from oxignite.metrics import Fbeta

        Fbeta(beta=1.0).attach(evaluator, "f1")
    """
    if not beta > 0:
        raise ValueError(f"Beta should be a positive integer, but given {beta}")
    for name, given in (("precision", precision), ("recall", recall)):
        if given is not None:
            if output_transform is not None:
                raise ValueError(f"If {name} argument is provided, output_transform should be None")
            if device is not None:
                raise ValueError(f"If {name} argument is provided, device should be None")

    transform = output_transform if output_transform is not None else (lambda x: x)
    if precision is None:
        dev = recall._device if recall is not None else (device or torch.device("cpu"))
        precision = Precision(output_transform=transform, average=False, device=dev)
    elif precision._average:
        raise ValueError("Input precision metric should have average=False")
    if recall is None:
        recall = Recall(output_transform=transform, average=False, device=precision._device)
    elif recall._average:
        raise ValueError("Input recall metric should have average=False")

    fbeta = (1.0 + beta**2) * precision * recall / (beta**2 * precision + recall + 1e-15)
    if average:
        fbeta = fbeta.mean().item()
    return fbeta
