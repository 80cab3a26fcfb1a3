"""SubgroupAccuracyDifference: the accuracy gap between groups."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.metrics.accuracy import Accuracy
from oxignite.metrics.fairness.base import SubgroupDifference
from oxignite.metrics.metric import _CPU, _identity

__all__ = ["SubgroupAccuracyDifference"]


class SubgroupAccuracyDifference(SubgroupDifference):
    r"""Largest difference of :class:`~oxignite.metrics.Accuracy` between ``groups``.

    ``update`` takes ``(y_pred, y, group_labels)``; ``y_pred``/``y`` as for Accuracy
    (binary, multiclass, or multilabel with ``is_multilabel=True``).

    Args:
        groups: the group labels compared.
        is_multilabel: as for Accuracy.
        output_transform: turns the engine's output into ``(y_pred, y, group_labels)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.fairness import SubgroupAccuracyDifference

        metric = SubgroupAccuracyDifference(groups=[0, 1])
        y_pred = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        metric.update((y_pred, torch.tensor([0, 1, 1]), torch.tensor([0, 1, 1])))
        assert metric.compute() == 0.5
    """

    def __init__(
        self,
        groups: Sequence[int],
        is_multilabel: bool = False,
        output_transform: Callable = _identity,
        device: torch.device | str = _CPU,
    ) -> None:
        accuracy = Accuracy(is_multilabel=is_multilabel, device=device)
        super().__init__(accuracy, groups, output_transform=output_transform, device=device)
