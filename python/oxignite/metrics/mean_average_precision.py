"""Mean average precision for classification (ranking of the scores of every class)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

import oxignite.distributed as idist
from oxignite.metrics.accuracy import _BaseClassification
from oxignite.metrics.metric import _CPU, _identity, reinit__is_reduced

__all__ = ["MeanAveragePrecision"]

_CLASS_MEANS = ("micro", "macro", "weighted")


class _BaseAveragePrecision:
    """Recall thresholds, class averaging and the AP sum, shared with the detection metrics.

    Args:
        rec_thresholds: recall values at which precision is read (interpolated AP, as COCO);
            ``None``: every recall step (sklearn's ``average_precision_score``).
        class_mean: ``"micro"``, ``"macro"``, ``"weighted"`` or ``None`` (per class).
        device: device of the thresholds.
    """

    def __init__(
        self,
        rec_thresholds: Sequence[float] | torch.Tensor | None = None,
        class_mean: str | None = "macro",
        device: str | torch.device = _CPU,
    ) -> None:
        self._device = torch.device(device)
        self._fp_precision = torch.float32 if self._device.type == "mps" else torch.float64
        self.rec_thresholds: torch.Tensor | None = None
        if rec_thresholds is not None:
            self.rec_thresholds = self._setup_thresholds(rec_thresholds, "rec_thresholds")
        if class_mean is not None and class_mean not in _CLASS_MEANS:
            raise ValueError(f"Wrong `class_mean` parameter, given {class_mean}")
        self.class_mean = class_mean

    def _setup_thresholds(
        self, thresholds: Sequence[float] | torch.Tensor, threshold_type: str
    ) -> torch.Tensor:
        if isinstance(thresholds, Sequence):
            thresholds = torch.tensor(thresholds)
        if not isinstance(thresholds, torch.Tensor):
            raise TypeError(
                f"{threshold_type} should be a sequence of floats or a tensor, "
                f"given {type(thresholds)}."
            )
        if thresholds.ndim != 1:
            raise ValueError(
                f"{threshold_type} should be a one-dimensional tensor or a sequence of floats, "
                f"given a {thresholds.ndim}-dimensional tensor."
            )
        thresholds = thresholds.sort().values
        if min(thresholds) < 0 or max(thresholds) > 1:
            raise ValueError(
                f"{threshold_type} values should be between 0 and 1, given {thresholds}"
            )
        return thresholds.to(self._device, dtype=self._fp_precision)

    def _compute_average_precision(
        self, recall: torch.Tensor, precision: torch.Tensor
    ) -> torch.Tensor:
        """``sum_k (r_k - r_{k-1}) p_k`` over the last dimension (recall ascending)."""
        if self.rec_thresholds is not None:
            # Precision at the first recall >= each threshold; 0 past the last recall.
            thresholds = self.rec_thresholds.repeat((*recall.shape[:-1], 1))
            idx = torch.searchsorted(recall, thresholds)
            beyond = idx == recall.size(-1)
            precision = precision.take_along_dim(idx.where(~beyond, 0), dim=-1).where(~beyond, 0)
            recall = thresholds
        start = torch.zeros((*recall.shape[:-1], 1), device=recall.device, dtype=self._fp_precision)
        return torch.sum(recall.diff(dim=-1, prepend=start) * precision, dim=-1)


def _cat_and_agg_tensors(
    tensors: list[torch.Tensor],
    tensor_shape_except_last_dim: tuple[int, ...],
    dtype: torch.dtype,
    device: str | torch.device,
) -> torch.Tensor:
    """Concatenate ``tensors`` along their last dimension, then across processes (rank order).

    Ranks may hold different numbers of items (or none): nothing is padded or duplicated.
    """
    if tensors:
        tensor = torch.cat(tensors, dim=-1)
    else:
        tensor = torch.empty((*tensor_shape_except_last_dim, 0), dtype=dtype, device=device)
    if idist.get_world_size() == 1:
        return tensor
    # all_gather concatenates along the first dimension: move the item dimension there.
    return idist.all_gather(tensor.movedim(-1, 0).contiguous()).movedim(0, -1)


class MeanAveragePrecision(_BaseClassification, _BaseAveragePrecision):
    """Average precision of each class's scores (area under its precision-recall curve, as
    ``sklearn.metrics.average_precision_score``), averaged over classes.

    Args:
        rec_thresholds: recall thresholds for interpolated AP (``None``: exact AP).
        class_mean: ``"macro"`` (mean over classes), ``"micro"`` (all classes pooled),
            ``"weighted"`` (weighted by the number of positives) or ``None`` (per-class tensor).
        is_multilabel: multilabel ``(N, C, ...)`` 0/1 targets.
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the stored scores.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Inputs: float scores ``y_pred``; binary: ``y_pred`` and ``y`` ``(N, ...)``; multiclass:
    ``y_pred`` ``(N, C, ...)`` and ``y`` ``(N, ...)`` indices; multilabel: both ``(N, C, ...)``.

    Example::

        import torch
        from oxignite.metrics import MeanAveragePrecision

        mean_ap = MeanAveragePrecision()
        mean_ap.update((torch.tensor([[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]]), torch.tensor([0, 1, 1])))
        print(mean_ap.compute())
    """

    _y_pred: list[torch.Tensor]
    _y_true: list[torch.Tensor]

    def __init__(
        self,
        rec_thresholds: Sequence[float] | torch.Tensor | None = None,
        class_mean: str | None = "macro",
        is_multilabel: bool = False,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )
        _BaseAveragePrecision.__init__(
            self, rec_thresholds=rec_thresholds, class_mean=class_mean, device=device
        )

    @reinit__is_reduced
    def reset(self) -> None:
        super().reset()
        self._y_pred = []
        self._y_true = []

    def _check_binary_values(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        # Scores are probabilities here: only the targets must be 0/1.
        if not torch.equal(y, y**2):
            raise ValueError("For binary cases, y must be comprised of 0's and 1's.")

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        super()._check_type(output)
        y_pred, y = output
        if y_pred.dtype in (torch.int, torch.long):
            raise TypeError(f"`y_pred` should be a float tensor, given {y_pred.dtype}")
        if self._type == "multiclass" and y.dtype != torch.long:
            warnings.warn(
                "`y` should be of dtype long when entry type is multiclass",
                RuntimeWarning,
                stacklevel=3,
            )

    def _prepare_output(self, output: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores as ``(num_classes, items)``; targets as ``(num_classes, items)`` 0/1
        (binary/multilabel) or ``(items,)`` class indices (multiclass)."""
        y_pred, y = output[0].detach(), output[1].detach()
        if self._type == "binary":
            return y_pred.view(1, -1), y.view(1, -1)
        num_classes = y_pred.size(1)
        scores = torch.transpose(y_pred, 1, 0).reshape(num_classes, -1)
        if self._type == "multilabel":
            return scores, torch.transpose(y, 1, 0).reshape(num_classes, -1)
        if y.max() + 1 > num_classes:
            raise ValueError(
                "y_pred contains fewer classes than y. Number of classes in prediction is "
                f"{num_classes} and an element in y has invalid class = {y.max().item() + 1}."
            )
        return scores, y.view(-1)

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._check_shape(output)
        self._check_type(output)
        scores, targets = self._prepare_output(output)
        self._y_pred.append(scores.to(self._device, dtype=self._fp_precision))
        target_dtype = torch.long if self._type == "multiclass" else torch.uint8
        self._y_true.append(targets.to(self._device, dtype=target_dtype))

    def _compute_recall_and_precision(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, y_true_positive_count: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Recall and precision at each distinct score, scores descending (as sklearn)."""
        order = torch.argsort(y_pred, stable=True, descending=True)
        tp = y_true[order].cumsum(dim=0).to(self._fp_precision)
        sorted_scores = y_pred[order]
        # Last position of each run of equal scores: one threshold per distinct score.
        ends = torch.nonzero(
            sorted_scores.diff(append=(y_pred.max() + 1).unsqueeze(dim=0)), as_tuple=True
        )[0]
        tp = tp[..., ends]
        fp = (ends + 1) - tp
        if y_true_positive_count == 0:
            # sklearn's convention when a class has no positive.
            recall = torch.ones_like(tp, device=self._device, dtype=torch.float)
        else:
            recall = tp / y_true_positive_count
        predicted_positive = tp + fp
        precision = tp / torch.where(predicted_positive == 0, 1, predicted_positive)
        return recall, precision

    def compute(self) -> torch.Tensor | float:
        if self._num_classes is None:
            raise RuntimeError("Metric could not be computed without any update method call")
        num_classes = self._num_classes
        multiclass = self._type == "multiclass"
        y_true = _cat_and_agg_tensors(
            self._y_true,
            () if multiclass else (num_classes,),
            torch.long if multiclass else torch.uint8,
            self._device,
        )
        y_pred = _cat_and_agg_tensors(
            self._y_pred, (num_classes,), self._fp_precision, self._device
        )
        if multiclass:
            y_true = F.one_hot(y_true, num_classes=num_classes).to(torch.uint8).T
        if self.class_mean == "micro":
            y_true = y_true.reshape(1, -1)
            y_pred = y_pred.reshape(1, -1)
        positives = y_true.sum(dim=-1)
        average_precisions = torch.zeros_like(
            positives, device=self._device, dtype=self._fp_precision
        )
        for cls in range(positives.size(0)):
            recall, precision = self._compute_recall_and_precision(
                y_true[cls], y_pred[cls], positives[cls]
            )
            average_precisions[cls] = self._compute_average_precision(recall, precision)
        if self._type == "binary":
            return average_precisions.item()
        if self.class_mean is None:
            return average_precisions
        if self.class_mean == "weighted":
            return torch.sum(positives * average_precisions) / positives.sum()
        return average_precisions.mean()
