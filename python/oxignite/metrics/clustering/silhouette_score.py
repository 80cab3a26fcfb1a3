"""SilhouetteScore: scikit-learn's ``silhouette_score`` over the whole epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oxignite.metrics.clustering._base import _ClusteringMetricBase, _sklearn_score
from oxignite.metrics.metric import _CPU, _identity

__all__ = ["SilhouetteScore"]


class SilhouetteScore(_ClusteringMetricBase):
    r"""Mean silhouette coefficient of the samples, in [-1, 1]; higher is better.

    ``update`` takes ``(features, labels)`` (or a mapping with these keys): features of shape
    ``(N, n_features)`` and cluster labels of shape ``(N,)``. All of them are stored and
    gathered across processes; the value is NaN with fewer than 2 clusters or as many
    clusters as samples. Needs scikit-learn.

    Args:
        output_transform: turns the engine's output into ``(features, labels)``.
        check_compute_fn: run the score on the first batch and warn if it fails.
        device: device on which features and labels are stored.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.
        silhouette_kwargs: keyword arguments for ``sklearn.metrics.silhouette_score``
            (e.g. ``{"metric": "cosine"}``).

    Example::

        from oxignite.metrics.clustering import SilhouetteScore

        metric = SilhouetteScore()
        features = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
        metric.update((features, torch.tensor([0, 0, 1, 1])))
        value = metric.compute()
    """

    def __init__(
        self,
        output_transform: Callable[..., Any] = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
        silhouette_kwargs: dict | None = None,
    ) -> None:
        self._silhouette_kwargs = {} if silhouette_kwargs is None else silhouette_kwargs
        super().__init__(
            self._silhouette_score, output_transform, check_compute_fn, device, skip_unrolling
        )

    def _silhouette_score(self, features: torch.Tensor, labels: torch.Tensor) -> float:
        return _sklearn_score("silhouette_score", features, labels, **self._silhouette_kwargs)
