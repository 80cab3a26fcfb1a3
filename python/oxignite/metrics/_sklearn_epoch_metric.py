"""Base of the epoch metrics computed by scikit-learn (ROC_AUC, RocCurve, AveragePrecision,
PrecisionRecallCurve, MatthewsCorrCoef): ignite's arguments, and scikit-learn checked
when the metric is created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oxignite.metrics._sklearn import require_sklearn_metric
from oxignite.metrics.epoch_metric import EpochMetric
from oxignite.metrics.metric import _CPU, _identity


class SklearnEpochMetric(EpochMetric):
    """Subclasses set ``_sklearn_name`` (the ``sklearn.metrics`` function needed),
    ``_missing_message`` (ignite's error without scikit-learn) and ``_compute_fn``."""

    _sklearn_name: str
    _missing_message: str
    _compute_fn: Callable[[torch.Tensor, torch.Tensor], Any]

    def __init__(
        self,
        output_transform: Callable = _identity,
        check_compute_fn: bool = False,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        require_sklearn_metric(self._sklearn_name, self._missing_message)
        super().__init__(
            self._compute_fn,
            output_transform=output_transform,
            check_compute_fn=check_compute_fn,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    def _curve(self, y_preds: torch.Tensor, y_targets: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The curve metrics' ``compute_fn`` arrays as float64 (``_double_dtype``) tensors."""
        arrays = self.compute_fn(y_preds, y_targets)
        # ``.copy()``: scikit-learn may return reversed views (negative strides).
        return tuple(
            torch.tensor(a.copy(), dtype=self._double_dtype, device=y_preds.device) for a in arrays
        )
