"""Polyaxon logger and its handlers.

The Polyaxon client is imported when a logger is created, never at import time:
``pip install polyaxon`` (v1+, ``polyaxon.tracking.Run``) or ``polyaxon-client`` (v0.x).
"""

from __future__ import annotations

from typing import Any

from oxignite.engine import Engine
from oxignite.handlers._logger_common import optimizer_param_values, output_metrics_at_step
from oxignite.handlers.base_logger import BaseLogger, BaseOptimizerParamsHandler, BaseOutputHandler
from oxignite.handlers.utils import global_step_from_engine

__all__ = ["OptimizerParamsHandler", "OutputHandler", "PolyaxonLogger", "global_step_from_engine"]


class PolyaxonLogger(BaseLogger):
    """Log parameters and metrics to a `Polyaxon <https://polyaxon.com/>`_ run.

    Args:
        *args: passed to ``polyaxon.tracking.Run`` (or, with polyaxon-client v0.x,
            ``polyaxon_client.tracking.Experiment``).
        **kwargs: passed to it too, e.g. ``is_offline=True``.

    Unknown attributes are forwarded to the run (``plx_logger.log_inputs(seed=0)``).

    Example::

        from oxignite.engine import Events
        from oxignite.handlers.polyaxon_logger import PolyaxonLogger

        plx_logger = PolyaxonLogger()
        plx_logger.log_inputs(seed=seed, batch_size=batch_size)
        plx_logger.attach_output_handler(
            trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
    """

    def __init__(self, *args: Any, **kwargs: Any):
        try:
            from polyaxon.tracking import Run
        except ImportError:
            try:
                from polyaxon_client.tracking import Experiment
            except ImportError:
                raise ModuleNotFoundError(
                    "This contrib module requires polyaxon to be installed.\n"
                    "For Polyaxon v1.x please install it with command: \n pip install polyaxon\n"
                    "For Polyaxon v0.x please install it with command: \n pip install "
                    "polyaxon-client"
                ) from None
            self.experiment = Experiment(*args, **kwargs)
        else:
            self.experiment = Run(*args, **kwargs)

    def close(self) -> None:
        """End the run (errors while ending are ignored, as in ignite)."""
        try:
            self.experiment.end()
        except Exception:  # noqa: BLE001, S110 - ignite ignores them too
            pass

    def __getattr__(self, attr: Any) -> Any:
        if attr == "experiment":  # not yet set (failed __init__): no infinite recursion
            raise AttributeError(attr)
        return getattr(self.experiment, attr)

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Log metrics / transformed output / state attributes with ``log_metrics`` as
    ``"{tag}/{name}"``, with ``step`` = the global step.

    Args:
        tag: common name prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or dict of them.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event. Use :func:`global_step_from_engine` for another engine's.
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        plx_logger.attach(
            evaluator,
            log_handler=OutputHandler(tag="validation", metric_names=["nll", "accuracy"],
                                      global_step_transform=global_step_from_engine(trainer)),
            event_name=Events.EPOCH_COMPLETED,
        )
    """

    def __call__(self, engine: Engine, logger: PolyaxonLogger, event_name: Any) -> None:
        if not isinstance(logger, PolyaxonLogger):
            raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
                "Handler 'OutputHandler' works only with PolyaxonLogger"
            )

        metrics, global_step = output_metrics_at_step(self, engine, event_name, key_tuple=False)
        metrics["step"] = global_step
        logger.log_metrics(**metrics)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log ``optimizer.param_groups[i][param_name]`` as ``"{tag}/{param_name}/group_{i}"``.

    Example::

        plx_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                          event_name=Events.ITERATION_STARTED)
    """

    def __call__(self, engine: Engine, logger: PolyaxonLogger, event_name: Any) -> None:
        if not isinstance(logger, PolyaxonLogger):
            raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
                "Handler OptimizerParamsHandler works only with PolyaxonLogger"
            )

        global_step = engine.state.get_event_attrib_value(event_name)
        params: dict[str, Any] = dict(optimizer_param_values(self))
        params["step"] = global_step
        logger.log_metrics(**params)
