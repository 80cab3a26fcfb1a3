"""ignite's ``contrib.metrics.regression`` namespace: the regression metrics of
:mod:`oxignite.metrics.regression` (and their modules), under their old path.

Names resolve on first access (module ``__getattr__``).

Example::

    from oxignite.contrib.metrics.regression import R2Score, ManhattanDistance
"""

from __future__ import annotations

import importlib
from typing import Any

_NEW = "oxignite.metrics.regression"

# module (under oxignite.metrics.regression) -> the metric it defines.
_MODULES = {
    "canberra_metric": "CanberraMetric",
    "fractional_absolute_error": "FractionalAbsoluteError",
    "fractional_bias": "FractionalBias",
    "geometric_mean_absolute_error": "GeometricMeanAbsoluteError",
    "geometric_mean_relative_absolute_error": "GeometricMeanRelativeAbsoluteError",
    "manhattan_distance": "ManhattanDistance",
    "maximum_absolute_error": "MaximumAbsoluteError",
    "mean_absolute_relative_error": "MeanAbsoluteRelativeError",
    "mean_error": "MeanError",
    "mean_normalized_bias": "MeanNormalizedBias",
    "median_absolute_error": "MedianAbsoluteError",
    "median_absolute_percentage_error": "MedianAbsolutePercentageError",
    "median_relative_absolute_error": "MedianRelativeAbsoluteError",
    "r2_score": "R2Score",
    "wave_hedges_distance": "WaveHedgesDistance",
}
_NAMES = {metric: module for module, metric in _MODULES.items()}

__all__ = [
    "CanberraMetric",
    "FractionalAbsoluteError",
    "FractionalBias",
    "GeometricMeanAbsoluteError",
    "GeometricMeanRelativeAbsoluteError",
    "ManhattanDistance",
    "MaximumAbsoluteError",
    "MeanAbsoluteRelativeError",
    "MeanError",
    "MeanNormalizedBias",
    "MedianAbsoluteError",
    "MedianAbsolutePercentageError",
    "MedianRelativeAbsoluteError",
    "R2Score",
    "WaveHedgesDistance",
    "canberra_metric",
    "fractional_absolute_error",
    "fractional_bias",
    "geometric_mean_absolute_error",
    "geometric_mean_relative_absolute_error",
    "manhattan_distance",
    "maximum_absolute_error",
    "mean_absolute_relative_error",
    "mean_error",
    "mean_normalized_bias",
    "median_absolute_error",
    "median_absolute_percentage_error",
    "median_relative_absolute_error",
    "r2_score",
    "wave_hedges_distance",
]


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(f"{_NEW}.{_NAMES[name]}"), name)
    if name in _MODULES:
        # The new module itself, as ignite's ``from ignite.metrics.regression import r2_score``.
        return importlib.import_module(f"{_NEW}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES, *_MODULES])
