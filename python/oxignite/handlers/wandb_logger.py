"""Weights & Biases logger and its handlers.

``wandb`` is imported when a logger is created, never at import time: ``pip install wandb``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from warnings import warn

from torch.optim import Optimizer

from oxignite.engine import Engine
from oxignite.handlers._logger_common import checked_global_step, optimizer_param_values
from oxignite.handlers.base_logger import BaseLogger, BaseOptimizerParamsHandler, BaseOutputHandler
from oxignite.handlers.utils import global_step_from_engine

__all__ = ["OptimizerParamsHandler", "OutputHandler", "WandBLogger", "global_step_from_engine"]

_SYNC_UNUSED = (
    "The sync argument for the WandBLoggers is no longer used, and may be removed in the future"
)


class WandBLogger(BaseLogger):
    """Log metrics and optimizer parameters to `Weights & Biases <https://wandb.ai/site>`_.

    Args:
        *args: passed to ``wandb.init``, unless ``init=False`` is given: then the run
            already started by the caller is used.
        **kwargs: passed to ``wandb.init`` (``project``, ``config``, ``mode="offline"``...),
            as ``*args``.

    Unknown attributes are forwarded to the ``wandb`` module (``wandb_logger.watch(model)``).

    Example::

        from oxignite.engine import Events
        from oxignite.handlers.wandb_logger import WandBLogger

        wandb_logger = WandBLogger(project="pytorch-ignite-integration", config={"lr": 0.1})
        wandb_logger.attach_output_handler(
            trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
        wandb_logger.attach_opt_params_handler(
            trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer
        )
    """

    def __init__(self, *args: Any, **kwargs: Any):
        try:
            import wandb
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires wandb to be installed. "
                "You man install wandb with the command:\n pip install wandb\n"
            ) from None
        self._wandb = wandb
        if kwargs.pop("init", True):
            self._wandb.init(*args, **kwargs)

    def __getattr__(self, attr: Any) -> Any:
        if attr == "_wandb":  # not yet set (failed __init__): no infinite recursion
            raise AttributeError(attr)
        return getattr(self._wandb, attr)

    def close(self) -> None:
        """Finish the wandb run."""
        self._wandb.finish()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Log metrics / transformed output / state attributes (text too) with ``wandb.log`` as
    ``"{tag}/{name}"``.

    Args:
        tag: common name prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor, string or dict.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event. Use :func:`global_step_from_engine` for another engine's.
        sync: no longer used (a warning says so when given).
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        wandb_logger.attach(
            evaluator,
            log_handler=OutputHandler(tag="validation", metric_names=["nll", "accuracy"],
                                      global_step_transform=global_step_from_engine(trainer)),
            event_name=Events.EPOCH_COMPLETED,
        )
    """

    def __init__(
        self,
        tag: str,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable | None = None,
        sync: bool | None = None,
        state_attributes: list[str] | None = None,
    ):
        super().__init__(
            tag, metric_names, output_transform, global_step_transform, state_attributes
        )
        if sync is not None:
            warn(_SYNC_UNUSED)

    def __call__(self, engine: Engine, logger: WandBLogger, event_name: Any) -> None:
        if not isinstance(logger, WandBLogger):
            raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
                f"Handler '{self.__class__.__name__}' works only with WandBLogger."
            )

        global_step = checked_global_step(self, engine, event_name)
        metrics = self._setup_output_metrics_state_attrs(engine, log_text=True, key_tuple=False)
        logger.log(metrics, step=global_step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log ``optimizer.param_groups[i][param_name]`` as ``"{tag}/{param_name}/group_{i}"``.

    Args:
        optimizer: torch optimizer or any object with a ``param_groups`` sequence.
        param_name: the parameter to log.
        tag: common name prefix, e.g. ``"generator"``.
        sync: no longer used (a warning says so when given).

    Example::

        wandb_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                            event_name=Events.ITERATION_STARTED)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str = "lr",
        tag: str | None = None,
        sync: bool | None = None,
    ):
        super().__init__(optimizer, param_name, tag)
        if sync is not None:
            warn(_SYNC_UNUSED)

    def __call__(self, engine: Engine, logger: WandBLogger, event_name: Any) -> None:
        if not isinstance(logger, WandBLogger):
            raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
                "Handler OptimizerParamsHandler works only with WandBLogger"
            )

        global_step = engine.state.get_event_attrib_value(event_name)
        logger.log(dict(optimizer_param_values(self)), step=global_step)
