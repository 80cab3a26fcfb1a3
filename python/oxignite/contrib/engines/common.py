"""Helpers that attach the usual training handlers in one call (ignite's
``contrib.engines.common``): NaN check, lr scheduling, periodic checkpoints, running averages
of the outputs and progress bars; best-model checkpoints and early stopping on a validation
score; and (re-exported from :mod:`oxignite.handlers.logger_utils`) logger setup.

Example::

    from oxignite.contrib.engines import common

    common.setup_common_training_handlers(
        trainer, to_save={"model": model, "optimizer": optimizer}, output_path="/tmp/ckpt",
        lr_scheduler=lr_scheduler, output_names=["loss"],
    )
    common.save_best_model_by_val_score("/tmp/best", evaluator, model, "accuracy", trainer=trainer)
    common.add_early_stopping_by_val_score(5, evaluator, trainer, "accuracy")
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler as PyTorchLRScheduler
from torch.utils.data.distributed import DistributedSampler

import oxignite.distributed as idist
from oxignite.engine import Engine, Events
from oxignite.handlers import (
    Checkpoint,
    DiskSaver,
    EarlyStopping,
    ProgressBar,
    TerminateOnNan,
    global_step_from_engine,
)
from oxignite.handlers.base_logger import BaseLogger  # noqa: F401 - ignite's module namespace
from oxignite.handlers.checkpoint import BaseSaveHandler  # noqa: F401
from oxignite.handlers.logger_utils import (  # noqa: F401 - re-exported, as in ignite
    _setup_logging,
    setup_clearml_logging,
    setup_mlflow_logging,
    setup_neptune_logging,
    setup_plx_logging,
    setup_tb_logging,
    setup_trains_logging,
    setup_visdom_logging,
    setup_wandb_logging,
)
from oxignite.handlers.param_scheduler import ParamScheduler  # noqa: F401
from oxignite.metrics import GpuInfo, RunningAverage, RunningBatchWise
from oxignite.utils import deprecated

__all__ = [
    "add_early_stopping_by_val_score",
    "empty_cuda_cache",
    "gen_save_best_models_by_val_score",
    "get_default_score_fn",
    "save_best_model_by_val_score",
    "setup_any_logging",
    "setup_clearml_logging",
    "setup_common_distrib_training_handlers",
    "setup_common_training_handlers",
    "setup_mlflow_logging",
    "setup_neptune_logging",
    "setup_plx_logging",
    "setup_tb_logging",
    "setup_trains_logging",
    "setup_visdom_logging",
    "setup_wandb_logging",
]


def setup_common_training_handlers(
    trainer: Engine,
    train_sampler: DistributedSampler | None = None,
    to_save: Mapping | None = None,
    save_every_iters: int = 1000,
    output_path: str | None = None,
    lr_scheduler: Any = None,
    with_gpu_stats: bool = False,
    output_names: Iterable[str] | None = None,
    with_pbars: bool = True,
    with_pbar_on_iters: bool = True,
    log_every_iters: int = 100,
    stop_on_nan: bool = True,
    clear_cuda_cache: bool = True,
    save_handler: Callable | None = None,
    **kwargs: Any,
) -> None:
    """Attach to ``trainer``: TerminateOnNan (``stop_on_nan``), the ``lr_scheduler`` (a torch
    scheduler stepped at ITERATION_COMPLETED, or an oxignite one at ITERATION_STARTED), a
    Checkpoint of ``to_save`` every ``save_every_iters`` iterations (to ``output_path`` or
    through ``save_handler``, mutually exclusive; ``kwargs`` go to Checkpoint),
    ``torch.cuda.empty_cache()`` each epoch (with CUDA and ``clear_cuda_cache``), GpuInfo
    (``with_gpu_stats``), a RunningAverage of each of ``output_names`` in the trainer's output,
    and progress bars (``with_pbars``, ``with_pbar_on_iters``; only on rank 0 when
    distributed). In a distributed run ``train_sampler.set_epoch`` is called each epoch.
    """
    options = {
        "to_save": to_save,
        "save_every_iters": save_every_iters,
        "output_path": output_path,
        "lr_scheduler": lr_scheduler,
        "with_gpu_stats": with_gpu_stats,
        "output_names": output_names,
        "with_pbars": with_pbars,
        "with_pbar_on_iters": with_pbar_on_iters,
        "log_every_iters": log_every_iters,
        "stop_on_nan": stop_on_nan,
        "clear_cuda_cache": clear_cuda_cache,
        "save_handler": save_handler,
    }
    if idist.get_world_size() > 1:
        _setup_common_distrib_training_handlers(
            trainer, train_sampler=train_sampler, **options, **kwargs
        )
        return
    if isinstance(train_sampler, DistributedSampler):
        warnings.warn(
            "Argument train_sampler is a distributed sampler,"
            " but either there is no distributed setting or world size is < 2. "
            "Train sampler argument will be ignored",
            UserWarning,
        )
    _setup_common_training_handlers(trainer, **options, **kwargs)


setup_common_distrib_training_handlers = setup_common_training_handlers


def _output_item(x: Any, index: int, name: str) -> Any:
    """The ``name``d (mapping) or ``index``-th (sequence) part of a trainer output."""
    if isinstance(x, Mapping):
        return x[name]
    if isinstance(x, Sequence):
        return x[index]
    if isinstance(x, (torch.Tensor, numbers.Number)):
        return x
    raise TypeError(
        "Unhandled type of update_function's output. "
        f"It should either mapping or sequence, but given {type(x)}"
    )


def _setup_common_training_handlers(
    trainer: Engine,
    to_save: Mapping | None = None,
    save_every_iters: int = 1000,
    output_path: str | None = None,
    lr_scheduler: Any = None,
    with_gpu_stats: bool = False,
    output_names: Iterable[str] | None = None,
    with_pbars: bool = True,
    with_pbar_on_iters: bool = True,
    log_every_iters: int = 100,
    stop_on_nan: bool = True,
    clear_cuda_cache: bool = True,
    save_handler: Callable | None = None,
    **kwargs: Any,
) -> None:
    if output_path is not None and save_handler is not None:
        raise ValueError(
            "Arguments output_path and save_handler are mutually exclusive. "
            "Please, define only one of them"
        )
    if stop_on_nan:
        trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())

    if lr_scheduler is not None:
        if isinstance(lr_scheduler, PyTorchLRScheduler):
            trainer.add_event_handler(
                Events.ITERATION_COMPLETED, lambda engine: lr_scheduler.step()
            )
        else:
            trainer.add_event_handler(Events.ITERATION_STARTED, lr_scheduler)

    if torch.cuda.is_available() and clear_cuda_cache:
        trainer.add_event_handler(Events.EPOCH_COMPLETED, empty_cuda_cache)

    if to_save is not None:
        if output_path is None and save_handler is None:
            raise ValueError(
                "If to_save argument is provided then output_path or save_handler arguments "
                "should be also defined"
            )
        if output_path is not None:
            save_handler = DiskSaver(dirname=output_path, require_empty=False)
        checkpoint_handler = Checkpoint(to_save, save_handler, filename_prefix="training", **kwargs)
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED(every=save_every_iters), checkpoint_handler
        )

    if with_gpu_stats:
        GpuInfo().attach(
            trainer, name="gpu", event_name=Events.ITERATION_COMPLETED(every=log_every_iters)
        )

    if output_names is not None:
        for i, name in enumerate(output_names):
            average = RunningAverage(output_transform=partial(_output_item, index=i, name=name))
            average.attach(trainer, name, usage=RunningBatchWise())

    if with_pbars:
        if with_pbar_on_iters:
            ProgressBar(persist=False).attach(
                trainer,
                metric_names="all",
                event_name=Events.ITERATION_COMPLETED(every=log_every_iters),
            )
        ProgressBar(persist=True, bar_format="").attach(
            trainer, event_name=Events.EPOCH_STARTED, closing_event_name=Events.COMPLETED
        )


def _setup_common_distrib_training_handlers(
    trainer: Engine,
    train_sampler: DistributedSampler | None = None,
    with_pbars: bool = True,
    **options: Any,
) -> None:
    _setup_common_training_handlers(
        trainer, with_pbars=(idist.get_rank() == 0) and with_pbars, **options
    )
    if train_sampler is not None:
        if not isinstance(train_sampler, DistributedSampler):
            raise TypeError(
                "Train sampler should be torch DistributedSampler and have `set_epoch` method"
            )

        @trainer.on(Events.EPOCH_STARTED)
        def distrib_set_epoch(engine: Engine) -> None:
            train_sampler.set_epoch(engine.state.epoch - 1)


def empty_cuda_cache(_: Engine) -> None:
    """Release cached CUDA memory and collect garbage (a handler)."""
    import gc

    torch.cuda.empty_cache()
    gc.collect()


@deprecated(
    "0.4.0",
    "0.6.0",
    ("Please use instead: setup_tb_logging, setup_visdom_logging or setup_mlflow_logging etc.",),
    raise_exception=True,
)
def setup_any_logging(
    logger: Any,
    logger_module: Any,
    trainer: Engine,
    optimizers: Any,
    evaluators: Any,
    log_every_iters: int,
) -> None:
    """Removed in ignite 0.4.0: raises DeprecationWarning."""


get_default_score_fn = Checkpoint.get_default_score_fn


def gen_save_best_models_by_val_score(
    save_handler: Callable,
    evaluator: Engine,
    models: torch.nn.Module | dict[str, torch.nn.Module],
    metric_name: str,
    n_saved: int = 3,
    trainer: Engine | None = None,
    tag: str = "val",
    score_sign: float = 1.0,
    **kwargs: Any,
) -> Checkpoint:
    """Keep, through ``save_handler``, the ``n_saved`` best ``models`` by
    ``score_sign * evaluator.state.metrics[metric_name]``, checked at each evaluator
    COMPLETED; files are named ``best_<name>_<step>_<tag>_<metric>=<score>`` with the
    trainer's epoch as step when ``trainer`` is given (``kwargs`` go to Checkpoint).

    Example::

        gen_save_best_models_by_val_score(
            DiskSaver("/tmp/best", require_empty=False), evaluator, model, "accuracy",
            trainer=trainer,
        )
    """
    global_step_transform = global_step_from_engine(trainer) if trainer is not None else None
    to_save = {"model": models} if isinstance(models, torch.nn.Module) else models
    best_model_handler = Checkpoint(
        to_save,
        save_handler,
        filename_prefix="best",
        n_saved=n_saved,
        global_step_transform=global_step_transform,
        score_name=f"{tag}_{metric_name.lower()}",
        score_function=get_default_score_fn(metric_name, score_sign=score_sign),
        **kwargs,
    )
    evaluator.add_event_handler(Events.COMPLETED, best_model_handler)
    return best_model_handler


def save_best_model_by_val_score(
    output_path: str,
    evaluator: Engine,
    model: torch.nn.Module,
    metric_name: str,
    n_saved: int = 3,
    trainer: Engine | None = None,
    tag: str = "val",
    score_sign: float = 1.0,
    **kwargs: Any,
) -> Checkpoint:
    """:func:`gen_save_best_models_by_val_score` saving to the directory ``output_path``."""
    return gen_save_best_models_by_val_score(
        save_handler=DiskSaver(dirname=output_path, require_empty=False),
        evaluator=evaluator,
        models=model,
        metric_name=metric_name,
        n_saved=n_saved,
        trainer=trainer,
        tag=tag,
        score_sign=score_sign,
        **kwargs,
    )


def add_early_stopping_by_val_score(
    patience: int,
    evaluator: Engine,
    trainer: Engine,
    metric_name: str,
    score_sign: float = 1.0,
) -> EarlyStopping:
    """Stop ``trainer`` when ``score_sign * evaluator.state.metrics[metric_name]`` has not
    improved for ``patience`` evaluations; returns the EarlyStopping handler."""
    es_handler = EarlyStopping(
        patience=patience,
        score_function=get_default_score_fn(metric_name, score_sign=score_sign),
        trainer=trainer,
    )
    evaluator.add_event_handler(Events.COMPLETED, es_handler)
    return es_handler
