"""FID: Fréchet distance between the feature distributions of real and generated images."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.gan.utils import InceptionModel, _BaseInceptionMetric
from oxignite.metrics.metric import _CPU, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["FID"]


def _require_scipy(who: str = "This module") -> None:
    """numpy and scipy, or ignite's error naming ``who`` needs them."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        raise ModuleNotFoundError(f"{who} requires numpy to be installed.") from None
    try:
        import scipy.linalg  # noqa: F401
    except ImportError:
        raise ModuleNotFoundError(f"{who} requires scipy to be installed.") from None


def fid_score(
    mu1: torch.Tensor,
    mu2: torch.Tensor,
    sigma1: torch.Tensor,
    sigma2: torch.Tensor,
    eps: float = 1e-6,
) -> float:
    """``|mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr(sqrt(sigma1 sigma2))``."""
    _require_scipy("fid_score")
    import numpy as np
    import scipy.linalg

    mu1, mu2 = mu1.detach().cpu(), mu2.detach().cpu()
    sigma1, sigma2 = sigma1.detach().cpu(), sigma2.detach().cpu()
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1.mm(sigma2).numpy())
    if np.iscomplexobj(covmean):
        # Rounding can give a tiny imaginary part; a large one means the product is wrong.
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"Imaginary component {np.max(np.abs(covmean.imag))}")
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    if not np.isfinite(covmean).all():
        tr_covmean = np.sum(np.sqrt(np.diag(sigma1) * eps * (np.diag(sigma2) * eps) / (eps * eps)))
    return float(diff.dot(diff).item() + torch.trace(sigma1) + torch.trace(sigma2) - 2 * tr_covmean)


class FID(_BaseInceptionMetric):
    r"""Fréchet Inception Distance between real (``y``) and generated (``y_pred``) images.

    The features of both sets are summarized by their mean and covariance (accumulated as
    sums, so the value across processes is exact); ``compute`` needs scipy.

    ``update`` takes ``(y_pred, y)``: two batches of the same size that ``feature_extractor``
    turns into ``(N, num_features)`` features.

    Args:
        num_features: size of the features. With neither ``num_features`` nor
            ``feature_extractor``, torchvision's Inception-v3 is used (1000 outputs).
        feature_extractor: a ``torch.nn.Module``; default: the identity (inputs are
            already features) when ``num_features`` is given.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.gan import FID

        metric = FID(num_features=8, feature_extractor=torch.nn.Linear(32, 8))
        metric.update((torch.rand(16, 32), torch.rand(16, 32)))
        value = metric.compute()
    """

    _state_dict_all_req_keys = (
        "_num_examples",
        "_train_total",
        "_test_total",
        "_train_sigma",
        "_test_sigma",
    )

    def __init__(
        self,
        num_features: int | None = None,
        feature_extractor: torch.nn.Module | None = None,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        _require_scipy()
        if num_features is None and feature_extractor is None:
            num_features = 1000
            feature_extractor = InceptionModel(return_features=False, device=device)
        self._eps = 1e-6
        super().__init__(num_features, feature_extractor, output_transform, device)

    @reinit__is_reduced
    def reset(self) -> None:
        n, dtype, device = self._num_features, self._double_dtype, self._device
        self._train_sigma = torch.zeros((n, n), dtype=dtype, device=device)
        self._train_total = torch.zeros(n, dtype=dtype, device=device)
        self._test_sigma = torch.zeros((n, n), dtype=dtype, device=device)
        self._test_total = torch.zeros(n, dtype=dtype, device=device)
        self._num_examples: int = 0

    def _get_covariance(self, sigma: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
        """Unbiased covariance from ``sum(x x^T)`` and ``sum(x)``."""
        n = self._num_examples
        return (sigma - torch.outer(total, total) / n) / (n - 1)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        train, test = output
        train_features = self._extract_features(train)
        test_features = self._extract_features(test)
        if train_features.shape != test_features.shape:
            raise ValueError(
                "Number of Training Features and Testing Features should be equal "
                f"({train_features.shape} != {test_features.shape})"
            )
        # One matrix product per batch instead of one outer product per sample.
        self._train_total += train_features.sum(dim=0)
        self._train_sigma += train_features.T @ train_features
        self._test_total += test_features.sum(dim=0)
        self._test_sigma += test_features.T @ test_features
        self._num_examples += train_features.shape[0]

    @sync_all_reduce("_num_examples", "_train_total", "_test_total", "_train_sigma", "_test_sigma")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "FID must have at least one example before it can be computed."
            )
        fid = fid_score(
            mu1=self._train_total / self._num_examples,
            mu2=self._test_total / self._num_examples,
            sigma1=self._get_covariance(self._train_sigma, self._train_total),
            sigma2=self._get_covariance(self._test_sigma, self._test_total),
            eps=self._eps,
        )
        if not torch.isfinite(torch.tensor(fid)):
            warnings.warn(
                "The product of covariance of train and test features is out of bounds.",
                stacklevel=2,
            )
        return fid
