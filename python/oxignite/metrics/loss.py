"""Loss: the average of a loss function over all samples seen."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["Loss"]


class Loss(Metric):
    """Average of ``loss_fn`` over the samples of all batches (batch means are weighted by
    batch size).

    Args:
        loss_fn: callable ``loss_fn(y_pred, y, **kwargs)`` returning the *mean* loss of a batch.
        output_transform: see :class:`~oxignite.metrics.Metric`. The output may be
            ``(y_pred, y)`` or ``(y_pred, y, criterion_kwargs)``; a mapping needs the keys
            ``"y_pred"``, ``"y"`` and ``"criterion_kwargs"``.
        batch_size: callable returning the batch size of ``y`` (default ``len``).
        device: device of the accumulated state.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        import torch
        from oxignite.metrics import Loss

        loss = Loss(torch.nn.functional.mse_loss)
        loss.update((torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])))
        assert loss.compute() == 2.5
    """

    required_output_keys = ("y_pred", "y", "criterion_kwargs")
    _state_dict_all_req_keys = ("_sum", "_num_examples")

    def __init__(
        self,
        loss_fn: Callable,
        output_transform: Callable = _identity,
        batch_size: Callable = len,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform, device=device, skip_unrolling=skip_unrolling)
        self._loss_fn = loss_fn
        self._batch_size = batch_size

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    @reinit__is_reduced
    def update(self, output: Sequence) -> None:
        if len(output) == 2:
            y_pred, y = output
            kwargs: dict = {}
        elif len(output) == 3:
            y_pred, y, kwargs = output
        else:
            raise ValueError(
                f"Loss expects (y_pred, y) or (y_pred, y, criterion_kwargs), got {len(output)} items"
            )
        average_loss = self._loss_fn(y_pred, y, **kwargs).detach()
        if average_loss.dim() != 0:
            raise ValueError(
                f"loss_fn did not return the average loss: got shape {tuple(average_loss.shape)}"
            )
        n = self._batch_size(y)
        average_loss = on_device(average_loss, self._device)
        self._sum += average_loss * n
        self._num_examples += n

    @sync_all_reduce("_sum", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError(
                "Loss must have at least one example before it can be computed."
            )
        return self._sum.item() / self._num_examples
