"""One-call setup of an experiment-tracking logger for a trainer (its output every
``log_every_iters`` iterations, each optimizer's lr) and evaluators (their metrics at
COMPLETED, against the trainer's epoch), as ``ignite.handlers.logger_utils``.

The logger classes are names of this module, as in ignite (so they can be patched here);
each imports its optional package only when it is created, so a package is needed only by
the function that uses it.

Example::

    from oxignite.handlers.logger_utils import setup_tb_logging

    tb_logger = setup_tb_logging("runs", trainer, optimizer, evaluators={"val": evaluator})
    trainer.run(train_loader, max_epochs=10)
    tb_logger.close()
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from oxignite.engine import Engine, Events
from oxignite.handlers.clearml_logger import ClearMLLogger  # noqa: F401 - see _logger_class
from oxignite.handlers.mlflow_logger import MLflowLogger  # noqa: F401 - see _logger_class
from oxignite.handlers.neptune_logger import NeptuneLogger  # noqa: F401 - see _logger_class
from oxignite.handlers.polyaxon_logger import PolyaxonLogger  # noqa: F401 - see _logger_class
from oxignite.handlers.tensorboard_logger import TensorboardLogger
from oxignite.handlers.utils import global_step_from_engine
from oxignite.handlers.visdom_logger import VisdomLogger  # noqa: F401 - see _logger_class
from oxignite.handlers.wandb_logger import WandBLogger  # noqa: F401 - see _logger_class

__all__ = [
    "setup_clearml_logging",
    "setup_mlflow_logging",
    "setup_neptune_logging",
    "setup_plx_logging",
    "setup_tb_logging",
    "setup_trains_logging",
    "setup_visdom_logging",
    "setup_wandb_logging",
]

_MetricNames = str | list[str]


def _logger_class(name: str) -> Any:
    """The logger class ``name`` as this module holds it at the call (patchable, as in
    ignite's module)."""
    return globals()[name]


def _setup_logging(
    logger: Any,
    trainer: Engine,
    optimizers: Any,
    evaluators: Engine | Mapping[str, Engine] | None,
    log_every_iters: int | None,
    *,
    trainer_metric_names: _MetricNames = "all",
    evaluator_metric_names: _MetricNames = "all",
) -> None:
    from torch.optim.optimizer import Optimizer

    if optimizers is not None and not isinstance(optimizers, (Optimizer, Mapping)):
        raise TypeError(
            "Argument optimizers should be either a single optimizer or a dictionary or optimizers"
        )
    if evaluators is not None and not isinstance(evaluators, (Engine, Mapping)):
        raise TypeError(
            "Argument evaluators should be either a single engine or a dictionary or engines"
        )
    if log_every_iters is None:
        log_every_iters = 1

    logger.attach_output_handler(
        trainer,
        event_name=Events.ITERATION_COMPLETED(every=log_every_iters),
        tag="training",
        metric_names=trainer_metric_names,
    )
    if optimizers is not None:
        if isinstance(optimizers, Optimizer):
            optimizers = {None: optimizers}
        for tag, optimizer in optimizers.items():
            logger.attach_opt_params_handler(
                trainer,
                Events.ITERATION_STARTED(every=log_every_iters),
                optimizer,
                param_name="lr",
                tag=tag,
            )
    if evaluators is not None:
        if isinstance(evaluators, Engine):
            evaluators = {"validation": evaluators}
        # W&B needs a step that only grows: the trainer's iteration rather than its epoch.
        is_wandb = type(logger).__name__ == "WandBLogger"
        gst = global_step_from_engine(
            trainer, custom_event_name=Events.ITERATION_COMPLETED if is_wandb else None
        )
        for tag, evaluator in evaluators.items():
            logger.attach_output_handler(
                evaluator,
                event_name=Events.COMPLETED,
                tag=tag,
                metric_names=evaluator_metric_names,
                global_step_transform=gst,
            )


def _setup(
    logger: Any,
    trainer: Engine,
    optimizers: Any,
    evaluators: Any,
    log_every_iters: int,
    trainer_metric_names: _MetricNames,
    evaluator_metric_names: _MetricNames,
) -> Any:
    _setup_logging(
        logger,
        trainer,
        optimizers,
        evaluators,
        log_every_iters,
        trainer_metric_names=trainer_metric_names,
        evaluator_metric_names=evaluator_metric_names,
    )
    return logger


def setup_tb_logging(
    output_path: str,
    trainer: Engine,
    optimizers: Any = None,
    evaluators: Engine | Mapping[str, Engine] | None = None,
    log_every_iters: int = 100,
    *,
    trainer_metric_names: _MetricNames = "all",
    evaluator_metric_names: _MetricNames = "all",
    **kwargs: Any,
) -> Any:
    """TensorboardLogger writing to ``output_path`` (``kwargs`` go to its constructor),
    attached to ``trainer``, its ``optimizers`` and ``evaluators``. Returns the logger."""
    logger = TensorboardLogger(log_dir=output_path, **kwargs)
    return _setup(
        logger,
        trainer,
        optimizers,
        evaluators,
        log_every_iters,
        trainer_metric_names,
        evaluator_metric_names,
    )


def _make_setup(module: str, class_name: str, public_name: str) -> Any:
    """Build ``setup_<x>_logging`` for a logger constructed from ``**kwargs`` only."""

    def setup(
        trainer: Engine,
        optimizers: Any = None,
        evaluators: Engine | Mapping[str, Engine] | None = None,
        log_every_iters: int = 100,
        *,
        trainer_metric_names: _MetricNames = "all",
        evaluator_metric_names: _MetricNames = "all",
        **kwargs: Any,
    ) -> Any:
        logger = _logger_class(class_name)(**kwargs)
        return _setup(
            logger,
            trainer,
            optimizers,
            evaluators,
            log_every_iters,
            trainer_metric_names,
            evaluator_metric_names,
        )

    setup.__name__ = setup.__qualname__ = public_name
    setup.__doc__ = (
        f"{class_name} (built from ``kwargs``) attached to ``trainer``, its ``optimizers`` "
        f"and ``evaluators``. Returns the logger; needs ``oxignite.handlers.{module}``."
    )
    return setup


setup_visdom_logging = _make_setup("visdom_logger", "VisdomLogger", "setup_visdom_logging")
setup_mlflow_logging = _make_setup("mlflow_logger", "MLflowLogger", "setup_mlflow_logging")
setup_neptune_logging = _make_setup("neptune_logger", "NeptuneLogger", "setup_neptune_logging")
setup_wandb_logging = _make_setup("wandb_logger", "WandBLogger", "setup_wandb_logging")
setup_plx_logging = _make_setup("polyaxon_logger", "PolyaxonLogger", "setup_plx_logging")
setup_clearml_logging = _make_setup("clearml_logger", "ClearMLLogger", "setup_clearml_logging")


def setup_trains_logging(
    trainer: Engine,
    optimizers: Any = None,
    evaluators: Engine | Mapping[str, Engine] | None = None,
    log_every_iters: int = 100,
    *,
    trainer_metric_names: _MetricNames = "all",
    evaluator_metric_names: _MetricNames = "all",
    **kwargs: Any,
) -> Any:
    """Old name of :func:`setup_clearml_logging` (warns)."""
    warnings.warn("setup_trains_logging was renamed to setup_clearml_logging.")
    return setup_clearml_logging(
        trainer,
        optimizers,
        evaluators,
        log_every_iters,
        trainer_metric_names=trainer_metric_names,
        evaluator_metric_names=evaluator_metric_names,
        **kwargs,
    )
