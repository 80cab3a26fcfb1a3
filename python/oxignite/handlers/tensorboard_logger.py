"""TensorBoard logger (``torch.utils.tensorboard.SummaryWriter``) and its handlers."""

from __future__ import annotations

from typing import Any

from oxignite.engine import Engine
from oxignite.handlers._logger_common import (
    optimizer_param_values,
    output_metrics_at_step,
    param_tensors,
    reduced_key,
    tag_prefix,
)
from oxignite.handlers.base_logger import (
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsHandler,
    BaseWeightsScalarHandler,
)
from oxignite.handlers.utils import global_step_from_engine

__all__ = [
    "GradsHistHandler",
    "GradsScalarHandler",
    "OptimizerParamsHandler",
    "OutputHandler",
    "TensorboardLogger",
    "WeightsHistHandler",
    "WeightsScalarHandler",
    "global_step_from_engine",
]


class TensorboardLogger(BaseLogger):
    """Log to TensorBoard through a ``SummaryWriter`` (``tensorboardX`` if installed, else
    ``torch.utils.tensorboard``). Unknown attributes are forwarded to the writer.

    Args:
        *args: passed to ``SummaryWriter`` (e.g. ``log_dir``).
        **kwargs: passed to ``SummaryWriter``.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import TensorboardLogger
        tb_logger = TensorboardLogger(log_dir="runs/exp1")
        tb_logger.attach_output_handler(trainer, event_name=Events.ITERATION_COMPLETED,
                                        tag="training", output_transform=lambda loss: {"loss": loss})
        tb_logger.attach_opt_params_handler(trainer, event_name=Events.ITERATION_STARTED,
                                            optimizer=optimizer)
        trainer.run(data, max_epochs=2)
        tb_logger.close()
    """

    def __init__(self, *args: Any, **kwargs: Any):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as e:
                raise ModuleNotFoundError(
                    "This contrib module requires either tensorboardX or torch >= 1.2.0. "
                    "You may install tensorboardX with command: \n pip install tensorboardX \n"
                    "or upgrade PyTorch using your package manager of choice (pip or conda)."
                ) from e
        self.writer = SummaryWriter(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr == "writer":  # not yet set (e.g. failed __init__): avoid infinite recursion
            raise AttributeError(attr)
        return getattr(self.writer, attr)

    def close(self) -> None:
        """Flush and close the writer."""
        self.writer.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _check_logger(logger: Any, handler_name: str) -> None:
    if not isinstance(logger, TensorboardLogger):
        # ignite's messages quote every handler's name but OptimizerParamsHandler's.
        shown = handler_name if handler_name == "OptimizerParamsHandler" else f"'{handler_name}'"
        raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
            f"Handler {shown} works only with TensorboardLogger"
        )


class _ScalarsHandler(BaseWeightsScalarHandler):
    """``reduction`` of each parameter (``_grads``: of its gradient) as a scalar."""

    _grads = False

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, type(self).__name__)
        global_step = engine.state.get_event_attrib_value(event_name)
        for name, t in param_tensors(self.weights, self._grads):
            logger.writer.add_scalar(
                reduced_key(self, self._grads, name), self.reduction(t), global_step
            )


class _HistogramsHandler(BaseWeightsHandler):
    """Each parameter (``_grads``: its gradient) as a histogram."""

    _grads = False

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, type(self).__name__)
        global_step = engine.state.get_event_attrib_value(event_name)
        prefix = f"{tag_prefix(self.tag)}{'grads' if self._grads else 'weights'}/"
        for name, t in param_tensors(self.weights, self._grads):
            logger.writer.add_histogram(
                tag=prefix + name.replace(".", "/"),
                values=t.detach().cpu().numpy(),
                global_step=global_step,
            )


class OutputHandler(BaseOutputHandler):
    """Log metrics / transformed output / state attributes as scalars ``"{tag}/{name}"``.

    Example::

        tb_logger.attach(evaluator, event_name=Events.EPOCH_COMPLETED,
                         log_handler=OutputHandler(tag="validation", metric_names=["acc"],
                                                   global_step_transform=global_step_from_engine(trainer)))
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "OutputHandler")
        metrics, global_step = output_metrics_at_step(self, engine, event_name, key_tuple=False)
        for key, value in metrics.items():
            logger.writer.add_scalar(key, value, global_step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log ``optimizer.param_groups[i][param_name]`` as ``"{tag}/{param_name}/group_{i}"``.

    Example::

        tb_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                         event_name=Events.ITERATION_STARTED)
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "OptimizerParamsHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        for key, value in optimizer_param_values(self):
            logger.writer.add_scalar(key, value, global_step)


class WeightsScalarHandler(_ScalarsHandler):
    """Log ``reduction(param)`` as ``"{tag}/weights_{reduction}/{name}"`` for each parameter.

    Example::

        tb_logger.attach(trainer, log_handler=WeightsScalarHandler(model),
                         event_name=Events.ITERATION_COMPLETED)
    """


class WeightsHistHandler(_HistogramsHandler):
    """Log a histogram of each parameter as ``"{tag}/weights/{name}"``.

    Example::

        tb_logger.attach(trainer, log_handler=WeightsHistHandler(model),
                         event_name=Events.EPOCH_COMPLETED)
    """


class GradsScalarHandler(_ScalarsHandler):
    """Log ``reduction(param.grad)`` as ``"{tag}/grads_{reduction}/{name}"`` (skips ``None`` grads).

    Example::

        tb_logger.attach(trainer, log_handler=GradsScalarHandler(model, reduction=torch.norm),
                         event_name=Events.ITERATION_COMPLETED)
    """

    _grads = True


class GradsHistHandler(_HistogramsHandler):
    """Log a histogram of each parameter's gradient as ``"{tag}/grads/{name}"``.

    Example::

        tb_logger.attach(trainer, log_handler=GradsHistHandler(model),
                         event_name=Events.EPOCH_COMPLETED)
    """

    _grads = True
