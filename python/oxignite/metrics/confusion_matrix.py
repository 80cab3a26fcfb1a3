"""Confusion matrix for multiclass classification/segmentation, and metrics derived from it."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.metrics_lambda import MetricsLambda

__all__ = [
    "ConfusionMatrix",
    "DiceCoefficient",
    "IoU",
    "JaccardIndex",
    "cmAccuracy",
    "cmPrecision",
    "cmRecall",
    "mIoU",
]


class ConfusionMatrix(Metric):
    """``num_classes x num_classes`` matrix whose entry ``[i, j]`` counts samples of true class
    ``i`` predicted as class ``j`` (predicted class = ``argmax(y_pred, dim=1)``).

    Args:
        num_classes: number of classes (> 1). Targets outside ``[0, num_classes)`` are ignored.
        average: ``None`` -> counts (int64); ``"samples"`` -> divided by the number of samples;
            ``"recall"`` -> rows normalized; ``"precision"`` -> columns normalized.
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric` (True by default, as in ignite).

    Inputs: ``y_pred`` of shape ``(N, C, ...)`` scores, ``y`` of shape ``(N, ...)`` indices.

    Example::

        import torch
        from oxignite.metrics import ConfusionMatrix

        cm = ConfusionMatrix(num_classes=2)
        cm.update((torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([1, 1])))
        print(cm.compute())  # tensor([[0, 0], [1, 1]])
    """

    _state_dict_all_req_keys = ("confusion_matrix", "_num_examples")

    def __init__(
        self,
        num_classes: int,
        average: str | None = None,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = True,
    ) -> None:
        if average is not None and average not in ("samples", "recall", "precision"):
            raise ValueError("Argument average can None or one of 'samples', 'recall', 'precision'")
        if num_classes <= 1:
            raise ValueError(f"Argument num_classes needs to be > 1, got {num_classes}")
        self.num_classes = num_classes
        self._num_examples = 0
        self.average = average
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        n = self.num_classes
        self.confusion_matrix = torch.zeros(n, n, dtype=torch.int64, device=self._device)
        self._num_examples = 0
        self._checked_shapes: tuple | None = None

    def _check_shape(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        expected = f"(batch_size, num_classes (currently set to {self.num_classes}), ...)"
        if y_pred.ndimension() < 2:
            raise ValueError(f"y_pred must have shape {expected}, but given {tuple(y_pred.shape)}")
        if y_pred.shape[1] != self.num_classes:
            raise ValueError(
                f"y_pred does not have correct number of classes: {y_pred.shape[1]} vs "
                f"{self.num_classes}"
            )
        if y.ndimension() + 1 != y_pred.ndimension():
            raise ValueError(
                f"y_pred must have shape {expected} and y must have shape of (batch_size, ...), "
                f"but given {tuple(y.shape)} vs {tuple(y_pred.shape)}."
            )
        if tuple(y.shape) != (y_pred.shape[0],) + tuple(y_pred.shape[2:]):
            raise ValueError(
                f"y and y_pred must have compatible shapes, but given {tuple(y.shape)} vs "
                f"{tuple(y_pred.shape)}."
            )

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        # No detach: argmax and the labels are integer tensors, which carry no graph.
        y_pred, y = output[0], output[1]
        shapes = (y_pred.shape, y.shape)
        if shapes != self._checked_shapes:  # the checks depend on the shapes only
            self._check_shape(y_pred, y)
            self._checked_shapes = shapes
        self._num_examples += y_pred.shape[0]

        y_pred = torch.argmax(y_pred, dim=1).flatten()
        y = y.flatten()
        valid = (y >= 0) & (y < self.num_classes)
        y, y_pred = y[valid], y_pred[valid]
        if y.dtype != torch.int64:
            y = y.long()
        # Encode (true, pred) pairs as one index so a single bincount fills the matrix.
        indices = self.num_classes * y + y_pred
        counts = torch.bincount(indices, minlength=self.num_classes**2)
        matrix = self.confusion_matrix
        if counts.device != matrix.device:
            counts = counts.to(matrix)
        matrix += counts.reshape(self.num_classes, self.num_classes)

    @sync_all_reduce("confusion_matrix", "_num_examples")
    def compute(self) -> torch.Tensor:
        if self._num_examples == 0:
            raise NotComputableError(
                "Confusion matrix must have at least one example before it can be computed."
            )
        if not self.average:
            return self.confusion_matrix
        matrix = self.confusion_matrix.float()
        if self.average == "samples":
            return matrix / self._num_examples
        return self.normalize(matrix, self.average)

    @staticmethod
    def normalize(matrix: torch.Tensor, average: str) -> torch.Tensor:
        """Normalize rows (``"recall"``) or columns (``"precision"``) of ``matrix``."""
        if average == "recall":
            return matrix / (matrix.sum(dim=1).unsqueeze(1) + 1e-15)
        if average == "precision":
            return matrix / (matrix.sum(dim=0) + 1e-15)
        raise ValueError("Argument average should be one of 'samples', 'recall', 'precision'")


def _check_cm(cm: ConfusionMatrix, ignore_index: int | None) -> None:
    if not isinstance(cm, ConfusionMatrix):
        raise TypeError(f"Argument cm should be instance of ConfusionMatrix, but given {type(cm)}")
    if ignore_index is not None and not (
        isinstance(ignore_index, numbers.Integral) and 0 <= ignore_index < cm.num_classes
    ):
        raise ValueError(
            f"ignore_index should be integer and in the range of [0, {cm.num_classes}), "
            f"but given {ignore_index}"
        )


def _drop_index(metric: MetricsLambda, ignore_index: int | None) -> MetricsLambda:
    if ignore_index is None:
        return metric

    def drop(vector: torch.Tensor) -> torch.Tensor:
        keep = [i for i in range(len(vector)) if i != ignore_index]
        return vector[keep]

    return MetricsLambda(drop, metric)


def IoU(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    """Per-class intersection over union from a confusion matrix.

    Example::

        cm = ConfusionMatrix(num_classes=3)
        IoU(cm).attach(evaluator, "IoU")
    """
    _check_cm(cm, ignore_index)
    if cm.average not in (None, "samples"):
        raise ValueError("ConfusionMatrix should have average attribute either None or 'samples'")
    m = cm.to(torch.double)
    iou = m.diag() / (m.sum(dim=1) + m.sum(dim=0) - m.diag() + 1e-15)
    return _drop_index(iou, ignore_index)


def mIoU(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    """Mean IoU over classes. Example: ``mIoU(ConfusionMatrix(3)).attach(evaluator, "mIoU")``"""
    return IoU(cm=cm, ignore_index=ignore_index).mean()


def JaccardIndex(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    """Same as :func:`IoU`."""
    return IoU(cm, ignore_index)


def DiceCoefficient(cm: ConfusionMatrix, ignore_index: int | None = None) -> MetricsLambda:
    """Per-class Dice coefficient. Example: ``DiceCoefficient(ConfusionMatrix(3))``"""
    _check_cm(cm, ignore_index)
    m = cm.to(torch.double)
    dice = 2.0 * m.diag() / (m.sum(dim=1) + m.sum(dim=0) + 1e-15)
    return _drop_index(dice, ignore_index)


def cmAccuracy(cm: ConfusionMatrix) -> MetricsLambda:
    """Accuracy from a confusion matrix. Example: ``cmAccuracy(ConfusionMatrix(3))``"""
    m = cm.to(torch.double)
    return m.diag().sum() / (m.sum() + 1e-15)


def cmPrecision(cm: ConfusionMatrix, average: bool = True) -> MetricsLambda:
    """(Mean) per-class precision. Example: ``cmPrecision(ConfusionMatrix(3), average=False)``"""
    m = cm.to(torch.double)
    precision = m.diag() / (m.sum(dim=0) + 1e-15)
    return precision.mean() if average else precision


def cmRecall(cm: ConfusionMatrix, average: bool = True) -> MetricsLambda:
    """(Mean) per-class recall. Example: ``cmRecall(ConfusionMatrix(3), average=False)``"""
    m = cm.to(torch.double)
    recall = m.diag() / (m.sum(dim=1) + 1e-15)
    return recall.mean() if average else recall
