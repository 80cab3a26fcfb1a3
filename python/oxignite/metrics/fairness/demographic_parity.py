"""SelectionRate and DemographicParityDifference: how often each outcome is predicted."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.accuracy import _BaseClassification
from oxignite.metrics.fairness.base import SubgroupDifference
from oxignite.metrics.metric import _CPU, _identity, sync_all_reduce

__all__ = ["DemographicParityDifference", "SelectionRate"]


class SelectionRate(_BaseClassification):
    r"""Rate at which each outcome is predicted (``y`` is only used for the input checks).

    - binary: ``tensor([rate of 0, rate of 1])``;
    - multiclass: rate of each argmax class, shape ``(C,)``;
    - multilabel (``is_multilabel=True``): rate of each label being 1, shape ``(C,)``.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        is_multilabel: treat ``(N, C, ...)`` 0/1 inputs as multilabel.
        device: device on which the state is accumulated.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics.fairness import SelectionRate

        rate = SelectionRate()
        rate.update((torch.tensor([1, 0, 1, 1]), torch.tensor([1, 0, 0, 1])))
        assert rate.compute().tolist() == [0.25, 0.75]
    """

    _state_dict_all_req_keys = ("_num_positives", "_num_examples")

    def __init__(
        self,
        output_transform: Callable = _identity,
        is_multilabel: bool = False,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        self._num_positives = torch.tensor(0.0, device=device)
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    def reset(self) -> None:
        # A 0-d tensor until the first update tells how many outcomes there are.
        self._num_positives = torch.tensor(0.0, device=self._device)
        self._num_examples = 0
        super().reset()

    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._check_shape(output)
        self._check_type(output)
        y_pred = output[0].detach()
        if self._type == "binary":
            positives = torch.bincount(y_pred.view(-1).to(torch.long), minlength=2).float()
            total = y_pred.numel()
        elif self._type == "multiclass":
            predicted = torch.argmax(y_pred, dim=1).view(-1)
            positives = torch.bincount(predicted, minlength=self._num_classes).float()
            total = predicted.numel()
        else:  # multilabel
            num_classes = int(self._num_classes)
            positives = y_pred.movedim(1, -1).reshape(-1, num_classes).sum(dim=0).float()
            total = y_pred.numel() // num_classes
        self._num_positives = self._num_positives + positives.to(self._device)
        self._num_examples += total

    @sync_all_reduce("_num_examples", "_num_positives")
    def compute(self) -> torch.Tensor:
        if self._num_examples == 0 or self._num_positives.ndim == 0:
            raise NotComputableError(
                "SelectionRate must have at least one example before it can be computed."
            )
        return self._num_positives / self._num_examples


class DemographicParityDifference(SubgroupDifference):
    r"""Largest gap between ``groups`` of the :class:`SelectionRate` of any outcome.

    ``update`` takes ``(y_pred, y, group_labels)``.

    Args:
        groups: the group labels compared.
        is_multilabel: as for :class:`SelectionRate`.
        output_transform: turns the engine's output into ``(y_pred, y, group_labels)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.fairness import DemographicParityDifference

        metric = DemographicParityDifference(groups=[0, 1])
        y_pred = torch.tensor([1, 1, 0, 1])
        metric.update((y_pred, torch.tensor([1, 0, 0, 1]), torch.tensor([0, 0, 1, 1])))
        assert metric.compute() == 0.5
    """

    def __init__(
        self,
        groups: Sequence[int],
        is_multilabel: bool = False,
        output_transform: Callable = _identity,
        device: torch.device | str = _CPU,
    ) -> None:
        rate = SelectionRate(is_multilabel=is_multilabel, device=device)
        super().__init__(rate, groups, output_transform=output_transform, device=device)
