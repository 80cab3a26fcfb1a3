"""Recall: true positives / actual positives."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from oxignite.metrics.metric import reinit__is_reduced
from oxignite.metrics.precision import _BasePrecisionRecall

__all__ = ["Recall"]


class Recall(_BasePrecisionRecall):
    """Recall: true positives / actual positives.

    Same arguments and input formats as :class:`~oxignite.metrics.Precision`.

    Example::

        import torch
        from oxignite.metrics import Recall

        recall = Recall(average=False)
        y_pred = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
        recall.update((y_pred, torch.tensor([0, 1, 0])))
        print(recall.compute())  # tensor([0.5, 1.0])
    """

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        self._check_shape(output)
        self._check_type(output)
        _, y, correct = self._prepare_output(output)
        self._accumulate(y, correct, positives=y)
