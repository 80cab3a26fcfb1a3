"""ignite's ``contrib.handlers`` namespace: the handlers that moved to ``oxignite.handlers``,
under their old names.

Names resolve on first access (module ``__getattr__``), so importing this package costs
nothing and a name whose module is not installed fails only when it is used.

Example::

    from oxignite.contrib.handlers import ProgressBar, TensorboardLogger, FastaiLRFinder
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

# name -> module of oxignite that defines it (as ignite.contrib.handlers re-exports them).
_NAMES = {
    "BasicTimeProfiler": "oxignite.handlers.time_profilers",
    "ClearMLLogger": "oxignite.handlers.clearml_logger",
    "ConcatScheduler": "oxignite.handlers.param_scheduler",
    "CosineAnnealingScheduler": "oxignite.handlers.param_scheduler",
    "EpochOutputStore": "oxignite.handlers.stores",
    "FastaiLRFinder": "oxignite.handlers.lr_finder",
    "HandlersTimeProfiler": "oxignite.handlers.time_profilers",
    "LRScheduler": "oxignite.handlers.param_scheduler",
    "LinearCyclicalScheduler": "oxignite.handlers.param_scheduler",
    "MLflowLogger": "oxignite.handlers.mlflow_logger",
    "NeptuneLogger": "oxignite.handlers.neptune_logger",
    "ParamGroupScheduler": "oxignite.handlers.param_scheduler",
    "PiecewiseLinear": "oxignite.handlers.param_scheduler",
    "PolyaxonLogger": "oxignite.handlers.polyaxon_logger",
    "ProgressBar": "oxignite.handlers.tqdm_logger",
    "TensorboardLogger": "oxignite.handlers.tensorboard_logger",
    "VisdomLogger": "oxignite.handlers.visdom_logger",
    "WandBLogger": "oxignite.handlers.wandb_logger",
    "create_lr_scheduler_with_warmup": "oxignite.handlers.param_scheduler",
    "global_step_from_engine": "oxignite.handlers.utils",
}

# Logger modules ignite.contrib.handlers exposes as attributes (``contrib.handlers.tqdm_logger``
# is ignite.handlers.tqdm_logger itself, not the deprecated contrib module).
_MODULES = (
    "clearml_logger",
    "mlflow_logger",
    "neptune_logger",
    "polyaxon_logger",
    "tensorboard_logger",
    "tqdm_logger",
    "visdom_logger",
    "wandb_logger",
)


def _available() -> list[str]:
    # Names whose module exists: ``from oxignite.contrib.handlers import *`` must not fail on
    # an optional logger that is not there.
    return sorted(n for n in _NAMES if importlib.util.find_spec(_NAMES[n]) is not None)


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return _available()
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"oxignite.handlers.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES, *_MODULES])
