"""EpochMetric: keep every prediction/target of the epoch and apply a function to all of them."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import torch

import oxignite.distributed as idist
from oxignite._core import store_pair as _store_pair
from oxignite.engine.natives import NativeSpec, overrides, set_native
from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, _EPOCH_WISE, Metric, _identity, reinit__is_reduced
from oxignite.metrics.usage import MetricUsage

__all__ = ["EpochMetric", "EpochMetricWarning"]


def _stored_copy(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A copy of ``t`` on ``device``, out of any autograd graph."""
    if t.requires_grad:
        t = t.detach()
    # clone() is the cheaper call when no move is needed.
    return t.clone() if t.device == device else t.to(device, copy=True)


class EpochMetricWarning(UserWarning):
    """Warned when ``compute_fn`` fails on the first batch (``check_compute_fn=True``)."""


class EpochMetric(Metric):
    """Stores the predictions and targets of the whole epoch and returns
    ``compute_fn(all_predictions, all_targets)``.

    Args:
        compute_fn: callable ``(y_preds, y_targets) -> value`` over tensors of shape
            ``(N,)`` or ``(N, n_targets)``; it runs on rank 0 and its value is broadcast.
        output_transform: see :class:`~oxignite.metrics.Metric`.
        check_compute_fn: call ``compute_fn`` on the first batch and warn
            (:class:`EpochMetricWarning`) if it fails.
        device: device where the predictions and targets are stored.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Inputs: ``y_pred`` and ``y`` of shape ``(N,)`` or ``(N, n_targets)``; a trailing dimension
    of size 1 is squeezed. Across processes the shards are gathered exactly (no padded
    duplicates), so the value equals the one-process value over the whole data set.

    Example::

        import torch
        from oxignite.metrics import EpochMetric

        def mean_abs_error(y_preds, y_targets):
            return (y_preds - y_targets).abs().mean().item()

        metric = EpochMetric(mean_abs_error)
        metric.update((torch.tensor([1.0, 2.0]), torch.tensor([0.0, 2.0])))
        assert metric.compute() == 0.5
    """

    _state_dict_all_req_keys = ("_predictions", "_targets")

    def __init__(
        self,
        compute_fn: Callable[[torch.Tensor, torch.Tensor], Any],
        output_transform: Callable = _identity,
        check_compute_fn: bool = True,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        if not callable(compute_fn):
            raise TypeError("Argument compute_fn should be callable.")
        self.compute_fn = compute_fn
        self._check_compute_fn = check_compute_fn
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )
        # The core stores the common batch (``_store_pair``) when copies stay on the CPU. An
        # engine's call may go straight to it (without even a Python call, see ``attach``)
        # when nothing transforms the output first and neither method is overridden.
        self._store_natively = self._device == _CPU
        self._store_on_iteration = (
            self._store_natively
            and output_transform is _identity
            and not overrides(self, EpochMetric, "update", "iteration_completed")
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._predictions: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []
        self._result: Any = None

    def _check_shape(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        if y_pred.ndim not in (1, 2):
            raise ValueError(
                "Predictions should be of shape (batch_size, n_targets) or (batch_size, )."
            )
        if y.ndim not in (1, 2):
            raise ValueError(
                "Targets should be of shape (batch_size, n_targets) or (batch_size, )."
            )

    def _check_type(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        if not self._predictions:
            return
        y_pred, y = output
        dtype_preds = self._predictions[-1].dtype
        if dtype_preds != y_pred.dtype:
            raise ValueError(
                "Incoherent types between input y_pred and stored predictions: "
                f"{dtype_preds} vs {y_pred.dtype}"
            )
        dtype_targets = self._targets[-1].dtype
        if dtype_targets != y.dtype:
            raise ValueError(
                f"Incoherent types between input y and stored targets: {dtype_targets} vs {y.dtype}"
            )

    def attach(self, engine: Any, name: str, usage: str | MetricUsage = _EPOCH_WISE) -> None:
        super().attach(engine, name, usage)
        if self._store_on_iteration:
            event = self._check_usage(usage).ITERATION_COMPLETED
            set_native(engine, event, self.iteration_completed, NativeSpec.store_pair(self))

    def iteration_completed(self, engine: Any) -> None:
        if not (self._store_on_iteration and _store_pair(self, engine.state.output)):
            super().iteration_completed(engine)

    def update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        if self._store_natively and _store_pair(self, output):
            return
        # Not decorated with ``reinit__is_reduced``: it drops the cached result itself, which
        # saves a call per batch on a metric whose own work is two copies.
        self._check_shape(output)
        y_pred, y = output[0], output[1]
        if y_pred.ndim == 2 and y_pred.shape[1] == 1:
            y_pred = y_pred.squeeze(dim=-1)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.squeeze(dim=-1)
        # Before copying: a copy keeps the dtype, and a bad batch then costs no copy.
        self._check_type((y_pred, y))
        # Copies: the caller may reuse its buffers for the next batch.
        self._predictions.append(_stored_copy(y_pred, self._device))
        self._targets.append(_stored_copy(y, self._device))
        self._result = None

        if self._check_compute_fn and len(self._predictions) == 1:
            try:
                self.compute_fn(self._predictions[0], self._targets[0])
            except Exception as e:  # noqa: BLE001 - any failure is reported as a warning
                warnings.warn(
                    f"Probably, there can be a problem with `compute_fn`:\n {e}.",
                    EpochMetricWarning,
                    stacklevel=2,
                )

    def _load_state_dict_per_rank(self, state: Mapping) -> None:
        # The saved lists replace the current ones whatever their lengths (ignite fails when
        # they differ, e.g. when loading into a fresh metric).
        super()._load_state_dict_per_rank(state)
        self._predictions = [t.clone() for t in state["_predictions"]]
        self._targets = [t.clone() for t in state["_targets"]]
        self._result = None

    def _gathered(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All predictions and targets of every process (rank 0's first, then rank 1's...)."""
        if not self._predictions:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        predictions = torch.cat(self._predictions, dim=0)
        targets = torch.cat(self._targets, dim=0)
        if idist.get_world_size() > 1:
            # Uneven shards are gathered without padding: no sample is counted twice.
            predictions = idist.all_gather(predictions)
            targets = idist.all_gather(targets)
        return predictions, targets

    def _on_rank_zero(self, fn: Callable[[torch.Tensor, torch.Tensor], Any]) -> Any:
        """``fn`` over the gathered data, run on rank 0 and broadcast to the other ranks."""
        predictions, targets = self._gathered()
        result = fn(predictions, targets) if idist.get_rank() == 0 else None
        if idist.get_world_size() > 1:
            result = idist.broadcast(result, src=0, safe_mode=True)
        return result

    def compute(self) -> Any:
        if self._result is None:
            self._result = self._on_rank_zero(self.compute_fn)
        return self._result
