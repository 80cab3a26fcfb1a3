"""GeometricMeanRelativeAbsoluteError: needs the mean of all targets, so it keeps them all."""

from __future__ import annotations

from collections.abc import Mapping

import torch

import oxignite.distributed as idist
from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import reinit__is_reduced
from oxignite.metrics.regression._base import _BaseRegression

__all__ = ["GeometricMeanRelativeAbsoluteError"]


class GeometricMeanRelativeAbsoluteError(_BaseRegression):
    r"""``exp(mean(log(|y - y_pred| / |y - mean(y)|)))`` over all samples.

    ``update`` takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype. Predictions
    and targets are stored and gathered from every process in ``compute`` (memory grows with
    the data set).

    Example::

        from oxignite.metrics.regression import GeometricMeanRelativeAbsoluteError

        metric = GeometricMeanRelativeAbsoluteError()
        metric.update((torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.5, 2.5, 3.0])))
        value = metric.compute()
    """

    _state_dict_all_req_keys = ("_predictions", "_targets")

    @reinit__is_reduced
    def reset(self) -> None:
        self._predictions: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []

    def _load_state_dict_per_rank(self, state: Mapping) -> None:
        # The saved lists replace the current ones whatever their lengths.
        super()._load_state_dict_per_rank(state)
        self._predictions = [t.clone() for t in state["_predictions"]]
        self._targets = [t.clone() for t in state["_targets"]]

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        self._predictions.append(on_device(y_pred.clone(), self._device))
        self._targets.append(on_device(y.clone(), self._device))

    def compute(self) -> float:
        if len(self._predictions) < 1 or len(self._targets) < 1:
            raise NotComputableError(
                "GeometricMeanRelativeAbsoluteError must have at least one example before it "
                "can be computed."
            )
        y_pred = idist.all_gather(torch.cat(self._predictions, dim=0))
        y = idist.all_gather(torch.cat(self._targets, dim=0))
        ratio = torch.abs(y - y_pred) / torch.abs(y - y.mean())
        return torch.exp(torch.log(ratio).mean()).item()
