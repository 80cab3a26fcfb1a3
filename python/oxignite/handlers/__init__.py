"""Training handlers with pytorch-ignite's names and behaviour (checkpointing, early stopping,
timers, progress bars, parameter schedulers, TensorBoard logging).

These modules use torch; ``oxignite`` and ``oxignite.engine`` never import them.

Example::

    from oxignite.engine import Engine, Events
    from oxignite.handlers import Checkpoint, EarlyStopping, ProgressBar, Timer
"""

from __future__ import annotations

from oxignite.handlers.batch_size_scheduler import BatchSizeScheduler
from oxignite.handlers.checkpoint import (
    BaseSaveHandler,
    Checkpoint,
    CheckpointEvents,
    DiskSaver,
    ModelCheckpoint,
)
from oxignite.handlers.clearml_logger import ClearMLLogger
from oxignite.handlers.early_stopping import EarlyStopping
from oxignite.handlers.ema_handler import EMAHandler
from oxignite.handlers.fbresearch_logger import FBResearchLogger
from oxignite.handlers.lr_finder import FastaiLRFinder
from oxignite.handlers.mlflow_logger import MLflowLogger
from oxignite.handlers.neptune_logger import NeptuneLogger
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
from oxignite.handlers.polyaxon_logger import PolyaxonLogger
from oxignite.handlers.resume import find_latest_checkpoint, resume_from_latest
from oxignite.handlers.state_param_scheduler import (
    ExpStateScheduler,
    LambdaStateScheduler,
    MultiStepStateScheduler,
    PiecewiseLinearStateScheduler,
    StateParamScheduler,
    StepStateScheduler,
)
from oxignite.handlers.stores import EpochOutputStore
from oxignite.handlers.tensorboard_logger import TensorboardLogger
from oxignite.handlers.terminate_on_nan import TerminateOnNan
from oxignite.handlers.terminate_on_signal import TerminateOnSignal
from oxignite.handlers.time_limit import TimeLimit
from oxignite.handlers.time_profilers import BasicTimeProfiler, HandlersTimeProfiler
from oxignite.handlers.timing import Timer
from oxignite.handlers.tqdm_logger import ProgressBar
from oxignite.handlers.utils import global_step_from_engine
from oxignite.handlers.visdom_logger import VisdomLogger
from oxignite.handlers.wandb_logger import WandBLogger

__all__ = [
    "BaseParamScheduler",
    "BaseSaveHandler",
    "BasicTimeProfiler",
    "BatchSizeScheduler",
    "Checkpoint",
    "CheckpointEvents",
    "ClearMLLogger",
    "ConcatScheduler",
    "CosineAnnealingScheduler",
    "CyclicalScheduler",
    "DiskSaver",
    "EMAHandler",
    "EarlyStopping",
    "EpochOutputStore",
    "ExpStateScheduler",
    "FBResearchLogger",
    "FastaiLRFinder",
    "HandlersTimeProfiler",
    "LRScheduler",
    "LambdaStateScheduler",
    "LinearCyclicalScheduler",
    "MLflowLogger",
    "ModelCheckpoint",
    "MultiStepStateScheduler",
    "NeptuneLogger",
    "ParamGroupScheduler",
    "ParamScheduler",
    "PiecewiseLinear",
    "PiecewiseLinearStateScheduler",
    "PolyaxonLogger",
    "ProgressBar",
    "ReduceLROnPlateauScheduler",
    "StateParamScheduler",
    "StepStateScheduler",
    "TensorboardLogger",
    "TerminateOnNan",
    "TerminateOnSignal",
    "TimeLimit",
    "Timer",
    "VisdomLogger",
    "WandBLogger",
    "create_lr_scheduler_with_warmup",
    "find_latest_checkpoint",
    "global_step_from_engine",
    "resume_from_latest",
]
