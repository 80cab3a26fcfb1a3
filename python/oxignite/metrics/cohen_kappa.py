"""Cohen's kappa: agreement between predicted and true labels beyond chance."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from oxignite.exceptions import NotComputableError
from oxignite.metrics.confusion_matrix import ConfusionMatrix
from oxignite.metrics.epoch_metric import EpochMetric
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced

__all__ = ["CohenKappa"]

_WEIGHTS = (None, "linear", "quadratic")


def _kappa_from_conf(conf: torch.Tensor, weights: str | None) -> float:
    """Kappa of a (true x predicted) count matrix, with sklearn's definition of weights."""
    n = conf.sum()
    if n == 0:
        raise NotComputableError(
            "CohenKappa cannot be computed on an empty confusion matrix (n == 0)."
        )
    row = conf.sum(dim=1)
    col = conf.sum(dim=0)
    if weights is None:
        p_o = conf.trace() / n
        p_e = (row * col).sum() / (n * n)
    else:
        idx = torch.arange(conf.shape[0], device=conf.device)
        distance = (idx.unsqueeze(0) - idx.unsqueeze(1)).abs().to(conf.dtype)
        w = distance if weights == "linear" else distance**2
        w = w / w.max()
        expected = row.unsqueeze(1) * col.unsqueeze(0) / n
        p_o = 1 - (w * conf).sum() / n
        p_e = 1 - (w * expected).sum() / n
    return ((p_o - p_e) / (1 - p_e).clamp(min=1e-9)).item()


def _squeeze_pair(output: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred, y = output[0].detach(), output[1].detach()
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred.squeeze(dim=-1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.squeeze(dim=-1)
    return y_pred, y


def _check_not_multilabel(y_pred: torch.Tensor, y: torch.Tensor) -> None:
    if y_pred.ndim > 1 or y.ndim > 1:
        raise ValueError("multilabel-indicator is not supported")


class _CohenKappaEpochMetric(EpochMetric):
    """Keeps every label of the epoch; the number of classes is read from the data.

    Named as in ignite: its "must have at least one example" error carries the class name.
    """

    def __init__(self, weights: str | None, **kwargs) -> None:
        self._weights = weights
        super().__init__(self._kappa, **kwargs)

    def _kappa(self, y_pred: torch.Tensor, y: torch.Tensor) -> float:
        # Plain tensor ops only: this runs on rank 0 alone, a collective would deadlock.
        _check_not_multilabel(y_pred, y)
        num_classes = int(max(y_pred.max().item(), y.max().item())) + 1
        indices = num_classes * y.long() + y_pred.long()
        conf = torch.bincount(indices, minlength=num_classes**2)
        conf = conf.reshape(num_classes, num_classes).to(self._double_dtype)
        return _kappa_from_conf(conf, self._weights)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        super().update(_squeeze_pair(output))


class _CohenKappaConfusionMatrix(Metric):
    """Accumulates a confusion matrix of known size: constant memory, summed across ranks."""

    _state_dict_all_req_keys = ("_cm",)

    def __init__(self, num_classes: int, weights: str | None, **kwargs) -> None:
        self._weights = weights
        self._cm = ConfusionMatrix(num_classes=num_classes, **kwargs)
        super().__init__(**kwargs)

    @reinit__is_reduced
    def reset(self) -> None:
        self._cm.reset()

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = _squeeze_pair(output)
        _check_not_multilabel(y_pred, y)
        one_hot = F.one_hot(y_pred.long(), self._cm.num_classes).float().to(self._device)
        self._cm.update((one_hot, y.long().to(self._device)))

    def compute(self) -> float:
        return _kappa_from_conf(self._cm.compute().to(self._double_dtype), self._weights)


class CohenKappa(Metric):
    """Cohen's kappa (``sklearn.metrics.cohen_kappa_score``) of predicted vs true labels.

    Args:
        output_transform: see :class:`~oxignite.metrics.Metric`.
        weights: ``None`` (unweighted), ``"linear"`` or ``"quadratic"``.
        check_compute_fn: without ``num_classes``, check the computation on the first batch.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.
        num_classes: when given, a ``num_classes x num_classes`` confusion matrix is
            accumulated (constant memory); otherwise every label of the epoch is kept.

    Inputs: ``y_pred`` and ``y`` integer labels of shape ``(N,)`` or ``(N, 1)``.

    Example::

        import torch
        from oxignite.metrics import CohenKappa

        kappa = CohenKappa(num_classes=3)
        kappa.update((torch.tensor([2, 0, 2, 2, 0, 1]), torch.tensor([0, 0, 2, 2, 0, 2])))
        print(kappa.compute())  # 0.4285...
    """

    # ignite 0.5.5 requires (and saves) no key, so its file holds no state: the inner
    # metric's state is saved as an extra key (see Metric), and an ignite file, without it,
    # changes nothing, as in ignite.
    _state_dict_all_req_keys = ()
    _state_dict_extra_keys = ("_impl",)

    def __init__(
        self,
        output_transform: Callable = _identity,
        weights: str | None = None,
        check_compute_fn: bool = False,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
        num_classes: int | None = None,
    ) -> None:
        if weights not in _WEIGHTS:
            raise ValueError("Kappa Weighting type must be None or linear or quadratic.")
        self.weights = weights
        common = {
            "output_transform": output_transform,
            "device": device,
            "skip_unrolling": skip_unrolling,
        }
        if num_classes is not None:
            self._impl: Metric = _CohenKappaConfusionMatrix(num_classes, weights, **common)
        else:
            self._impl = _CohenKappaEpochMetric(
                weights, check_compute_fn=check_compute_fn, **common
            )
        super().__init__(**common)

    @reinit__is_reduced
    def reset(self) -> None:
        self._impl.reset()

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._impl.update(output)

    def compute(self) -> float:
        return self._impl.compute()
