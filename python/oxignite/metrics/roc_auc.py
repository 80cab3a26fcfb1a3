"""Area under the ROC curve and the ROC curve itself (computed by scikit-learn)."""

from __future__ import annotations

from typing import Any

import torch

from oxignite.metrics._sklearn import to_numpy_pair
from oxignite.metrics._sklearn_epoch_metric import SklearnEpochMetric

__all__ = ["ROC_AUC", "RocCurve", "roc_auc_compute_fn", "roc_auc_curve_compute_fn"]

_NEEDS_SKLEARN = "This contrib module requires scikit-learn to be installed."


def roc_auc_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
    """``sklearn.metrics.roc_auc_score(y_targets, y_preds)``."""
    from sklearn.metrics import roc_auc_score

    return roc_auc_score(*to_numpy_pair(y_preds, y_targets))


def roc_auc_curve_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> tuple[Any, ...]:
    """``sklearn.metrics.roc_curve(y_targets, y_preds)``: (fpr, tpr, thresholds) arrays."""
    from sklearn.metrics import roc_curve

    return roc_curve(*to_numpy_pair(y_preds, y_targets))


class ROC_AUC(SklearnEpochMetric):
    """Area under the receiver operating characteristic curve, over the whole epoch
    (``sklearn.metrics.roc_auc_score``; needs scikit-learn).

    Inputs: ``y_pred`` scores/probabilities and ``y`` 0/1 targets, of shape ``(N,)``,
    ``(N, 1)`` (binary) or ``(N, C)`` (multilabel).

    Example::

        import torch
        from oxignite.metrics import ROC_AUC

        roc_auc = ROC_AUC()
        roc_auc.update((torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])))
        assert roc_auc.compute() == 0.75
    """

    _sklearn_name = "roc_auc_score"
    _missing_message = _NEEDS_SKLEARN
    _compute_fn = staticmethod(roc_auc_compute_fn)


class RocCurve(SklearnEpochMetric):
    """The ROC curve over the whole epoch (``sklearn.metrics.roc_curve``; needs
    scikit-learn): ``compute()`` returns ``(fpr, tpr, thresholds)`` float64 tensors.

    Inputs: ``y_pred`` scores of shape ``(N,)`` or ``(N, 1)``, ``y`` 0/1 targets.

    Example::

        import torch
        from oxignite.metrics import RocCurve

        curve = RocCurve()
        curve.update((torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])))
        fpr, tpr, thresholds = curve.compute()
    """

    _sklearn_name = "roc_curve"
    _missing_message = _NEEDS_SKLEARN
    _compute_fn = staticmethod(roc_auc_curve_compute_fn)

    def compute(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # type: ignore[override]
        return self._on_rank_zero(self._curve)
