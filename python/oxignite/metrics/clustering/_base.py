"""Shared base of the clustering metrics: scikit-learn over all features of the epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.epoch_metric import EpochMetric
from oxignite.metrics.metric import _CPU, _identity


def _require_sklearn() -> None:
    try:
        import sklearn.metrics  # noqa: F401
    except ImportError:
        raise ModuleNotFoundError("This module requires scikit-learn to be installed.") from None


def _sklearn_score(name: str, features: torch.Tensor, labels: torch.Tensor, **kwargs: Any) -> float:
    """``sklearn.metrics.<name>(features, labels)``; NaN when it is undefined (fewer than 2
    clusters, or as many clusters as samples)."""
    import sklearn.metrics

    n_clusters = len(torch.unique(labels.detach()))
    if n_clusters < 2 or n_clusters >= len(labels):
        return float("nan")
    score_fn = getattr(sklearn.metrics, name)
    return score_fn(features.detach().cpu().numpy(), labels.detach().cpu().numpy(), **kwargs)


class _ClusteringMetricBase(EpochMetric):
    """``update`` takes ``(features, labels)``: ``(N, n_features)`` and ``(N,)``."""

    required_output_keys = ("features", "labels")

    def __init__(
        self,
        compute_fn: Callable[[torch.Tensor, torch.Tensor], float],
        output_transform: Callable[..., Any] = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        _require_sklearn()
        super().__init__(compute_fn, output_transform, check_compute_fn, device, skip_unrolling)

    def _check_shape(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        features, labels = output
        if features.ndimension() != 2:
            raise ValueError("Features should be of shape (batch_size, n_targets).")
        if labels.ndimension() != 1:
            raise ValueError("Labels should be of shape (batch_size, ).")

    def _check_type(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        if len(self._predictions) < 1:
            return
        features, labels = output
        if self._predictions[-1].dtype != features.dtype:
            raise ValueError(
                "Incoherent types between input features and stored features: "
                f"{self._predictions[-1].dtype} vs {features.dtype}"
            )
        if self._targets[-1].dtype != labels.dtype:
            raise ValueError(
                "Incoherent types between input labels and stored labels: "
                f"{self._targets[-1].dtype} vs {labels.dtype}"
            )

    def compute(self) -> float:
        if len(self._predictions) < 1 or len(self._targets) < 1:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        return super().compute()
