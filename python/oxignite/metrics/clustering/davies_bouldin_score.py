"""DaviesBouldinScore: scikit-learn's ``davies_bouldin_score`` over the whole epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oxignite.metrics.clustering._base import _ClusteringMetricBase, _sklearn_score
from oxignite.metrics.metric import _CPU, _identity

__all__ = ["DaviesBouldinScore"]


def _davies_bouldin_score(features: torch.Tensor, labels: torch.Tensor) -> float:
    return _sklearn_score("davies_bouldin_score", features, labels)


class DaviesBouldinScore(_ClusteringMetricBase):
    r"""Davies-Bouldin score: mean similarity of each cluster with its most similar one; lower is better.

    ``update`` takes ``(features, labels)`` (or a mapping with these keys): features of shape
    ``(N, n_features)`` and cluster labels of shape ``(N,)``. All of them are stored and
    gathered across processes; the value is NaN with fewer than 2 clusters or as many
    clusters as samples. Needs scikit-learn.

    Args:
        output_transform: turns the engine's output into ``(features, labels)``.
        check_compute_fn: run the score on the first batch and warn if it fails.
        device: device on which features and labels are stored.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics.clustering import DaviesBouldinScore

        metric = DaviesBouldinScore()
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
    ) -> None:
        super().__init__(
            _davies_bouldin_score, output_transform, check_compute_fn, device, skip_unrolling
        )
