"""Matthews correlation coefficient over the whole epoch (computed by scikit-learn)."""

from __future__ import annotations

import torch

from oxignite.metrics._sklearn import to_numpy_pair
from oxignite.metrics._sklearn_epoch_metric import SklearnEpochMetric

__all__ = ["MatthewsCorrCoef", "matthews_corrcoef_compute_fn"]


def matthews_corrcoef_compute_fn(y_preds: torch.Tensor, y_targets: torch.Tensor) -> float:
    """``sklearn.metrics.matthews_corrcoef`` after turning 2-d scores/one-hots into labels."""
    from sklearn.metrics import matthews_corrcoef

    if y_preds.ndim == 2 and y_targets.ndim == 2:
        y_preds = torch.argmax(y_preds, dim=1)
        y_targets = torch.argmax(y_targets, dim=1)
    elif y_preds.ndim == 2 and y_targets.ndim == 1:
        y_preds = torch.argmax(y_preds, dim=1)
    elif y_preds.ndim == 1 and y_targets.ndim == 2:
        raise ValueError(
            "Incoherent types between input y_pred and stored predictions: "
            "y_pred is 1D while y_target is 2D"
        )
    return matthews_corrcoef(*to_numpy_pair(y_preds, y_targets))


class MatthewsCorrCoef(SklearnEpochMetric):
    """Matthews correlation coefficient over the whole epoch
    (``sklearn.metrics.matthews_corrcoef``; needs scikit-learn).

    Inputs: ``y_pred`` labels ``(N,)`` or scores ``(N, C)`` (argmax is taken); ``y`` labels
    ``(N,)`` or one-hot ``(N, C)``.

    Example::

        import torch
        from oxignite.metrics import MatthewsCorrCoef

        mcc = MatthewsCorrCoef()
        mcc.update((torch.tensor([1, 1, 0, 0]), torch.tensor([1, 0, 0, 0])))
        print(mcc.compute())  # 0.577...
    """

    _sklearn_name = "matthews_corrcoef"
    _missing_message = "This metric module requires scikit-learn to be installed."
    _compute_fn = staticmethod(matthews_corrcoef_compute_fn)
