"""Precision-recall curve over the whole epoch (computed by scikit-learn)."""

from __future__ import annotations

from typing import Any

import torch

from oxignite.metrics._sklearn import to_numpy_pair
from oxignite.metrics._sklearn_epoch_metric import SklearnEpochMetric

__all__ = ["PrecisionRecallCurve", "precision_recall_curve_compute_fn"]


def precision_recall_curve_compute_fn(
    y_preds: torch.Tensor, y_targets: torch.Tensor
) -> tuple[Any, Any, Any]:
    """``sklearn.metrics.precision_recall_curve(y_targets, y_preds)``."""
    from sklearn.metrics import precision_recall_curve

    return precision_recall_curve(*to_numpy_pair(y_preds, y_targets))


class PrecisionRecallCurve(SklearnEpochMetric):
    """Precision-recall pairs for every threshold, over the whole epoch
    (``sklearn.metrics.precision_recall_curve``; needs scikit-learn): ``compute()``
    returns ``(precision, recall, thresholds)`` float64 tensors.

    Inputs: ``y_pred`` scores of shape ``(N,)`` or ``(N, 1)``, ``y`` 0/1 targets.

    Example::

        import torch
        from oxignite.metrics import PrecisionRecallCurve

        pr = PrecisionRecallCurve()
        pr.update((torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])))
        precision, recall, thresholds = pr.compute()
    """

    _sklearn_name = "precision_recall_curve"
    _missing_message = "This module requires scikit-learn to be installed."
    _compute_fn = staticmethod(precision_recall_curve_compute_fn)

    def compute(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # type: ignore[override]
        if self._result is None:
            self._result = self._on_rank_zero(self._curve)
        return self._result
