"""Lazy access to scikit-learn, which the curve/score metrics need (an optional dependency)."""

from __future__ import annotations

import importlib
from typing import Any


def require_sklearn_metric(name: str, message: str) -> Any:
    """Return ``sklearn.metrics.<name>``; raise ``ModuleNotFoundError(message)`` without sklearn.

    Called in the metrics' ``__init__`` so a missing package is reported when the metric is
    created, not at the end of the first epoch.
    """
    try:
        module = importlib.import_module("sklearn.metrics")
    except ImportError:
        raise ModuleNotFoundError(message) from None
    return getattr(module, name)


def to_numpy_pair(y_preds: Any, y_targets: Any) -> tuple[Any, Any]:
    """(y_true, y_pred) as numpy arrays, in scikit-learn's argument order."""
    return y_targets.cpu().numpy(), y_preds.cpu().numpy()
