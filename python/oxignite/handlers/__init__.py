"""Training handlers with pytorch-ignite's names and behaviour (checkpointing, early stopping,
timers, progress bars, parameter schedulers, TensorBoard logging).

These modules use torch; ``oxignite`` and ``oxignite.engine`` never import them.

Example::

    from oxignite.engine import Engine, Events
    from oxignite.handlers import Checkpoint, EarlyStopping, ProgressBar, Timer
"""

from __future__ import annotations

from oxignite.handlers.checkpoint import (
    BaseSaveHandler,
    Checkpoint,
    CheckpointEvents,
    DiskSaver,
    ModelCheckpoint,
)
from oxignite.handlers.early_stopping import EarlyStopping
from oxignite.handlers.param_scheduler import (
    BaseParamScheduler,
    ConcatScheduler,
    CosineAnnealingScheduler,
    CyclicalScheduler,
    LinearCyclicalScheduler,
    LRScheduler,
    ParamGroupScheduler,
    ParamScheduler,
    PiecewiseLinear,
    ReduceLROnPlateauScheduler,
    create_lr_scheduler_with_warmup,
)
from oxignite.handlers.tensorboard_logger import TensorboardLogger
from oxignite.handlers.terminate_on_nan import TerminateOnNan
from oxignite.handlers.timing import Timer
from oxignite.handlers.tqdm_logger import ProgressBar
from oxignite.handlers.utils import global_step_from_engine

__all__ = [
    "BaseParamScheduler",
    "BaseSaveHandler",
    "Checkpoint",
    "CheckpointEvents",
    "ConcatScheduler",
    "CosineAnnealingScheduler",
    "CyclicalScheduler",
    "DiskSaver",
    "EarlyStopping",
    "LRScheduler",
    "LinearCyclicalScheduler",
    "ModelCheckpoint",
    "ParamGroupScheduler",
    "ParamScheduler",
    "PiecewiseLinear",
    "ProgressBar",
    "ReduceLROnPlateauScheduler",
    "TensorboardLogger",
    "TerminateOnNan",
    "Timer",
    "create_lr_scheduler_with_warmup",
    "global_step_from_engine",
]
