"""CharacterErrorRate: Levenshtein edits per reference character."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["CharacterErrorRate"]


def _edit_distance(ref: str, pred: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), one DP row at a time."""
    if not ref:
        return len(pred)
    if not pred:
        return len(ref)
    row = list(range(len(pred) + 1))
    for i, r in enumerate(ref, start=1):
        diagonal, row[0] = row[0], i
        for j, p in enumerate(pred, start=1):
            above = row[j]
            row[j] = diagonal if r == p else min(row[j - 1], above, diagonal) + 1
            diagonal = above
    return row[-1]


class CharacterErrorRate(Metric):
    r"""Character error rate: total edit distance divided by the total reference length.

    ``update`` takes ``(y_pred, y)``: two strings, or two equally long lists of strings.
    With empty references the rate is 0 if there are no errors, else 1.

    Args:
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics.nlp import CharacterErrorRate

        cer = CharacterErrorRate()
        cer.update((["helo world"], ["hello world"]))
        assert abs(cer.compute() - 1 / 11) < 1e-6
    """

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_errors = torch.tensor(0.0, device=self._device)
        self._num_refs = torch.tensor(0.0, device=self._device)
        self._num_examples = torch.tensor(0.0, device=self._device)

    @reinit__is_reduced
    def update(self, output: Sequence) -> None:
        y_pred, y = output[0], output[1]
        if not isinstance(y_pred, (str, list)) or not isinstance(y, (str, list)):
            raise TypeError(
                "y_pred and y must be str or list[str], got "
                f"y_pred: {type(y_pred)} and y: {type(y)}"
            )
        if isinstance(y_pred, str) and isinstance(y, str):
            y_pred, y = [y_pred], [y]
        if not all(isinstance(p, str) for p in y_pred) or not all(isinstance(r, str) for r in y):
            raise TypeError("All elements of y_pred and y must be strings.")
        if len(y_pred) != len(y):
            raise ValueError(
                "y_pred and y must have the same length. "
                f"Got y_pred of length {len(y_pred)} and y of length {len(y)}."
            )
        self._num_errors += float(sum(_edit_distance(r, p) for p, r in zip(y_pred, y)))
        self._num_refs += float(sum(len(r) for r in y))
        self._num_examples += 1

    @sync_all_reduce("_num_errors", "_num_refs", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "CharacterErrorRate must have at least one example before it can be computed."
            )
        if self._num_refs == 0:
            return 0.0 if self._num_errors == 0 else 1.0
        return (self._num_errors / self._num_refs).item()
