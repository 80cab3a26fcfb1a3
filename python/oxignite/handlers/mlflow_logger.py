"""MLflow logger (``mlflow`` tracking client) and its handlers.

``mlflow`` is imported when a logger is created, never at import time: ``pip install mlflow``
(or the lighter ``mlflow-skinny``).
"""

from __future__ import annotations

import warnings
from typing import Any

from oxignite.engine import Engine
from oxignite.handlers._logger_common import optimizer_param_values, output_metrics_at_step
from oxignite.handlers.base_logger import BaseLogger, BaseOptimizerParamsHandler, BaseOutputHandler
from oxignite.handlers.utils import global_step_from_engine

__all__ = ["MLflowLogger", "OptimizerParamsHandler", "OutputHandler", "global_step_from_engine"]


class MLflowLogger(BaseLogger):
    """Log parameters and metrics to `MLflow <https://mlflow.org>`_ in the active run (a new run
    is started if none is active). Unknown attributes are forwarded to the ``mlflow`` module
    (``mlflow_logger.log_params(...)`` is ``mlflow.log_params(...)``).

    Args:
        tracking_uri: MLflow tracking URI (see ``mlflow.set_tracking_uri``); ``None`` keeps
            MLflow's default (``MLFLOW_TRACKING_URI`` or ``./mlruns``).

    Example::

        from oxignite.engine import Events
        from oxignite.handlers.mlflow_logger import MLflowLogger, global_step_from_engine

        mlflow_logger = MLflowLogger(tracking_uri="file:///tmp/mlruns")
        mlflow_logger.log_params({"seed": 0, "batch_size": 64})
        mlflow_logger.attach_output_handler(
            trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
        mlflow_logger.attach_output_handler(
            evaluator, event_name=Events.EPOCH_COMPLETED, tag="validation",
            metric_names=["nll", "accuracy"],
            global_step_transform=global_step_from_engine(trainer),
        )
        mlflow_logger.attach_opt_params_handler(
            trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer
        )
    """

    def __init__(self, tracking_uri: str | None = None):
        try:
            import mlflow
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires mlflow to be installed. "
                "Please install it with command: \n pip install mlflow"
            ) from None

        if tracking_uri is not None:
            mlflow.set_tracking_uri(tracking_uri)
        self.active_run = mlflow.active_run()
        if self.active_run is None:
            self.active_run = mlflow.start_run()

    def __getattr__(self, attr: Any) -> Any:
        import mlflow

        return getattr(mlflow, attr)

    def close(self) -> None:
        """End the active MLflow run."""
        import mlflow

        mlflow.end_run()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Log metrics / transformed output / state attributes with ``mlflow.log_metrics``.

    Names are the flattened keys joined by spaces (``"training loss"``, ``"validation cm 0"``);
    names MLflow rejects are dropped with a warning.

    Args:
        tag: common name prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or dict of them.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event. Use :func:`global_step_from_engine` for another engine's.
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        mlflow_logger.attach(
            evaluator,
            log_handler=OutputHandler(tag="validation", metric_names=["nll", "accuracy"],
                                      global_step_transform=global_step_from_engine(trainer)),
            event_name=Events.EPOCH_COMPLETED,
        )
    """

    def __call__(self, engine: Engine, logger: MLflowLogger, event_name: Any) -> None:
        if not isinstance(logger, MLflowLogger):
            raise TypeError("Handler 'OutputHandler' works only with MLflowLogger")

        rendered, global_step = output_metrics_at_step(self, engine, event_name)

        # MLflow raises on invalid names: drop them here with a warning instead.
        from mlflow.utils.validation import validate_param_and_metric_name

        metrics = {}
        for keys, value in rendered.items():
            key = " ".join(keys)
            if validate_param_and_metric_name(key):
                metrics[key] = value
            else:
                warnings.warn(
                    f"MLflowLogger output_handler encountered an invalid metric name '{key}' that "
                    "will be ignored and not logged to MLflow"
                )
        logger.log_metrics(metrics, step=global_step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log ``optimizer.param_groups[i][param_name]`` as ``"{tag} {param_name} group_{i}"``.

    Example::

        mlflow_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                             event_name=Events.ITERATION_STARTED)
    """

    def __call__(self, engine: Engine, logger: MLflowLogger, event_name: Any) -> None:
        if not isinstance(logger, MLflowLogger):
            raise TypeError("Handler OptimizerParamsHandler works only with MLflowLogger")

        global_step = engine.state.get_event_attrib_value(event_name)
        logger.log_metrics(dict(optimizer_param_values(self, " ")), step=global_step)
