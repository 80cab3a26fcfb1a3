"""Shared base of the rank correlations computed by scipy over the whole epoch."""

from __future__ import annotations

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.epoch_metric import EpochMetric
from oxignite.metrics.regression._base import _check_output_shapes, _check_output_types


class _EpochCorrelation(EpochMetric):
    """EpochMetric with the regression input checks and a named "no data" error."""

    def update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        _check_output_shapes(output)
        _check_output_types(output)
        super().update(output)

    def compute(self) -> float:
        if len(self._predictions) < 1 or len(self._targets) < 1:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        return super().compute()


def _require_scipy() -> None:
    try:
        import scipy.stats  # noqa: F401
    except ImportError:
        raise ModuleNotFoundError("This module requires scipy to be installed.") from None
