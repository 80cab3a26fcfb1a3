"""One 2x2 confusion matrix per label, for multilabel classification."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import detached, on_device
from oxignite.metrics.metric import (
    _CPU,
    Metric,
    _identity,
    detaches_inputs,
    reinit__is_reduced,
    sync_all_reduce,
)

__all__ = ["MultiLabelConfusionMatrix"]

_INT_TYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


class MultiLabelConfusionMatrix(Metric):
    """``(num_classes, 2, 2)`` tensor: for each label ``[[tn, fp], [fn, tp]]``, as
    ``sklearn.metrics.multilabel_confusion_matrix``.

    Args:
        num_classes: number of labels (> 1).
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        normalized: divide each 2x2 matrix by its total (float64).
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Inputs: ``y_pred`` and ``y`` integer 0/1 tensors of shape ``(N, num_classes, ...)``.

    Example::

        import torch
        from oxignite.metrics import MultiLabelConfusionMatrix

        cm = MultiLabelConfusionMatrix(num_classes=2)
        cm.update((torch.tensor([[1, 0], [1, 1]]), torch.tensor([[1, 1], [0, 1]])))
        print(cm.compute())  # tensor([[[0, 1], [0, 1]], [[0, 0], [1, 1]]])
    """

    _state_dict_all_req_keys = ("confusion_matrix", "_num_examples")

    def __init__(
        self,
        num_classes: int,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        normalized: bool = False,
        skip_unrolling: bool = False,
    ) -> None:
        if num_classes <= 1:
            raise ValueError("Argument num_classes needs to be > 1")
        self.num_classes = num_classes
        self._num_examples = 0
        self.normalized = normalized
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        n = self.num_classes
        self.confusion_matrix = torch.zeros(n, 2, 2, dtype=torch.int64, device=self._device)
        self._num_examples = 0
        self._checked: tuple | None = None

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = detached(output[0]), detached(output[1])
        # Shapes and dtypes are checked once per distinct (shapes, dtypes) seen last; the
        # values (binary or not) are checked on every batch.
        key = (y_pred.shape, y.shape, y_pred.dtype, y.dtype)
        if key != self._checked:
            self._check_shapes_and_types(y_pred, y)
            self._checked = key
        both = y_pred | y
        # Every value of y_pred | y is 0 or 1 only if all of both tensors' values are.
        if not torch.equal(both.clamp(0, 1), both):
            self._raise_not_binary(y_pred)
        self._num_examples += y.shape[0]
        if y.ndim == 2:
            dim = 0  # (N, num_classes): reduce over the samples, no transpose needed
        else:
            # One row per label, every sample and spatial position along the columns.
            y = y.transpose(0, 1).reshape(self.num_classes, -1)
            y_pred = y_pred.transpose(0, 1).reshape(self.num_classes, -1)
            dim = 1
        tp = (y * y_pred).sum(dim=dim)
        positives = y.sum(dim=dim)
        fp = y_pred.sum(dim=dim) - tp
        fn = positives - tp
        tn = (y.shape[dim] - positives) - fp
        counts = torch.stack((tn, fp, fn, tp), dim=1).view(-1, 2, 2)
        self.confusion_matrix += on_device(counts, self._device)

    @sync_all_reduce("confusion_matrix", "_num_examples")
    def compute(self) -> torch.Tensor:
        if self._num_examples == 0:
            raise NotComputableError(
                "Confusion matrix must have at least one example before it can be computed."
            )
        if self.normalized:
            conf = self.confusion_matrix.to(dtype=self._double_dtype)
            return conf / conf.sum(dim=(1, 2))[:, None, None]
        return self.confusion_matrix

    def _check_shapes_and_types(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        expected = f"(batch_size, num_classes (currently set to {self.num_classes}), ...)"
        if y_pred.ndimension() < 2:
            raise ValueError(f"y_pred must at least have shape {expected}")
        if y.ndimension() < 2:
            raise ValueError(f"y must at least have shape {expected}")
        if y_pred.shape[0] != y.shape[0]:
            raise ValueError(
                f"y_pred and y have different batch size: {y_pred.shape[0]} vs {y.shape[0]}"
            )
        if y_pred.shape[1] != self.num_classes:
            raise ValueError(
                f"y_pred does not have correct number of classes: {y_pred.shape[1]} vs "
                f"{self.num_classes}"
            )
        if y.shape[1] != self.num_classes:
            raise ValueError(
                f"y does not have correct number of classes: {y.shape[1]} vs {self.num_classes}"
            )
        if y.shape != y_pred.shape:
            raise ValueError("y and y_pred shapes must match.")
        if y_pred.dtype not in _INT_TYPES:
            raise ValueError(f"y_pred must be of any type: {_INT_TYPES}")
        if y.dtype not in _INT_TYPES:
            raise ValueError(f"y must be of any type: {_INT_TYPES}")

    @staticmethod
    def _raise_not_binary(y_pred: torch.Tensor) -> None:
        # Called once y_pred | y has a value other than 0/1: blame y_pred first, as ignite.
        if not torch.equal(y_pred.clamp(0, 1), y_pred):
            raise ValueError("y_pred must be a binary tensor")
        raise ValueError("y must be a binary tensor")
