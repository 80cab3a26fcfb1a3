"""Precision, and the state shared with Recall."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

import oxignite.distributed as idist
from oxignite.exceptions import NotComputableError
from oxignite.metrics.accuracy import _BaseClassification
from oxignite.metrics.metric import _CPU, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["Precision"]

_AVERAGES = ("macro", "micro", "weighted", "samples")


class _BasePrecisionRecall(_BaseClassification):
    """Accumulates per-class (or micro/samples) numerators and denominators.

    ``average``: ``False``/``None`` -> per-class tensor (binary: a single value);
    ``True``/``"macro"`` -> mean over classes; ``"micro"`` -> global counts;
    ``"weighted"`` -> mean weighted by class support; ``"samples"`` (multilabel only) ->
    mean over samples.
    """

    _state_dict_all_req_keys = ("_numerator", "_denominator", "_weight", "_updated")

    def __init__(
        self,
        output_transform: Callable = _identity,
        average: bool | str | None = False,
        is_multilabel: bool = False,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        if not (average is None or isinstance(average, bool) or average in _AVERAGES):
            raise ValueError(
                "Argument average should be None or a boolean or one of values "
                f"'macro', 'micro', 'weighted' and 'samples', got {average!r}."
            )
        self._average: bool | str | None = "macro" if average is True else average
        self.eps = 1e-20
        self._updated = False
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        super()._check_type(output)
        if self._type in ("binary", "multiclass") and self._average == "samples":
            raise ValueError(
                "Argument average='samples' is incompatible with binary and multiclass input data."
            )
        y_pred, y = output
        if self._type == "multiclass" and y.dtype != torch.long:
            warnings.warn(
                "`y` should be of dtype long when entry type is multiclass", RuntimeWarning
            )
        if (
            self._type == "binary"
            and self._average is not False
            and (y.dtype != torch.long or y_pred.dtype != torch.long)
        ):
            warnings.warn(
                "`y` and `y_pred` should be of dtype long when entry type is binary and "
                "average!=False",
                RuntimeWarning,
            )

    def _prepare_output(self, output: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """Return ``(y_pred, y, correct)`` as 0/1 float tensors of shape (samples, classes)
        (or flat vectors for binary with ``average=False``)."""
        y_pred, y = output[0].detach(), output[1].detach()
        if self._type in ("binary", "multiclass"):
            num_classes = 2 if self._type == "binary" else y_pred.size(1)
            if self._type == "multiclass" and y.max() + 1 > num_classes:
                raise ValueError(
                    "y_pred contains fewer classes than y. Number of classes in the prediction "
                    f"is {num_classes} and an element in y has invalid class = "
                    f"{y.max().item() + 1}."
                )
            y = y.reshape(-1)
            if self._type == "binary" and self._average is False:
                y_pred = y_pred.reshape(-1)
            else:
                # Binary with averaging is treated as two classes (0 and 1).
                indices = torch.argmax(y_pred, dim=1) if self._type == "multiclass" else y_pred
                y = F.one_hot(y.long(), num_classes)
                y_pred = F.one_hot(indices.reshape(-1).long(), num_classes)
        else:
            num_labels = y_pred.size(1)
            y_pred = torch.transpose(y_pred, 1, -1).reshape(-1, num_labels)
            y = torch.transpose(y, 1, -1).reshape(-1, num_labels)

        y_pred = y_pred.to(dtype=self._double_dtype, device=self._device)
        y = y.to(dtype=self._double_dtype, device=self._device)
        return y_pred, y, y * y_pred

    @reinit__is_reduced
    def reset(self) -> None:
        self._numerator: int | torch.Tensor = 0
        self._denominator: int | torch.Tensor = 0
        self._weight: int | torch.Tensor = 0
        self._updated = False
        super().reset()

    def _accumulate(self, y: torch.Tensor, correct: torch.Tensor, positives: torch.Tensor) -> None:
        """Add one batch; ``positives`` is y_pred for precision, y for recall."""
        if self._average == "samples":
            per_sample = correct.sum(dim=1) / (positives.sum(dim=1) + self.eps)
            self._numerator += per_sample.sum()
            self._denominator += y.size(0)
        elif self._average == "micro":
            self._numerator += correct.sum()
            self._denominator += positives.sum()
        else:
            self._numerator += correct.sum(dim=0)
            self._denominator += positives.sum(dim=0)
            if self._average == "weighted":
                self._weight += y.sum(dim=0)
        self._updated = True

    @sync_all_reduce("_numerator", "_denominator")
    def compute(self) -> torch.Tensor | float:
        if not self._updated:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        eps = 0 if self._average == "samples" else self.eps
        fraction = self._numerator / (self._denominator + eps)
        if self._average == "weighted":
            weight = idist.all_reduce(self._weight.clone())
            return (fraction @ weight / (weight.sum() + self.eps)).item()
        if self._average in ("micro", "samples"):
            return fraction.item()
        if self._average == "macro":
            return fraction.mean().item()
        return fraction


class Precision(_BasePrecisionRecall):
    """Precision: true positives / predicted positives.

    Input formats are those of :class:`~oxignite.metrics.Accuracy` (binary 0/1, multiclass
    scores + indices, multilabel 0/1 with ``is_multilabel=True``).

    Args:
        output_transform: see :class:`~oxignite.metrics.Metric`.
        average: ``False`` (default) -> per-class tensor, or a single value for binary input;
            ``True``/``"macro"``, ``"micro"``, ``"weighted"``, ``"samples"`` (multilabel only)
            -> a float, as in scikit-learn.
        is_multilabel: multilabel input.
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        import torch
        from oxignite.metrics import Precision

        precision = Precision(average="macro")
        y_pred = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
        precision.update((y_pred, torch.tensor([0, 1, 0])))
        print(precision.compute())  # (1/1 + 1/2) / 2 = 0.75
    """

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._check_shape(output)
        self._check_type(output)
        y_pred, y, correct = self._prepare_output(output)
        self._accumulate(y, correct, positives=y_pred)
