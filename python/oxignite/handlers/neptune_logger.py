"""Neptune logger, its handlers and a checkpoint saver uploading to Neptune.

The ``neptune`` client is imported when a logger is created, never at import time:
``pip install neptune``.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping
from typing import Any

import torch

from oxignite import distributed as idist
from oxignite.engine import Engine
from oxignite.handlers._logger_common import (
    optimizer_param_values,
    output_metrics_at_step,
    param_tensors,
    reduced_key,
)
from oxignite.handlers.base_logger import (
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsScalarHandler,
)
from oxignite.handlers.checkpoint import BaseSaveHandler
from oxignite.handlers.utils import global_step_from_engine

__all__ = [
    "GradsScalarHandler",
    "NeptuneLogger",
    "NeptuneSaver",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsScalarHandler",
    "global_step_from_engine",
]

# Where the run records which integration (and version) wrote it, as ignite does.
_INTEGRATION_VERSION_KEY = "source_code/integrations/neptune-pytorch-ignite"


class NeptuneLogger(BaseLogger):
    """Log metrics, optimizer parameters, weights and gradients to a
    `Neptune <https://neptune.ai/>`_ run (``neptune.init_run``).

    Args:
        api_token: Neptune API token (default: ``NEPTUNE_API_TOKEN``).
        project: ``"workspace/project"`` (default: ``NEPTUNE_PROJECT``).
        kwargs: passed to ``neptune.init_run`` (``mode="offline"``, ``tags``...).

    The logger is the run: ``npt_logger["params/lr"] = 0.1``, and unknown attributes are
    forwarded to it.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers.neptune_logger import NeptuneLogger

        npt_logger = NeptuneLogger(project="workspace/project", mode="offline")
        npt_logger.attach_output_handler(
            trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
        npt_logger.attach_opt_params_handler(
            trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer
        )
    """

    def __getattr__(self, attr: Any) -> Any:
        if attr == "experiment":  # not yet set (failed __init__): no infinite recursion
            raise AttributeError(attr)
        return getattr(self.experiment, attr)

    def __getitem__(self, key: str) -> Any:
        return self.experiment[key]

    def __setitem__(self, key: str, val: Any) -> Any:
        self.experiment[key] = val

    def __init__(self, api_token: str | None = None, project: str | None = None, **kwargs: Any):
        try:
            import neptune
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires the Neptune client library to be installed. "
                "Install neptune with the command: \n pip install neptune \n"
            ) from None

        run = neptune.init_run(api_token=api_token, project=project, **kwargs)
        from oxignite import __version__

        run[_INTEGRATION_VERSION_KEY] = __version__
        self.experiment = run

    def close(self) -> None:
        """Stop the run (waits for its data to be written)."""
        self.experiment.stop()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _check_logger(logger: Any, handler_name: str) -> None:
    if not isinstance(logger, NeptuneLogger):
        raise TypeError(f"Handler {handler_name} works only with NeptuneLogger")


class OutputHandler(BaseOutputHandler):
    """Append metrics / transformed output / state attributes to the series
    ``"{tag}/{name}"`` at the global step.

    Args:
        tag: common name prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or dict of them.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event. Use :func:`global_step_from_engine` for another engine's.
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        npt_logger.attach(
            evaluator,
            log_handler=OutputHandler(tag="validation", metric_names=["nll", "accuracy"],
                                      global_step_transform=global_step_from_engine(trainer)),
            event_name=Events.EPOCH_COMPLETED,
        )
    """

    def __call__(self, engine: Engine, logger: NeptuneLogger, event_name: Any) -> None:
        _check_logger(logger, "OutputHandler")
        metrics, global_step = output_metrics_at_step(self, engine, event_name, key_tuple=False)
        for key, value in metrics.items():
            logger[key].append(value, step=global_step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Append ``optimizer.param_groups[i][param_name]`` to ``"{tag}/{param_name}/group_{i}"``.

    Example::

        npt_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                          event_name=Events.ITERATION_STARTED)
    """

    def __call__(self, engine: Engine, logger: NeptuneLogger, event_name: Any) -> None:
        _check_logger(logger, "OptimizerParamsHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        for key, value in optimizer_param_values(self):
            logger[key].append(value, step=global_step)


class _ScalarsHandler(BaseWeightsScalarHandler):
    """Append ``reduction`` of each parameter (``_grads``: of its gradient) to
    ``"{tag}/{kind}_{reduction}/{name}"``; as in ignite, parameters without a gradient are
    skipped either way."""

    _grads = False

    def __call__(self, engine: Engine, logger: NeptuneLogger, event_name: Any) -> None:
        _check_logger(logger, type(self).__name__)
        global_step = engine.state.get_event_attrib_value(event_name)
        for name, t in param_tensors(self.weights, grads=self._grads, skip_no_grad=True):
            key = reduced_key(self, self._grads, name)
            logger[key].append(self.reduction(t), step=global_step)


class WeightsScalarHandler(_ScalarsHandler):
    """Append ``reduction(param)`` to ``"{tag}/weights_{reduction}/{name}"`` (dots in names
    become slashes). As in ignite, parameters without a gradient are skipped.

    Example::

        npt_logger.attach(trainer, log_handler=WeightsScalarHandler(model, reduction=torch.norm),
                          event_name=Events.ITERATION_COMPLETED)
    """


class GradsScalarHandler(_ScalarsHandler):
    """Append ``reduction(param.grad)`` to ``"{tag}/grads_{reduction}/{name}"``.

    Example::

        npt_logger.attach(trainer, log_handler=GradsScalarHandler(model, reduction=torch.norm),
                          event_name=Events.ITERATION_COMPLETED)
    """

    _grads = True


class NeptuneSaver(BaseSaveHandler):
    """Checkpoint saver uploading each checkpoint to the run under its file name.

    Example::

        from oxignite.handlers import Checkpoint
        handler = Checkpoint({"model": model}, NeptuneSaver(npt_logger), n_saved=2)
        evaluator.add_event_handler(Events.COMPLETED, handler)
    """

    @idist.one_rank_only()
    def __init__(self, neptune_logger: NeptuneLogger):
        self._logger = neptune_logger

    @idist.one_rank_only()
    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # neptune.new is deprecated but still there
                from neptune.new.types import File
        except ImportError:
            from neptune.types import File

        with tempfile.NamedTemporaryFile() as tmp:
            torch.save(checkpoint, tmp.file)
            tmp.file.seek(0)
            self._logger[filename].upload(File.from_stream(tmp.file))

    @idist.one_rank_only(with_barrier=True)
    def remove(self, filename: str) -> None:
        del self._logger.experiment[filename]
