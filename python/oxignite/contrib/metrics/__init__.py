"""ignite's ``contrib.metrics`` namespace: metrics that moved to ``oxignite.metrics``, under
their old names, and ``contrib.metrics.regression``.

Names resolve on first access (module ``__getattr__``), so importing this package costs
nothing and scikit-learn / pynvml are needed only by the metric that uses them.

Example::

    from oxignite.contrib.metrics import ROC_AUC, AveragePrecision
    from oxignite.contrib.metrics.regression import R2Score
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module of oxignite that defines it (as ignite.contrib.metrics re-exports them).
_NAMES = {
    "AveragePrecision": "oxignite.metrics.average_precision",
    "CohenKappa": "oxignite.metrics.cohen_kappa",
    "GpuInfo": "oxignite.metrics.gpu_info",
    "PrecisionRecallCurve": "oxignite.metrics.precision_recall_curve",
    "ROC_AUC": "oxignite.metrics.roc_auc",
    "RocCurve": "oxignite.metrics.roc_auc",
}

# ``contrib.metrics.roc_auc`` etc. as attributes are the new modules themselves (ignite
# imports them from ignite.metrics); importing the submodule path gives the deprecated alias.
_MODULES = {
    "average_precision": "oxignite.metrics.average_precision",
    "cohen_kappa": "oxignite.metrics.cohen_kappa",
    "gpu_info": "oxignite.metrics.gpu_info",
    "precision_recall_curve": "oxignite.metrics.precision_recall_curve",
    "roc_auc": "oxignite.metrics.roc_auc",
    "regression": "oxignite.contrib.metrics.regression",
}

__all__ = [
    "ROC_AUC",
    "AveragePrecision",
    "CohenKappa",
    "GpuInfo",
    "PrecisionRecallCurve",
    "RocCurve",
]


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES, *_MODULES])
