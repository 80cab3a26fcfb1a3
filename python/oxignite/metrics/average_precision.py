"""Average precision over the whole epoch (computed by scikit-learn)."""

from __future__ import annotations

import torch

from oxignite.metrics._sklearn import to_numpy_pair
from oxignite.metrics._sklearn_epoch_metric import SklearnEpochMetric

__all__ = ["AveragePrecision", "average_precision_compute_fn"]


def average_precision_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
    """``sklearn.metrics.average_precision_score(y_targets, y_preds)``."""
    from sklearn.metrics import average_precision_score

    return average_precision_score(*to_numpy_pair(y_preds, y_targets))


class AveragePrecision(SklearnEpochMetric):
    """Average precision (area under the precision-recall curve) over the whole epoch
    (``sklearn.metrics.average_precision_score``; needs scikit-learn).

    Inputs: ``y_pred`` scores and ``y`` 0/1 targets of shape ``(N,)``, ``(N, 1)`` (binary)
    or ``(N, C)`` (multilabel, or multiclass with one-hot targets).

    Example::

        import torch
        from oxignite.metrics import AveragePrecision

        ap = AveragePrecision()
        ap.update((torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])))
        print(ap.compute())  # 0.8333...
    """

    _sklearn_name = "average_precision_score"
    _missing_message = "This contrib module requires scikit-learn to be installed."
    _compute_fn = staticmethod(average_precision_compute_fn)
