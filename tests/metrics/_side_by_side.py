"""Feed the same batches to an oxignite metric and the pytorch-ignite one; compare values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import oxignite.metrics as ox_metrics
import pytest
import torch

ignite_metrics = pytest.importorskip("ignite.metrics")


def computed(metric: Any, batches: list) -> Any:
    metric.reset()
    for batch in batches:
        metric.update(batch)
    return metric.compute()


def both(factory: Callable[[Any], Any], batches: list) -> tuple[Any, Any]:
    """``factory(module)`` builds the metric from ``oxignite.metrics`` / ``ignite.metrics``."""
    return computed(factory(ox_metrics), batches), computed(factory(ignite_metrics), batches)


def as_plain(value: Any) -> Any:
    """Tensors/arrays/tuples -> nested lists of floats, for pytest.approx."""
    if isinstance(value, torch.Tensor):
        return value.double().tolist() if value.dim() else value.item()
    if isinstance(value, np.ndarray):
        return value.astype(float).tolist()
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    return value


def assert_same(ours: Any, theirs: Any, rel: float = 1e-6, abs: float = 1e-9) -> None:
    a, b = as_plain(ours), as_plain(theirs)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key], rel=rel, abs=abs)
    elif isinstance(a, list) and a and isinstance(a[0], (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y, rel=rel, abs=abs)
    elif isinstance(a, list):
        assert len(a) == len(b)
        assert np.allclose(
            np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rel, atol=abs
        )
    else:
        assert a == pytest.approx(b, rel=rel, abs=abs)


def assert_matches_ignite(factory: Callable[[Any], Any], batches: list, **tol: float) -> Any:
    ours, theirs = both(factory, batches)
    assert type(as_plain(ours)) is type(as_plain(theirs)) or isinstance(ours, float)
    assert_same(ours, theirs, **tol)
    return ours


def batches_of(y_pred: torch.Tensor, y: torch.Tensor, size: int) -> list:
    return [(y_pred[i : i + size], y[i : i + size]) for i in range(0, len(y_pred), size)]


def not_computable(module: Any) -> type:
    """The NotComputableError class of ``oxignite.metrics`` or ``ignite.metrics``."""
    if module is ox_metrics:
        from oxignite.exceptions import NotComputableError
    else:
        from ignite.exceptions import NotComputableError
    return NotComputableError
