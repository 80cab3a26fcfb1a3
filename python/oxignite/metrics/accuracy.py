"""Accuracy for binary, multiclass and multilabel classification."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import detached_pair, on_device
from oxignite.metrics.metric import (
    _CPU,
    Metric,
    _identity,
    detaches_inputs,
    reinit__is_reduced,
    sync_all_reduce,
)

__all__ = ["Accuracy"]


class _BaseClassification(Metric):
    """Input checks shared by Accuracy, Precision and Recall.

    The input type is inferred from the shapes of the first update and must not change:

    - binary: ``y_pred`` and ``y`` of shape ``(N, ...)`` (or ``y_pred`` ``(N, 1, ...)``)
      with 0/1 values;
    - multiclass: ``y_pred`` ``(N, C, ...)`` scores, ``y`` ``(N, ...)`` class indices;
    - multilabel (``is_multilabel=True``): both ``(N, C, ...)`` with 0/1 values, ``C > 1``.
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        is_multilabel: bool = False,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        self._is_multilabel = is_multilabel
        self._type: str | None = None
        self._num_classes: int | None = None
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    def reset(self) -> None:
        self._type = None
        self._num_classes = None
        # The shapes of the last multiclass batch checked, and its number of samples.
        self._multiclass_shapes: tuple | None = None
        self._multiclass_count = 0

    def _check_shape(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output
        if not (y.ndimension() == y_pred.ndimension() or y.ndimension() + 1 == y_pred.ndimension()):
            raise ValueError(
                "y must have shape of (batch_size, ...) and y_pred must have shape of "
                "(batch_size, num_categories, ...) or (batch_size, ...), "
                f"but given {tuple(y.shape)} vs {tuple(y_pred.shape)}."
            )
        y_pred_shape = tuple(y_pred.shape)
        if y.ndimension() + 1 == y_pred.ndimension():
            y_pred_shape = (y_pred_shape[0],) + y_pred_shape[2:]
        if tuple(y.shape) != y_pred_shape:
            raise ValueError(
                f"y and y_pred must have compatible shapes, but given {tuple(y.shape)} vs "
                f"{tuple(y_pred.shape)}."
            )
        if self._is_multilabel and not (
            y.shape == y_pred.shape and y.ndimension() > 1 and y.shape[1] > 1
        ):
            raise ValueError(
                "y and y_pred must have same shape of (batch_size, num_categories, ...) and "
                f"num_categories > 1, but given {tuple(y.shape)} vs {tuple(y_pred.shape)}."
            )

    @staticmethod
    def _check_binary_values(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        # x == x**2 holds exactly for 0 and 1.
        if not torch.equal(y, y**2):
            raise ValueError("For binary cases, y must be comprised of 0's and 1's.")
        if not torch.equal(y_pred, y_pred**2):
            raise ValueError("For binary cases, y_pred must be comprised of 0's and 1's.")

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output
        if y.ndimension() + 1 == y_pred.ndimension():
            num_classes = y_pred.shape[1]
            if num_classes == 1:
                update_type = "binary"
                self._check_binary_values(y_pred, y)
            else:
                update_type = "multiclass"
        elif y.ndimension() == y_pred.ndimension():
            self._check_binary_values(y_pred, y)
            if self._is_multilabel:
                update_type = "multilabel"
                num_classes = y_pred.shape[1]
            else:
                update_type = "binary"
                num_classes = 1
        else:
            raise RuntimeError(
                f"Invalid shapes of y (shape={y.shape}) and y_pred (shape={y_pred.shape}), "
                "check documentation. for expected shapes of y and y_pred."
            )

        if self._type is None:
            self._type = update_type
            self._num_classes = num_classes
        elif self._type != update_type:
            raise RuntimeError(f"Input data type has changed from {self._type} to {update_type}.")
        elif self._num_classes != num_classes:
            raise ValueError(
                f"Input data number of classes has changed from {self._num_classes} to "
                f"{num_classes}"
            )

    @staticmethod
    def get_sequence_transform(
        ignore_index: int | Iterable[int] | None = None,
        output_transform: Callable = _identity,
    ) -> Callable:
        """Build an ``output_transform`` for sequence models: ``y_pred`` ``(N, S, C)`` and
        ``y`` ``(N, S)`` become ``(N*S, C)`` and ``(N*S,)``, without the positions whose
        target is ``ignore_index`` (one value or several, e.g. padding tokens).

        Args:
            ignore_index: target value(s) to drop before the metric sees the batch.
            output_transform: applied first, to get ``(y_pred, y)`` from the engine output.

        Example::

            acc = Accuracy(output_transform=Accuracy.get_sequence_transform(ignore_index=-1))
        """

        def flatten_sequences(output: Any) -> tuple[torch.Tensor, torch.Tensor]:
            y_pred, y = output_transform(output)
            if y_pred.ndimension() != 3 or y.ndimension() != 2:
                raise ValueError(
                    "Expected y_pred to be 3D (N, S, C) and y to be 2D (N, S), but got "
                    f"y_pred={y_pred.ndimension()}D and y={y.ndimension()}D."
                )
            if y_pred.shape[:2] != y.shape:
                raise ValueError(
                    f"y_pred and y have incompatible shapes: y_pred={y_pred.shape} "
                    f"(expected first two dims to match y={y.shape})."
                )
            y_pred = y_pred.reshape(-1, y_pred.size(-1))
            y = y.reshape(-1)
            if ignore_index is None:
                return y_pred, y
            if isinstance(ignore_index, Iterable):
                keep = torch.ones_like(y, dtype=torch.bool)
                for value in ignore_index:
                    keep &= y != value
            else:
                keep = y != ignore_index
            return y_pred[keep], y[keep]

        return flatten_sequences


class Accuracy(_BaseClassification):
    """Fraction of correctly classified samples.

    - binary: ``y_pred`` holds 0/1 predictions (threshold probabilities yourself,
      e.g. with ``output_transform``);
    - multiclass: the predicted class is ``argmax(y_pred, dim=1)``;
    - multilabel: a sample is correct only if all its labels match.

    Args:
        output_transform: see :class:`~oxignite.metrics.Metric`.
        is_multilabel: treat ``(N, C, ...)`` 0/1 inputs as multilabel.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        import torch
        from oxignite.metrics import Accuracy

        acc = Accuracy()
        acc.update((torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])))
        assert acc.compute() == 0.5
    """

    _state_dict_all_req_keys = ("_num_correct", "_num_examples")

    def __init__(
        self,
        output_transform: Callable = _identity,
        is_multilabel: bool = False,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_correct = torch.tensor(0, device=self._device)
        self._num_examples = 0
        super().reset()

    @detaches_inputs
    def update(self, output: Sequence[torch.Tensor]) -> None:
        # Not decorated with ``reinit__is_reduced``: the cached result is dropped at the end,
        # which saves a call per batch.
        y_pred, y, pred_shape, y_shape = detached_pair(output)
        shapes = (pred_shape, y_shape)
        if shapes == self._multiclass_shapes:
            # A multiclass batch of shapes already checked (its checks read the shapes only):
            # its count is known, and a flattening view would not change the sum.
            correct = torch.eq(torch.argmax(y_pred, dim=1), y)
            n = self._multiclass_count
        else:
            self._check_shape((y_pred, y))
            self._check_type((y_pred, y))
            # Binary and multilabel checks read the values: every such batch is checked.
            self._multiclass_shapes = shapes if self._type == "multiclass" else None
            correct = self._correct(y_pred, y)
            n = correct.shape[0]
            self._multiclass_count = n
        self._num_correct += on_device(correct.sum(), self._device)
        self._num_examples += n
        if "_result" in self.__dict__:
            self._result = None

    def _correct(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Whether each sample (each position, for ``(N, C, ...)`` inputs) is right, flat."""
        if self._type == "binary":
            return torch.eq(y_pred.view(-1).to(y), y.view(-1))
        if self._type == "multiclass":
            return torch.eq(torch.argmax(y_pred, dim=1), y).view(-1)
        # Move the label dim last so each row is one sample's label vector.
        num_classes = y_pred.size(1)
        last = y_pred.ndimension() - 1
        y_pred = torch.transpose(y_pred, 1, last).reshape(-1, num_classes)
        y = torch.transpose(y, 1, last).reshape(-1, num_classes)
        return torch.all(y == y_pred.type_as(y), dim=-1)

    @sync_all_reduce("_num_examples", "_num_correct")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "Accuracy must have at least one example before it can be computed."
            )
        return self._num_correct.item() / self._num_examples
