"""InceptionScore: exp of the mean KL divergence between p(y|x) and p(y)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.gan.utils import InceptionModel, _BaseInceptionMetric
from oxignite.metrics.metric import _CPU, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["InceptionScore"]


class InceptionScore(_BaseInceptionMetric):
    r"""Inception Score ``exp(E_x KL(p(y|x) || p(y)))`` of generated images.

    ``update`` takes a batch of images (or of anything ``feature_extractor`` turns into
    class probabilities of shape ``(N, num_features)``). The state is sums, so the value across
    processes is exact.

    Args:
        num_features: number of classes. With neither ``num_features`` nor
            ``feature_extractor``, torchvision's Inception-v3 is used (1000 classes).
        feature_extractor: a ``torch.nn.Module`` returning probabilities; default the identity
            (inputs are already probabilities) when ``num_features`` is given.
        output_transform: turns the engine's output into the batch.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.gan import InceptionScore

        model = torch.nn.Sequential(torch.nn.Linear(32, 10), torch.nn.Softmax(dim=1))
        metric = InceptionScore(num_features=10, feature_extractor=model)
        metric.update(torch.rand(16, 32))
        value = metric.compute()
    """

    _state_dict_all_req_keys = ("_num_examples", "_prob_total", "_total_kl_d")

    def __init__(
        self,
        num_features: int | None = None,
        feature_extractor: torch.nn.Module | None = None,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        if num_features is None and feature_extractor is None:
            num_features = 1000
            feature_extractor = InceptionModel(return_features=False, device=device)
        self._eps = 1e-16
        super().__init__(num_features, feature_extractor, output_transform, device)

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_examples = 0
        self._prob_total = torch.zeros(
            self._num_features, dtype=self._double_dtype, device=self._device
        )
        self._total_kl_d = torch.zeros(
            self._num_features, dtype=self._double_dtype, device=self._device
        )

    @reinit__is_reduced
    def update(self, output: torch.Tensor) -> None:
        probabilities = self._extract_features(output)
        log_prob = torch.log(probabilities + self._eps).to(probabilities)
        self._num_examples += probabilities.shape[0]
        self._prob_total += torch.sum(probabilities, 0, dtype=self._double_dtype)
        self._total_kl_d += torch.sum(probabilities * log_prob, 0, dtype=self._double_dtype)

    @sync_all_reduce("_num_examples", "_prob_total", "_total_kl_d")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "InceptionScore must have at least one example before it can be computed."
            )
        mean_probs = self._prob_total / self._num_examples
        log_mean_probs = torch.log(mean_probs + self._eps).to(self._prob_total)
        # sum_x KL(p(y|x) || p(y)) = sum_x sum_y p log p - sum_y (sum_x p) log p(y)
        excess_entropy = self._prob_total * log_mean_probs
        avg_kl_d = torch.sum(self._total_kl_d - excess_entropy) / self._num_examples
        return torch.exp(avg_kl_d).item()
