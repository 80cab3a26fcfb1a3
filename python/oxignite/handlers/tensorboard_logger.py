"""TensorBoard logger (``torch.utils.tensorboard.SummaryWriter``) and its handlers."""

from __future__ import annotations

from typing import Any, Callable

from torch.optim import Optimizer

from oxignite.engine import Engine
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
        args, kwargs: passed to ``SummaryWriter`` (e.g. ``log_dir``).

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
            except ImportError as e:  # pragma: no cover
                raise ModuleNotFoundError(
                    "TensorboardLogger requires tensorboardX or tensorboard to be installed: "
                    "pip install tensorboard"
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
        raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
            f"Handler '{handler_name}' works only with TensorboardLogger"
        )


def _prefix(tag: str | None) -> str:
    return f"{tag}/" if tag else ""


class OutputHandler(BaseOutputHandler):
    """Log metrics / transformed output / state attributes as scalars ``"{tag}/{name}"``.

    Example::

        tb_logger.attach(evaluator, event_name=Events.EPOCH_COMPLETED,
                         log_handler=OutputHandler(tag="validation", metric_names=["acc"],
                                                   global_step_transform=global_step_from_engine(trainer)))
    """

    def __init__(
        self,
        tag: str,
        metric_names: list[str] | str | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable | None = None,
        state_attributes: list[str] | None = None,
    ):
        super().__init__(
            tag, metric_names, output_transform, global_step_transform, state_attributes
        )

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "OutputHandler")
        metrics = self._setup_output_metrics_state_attrs(engine, key_tuple=False)
        global_step = self.global_step_transform(engine, event_name)
        if not isinstance(global_step, int):
            raise TypeError(
                f"global_step must be int, got {type(global_step)}. "
                "Please check the output of global_step_transform."
            )
        for key, value in metrics.items():
            logger.writer.add_scalar(key, value, global_step)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Log ``optimizer.param_groups[i][param_name]`` as ``"{tag}/{param_name}/group_{i}"``.

    Example::

        tb_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                         event_name=Events.ITERATION_STARTED)
    """

    def __init__(self, optimizer: Optimizer, param_name: str = "lr", tag: str | None = None):
        super().__init__(optimizer, param_name, tag)

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "OptimizerParamsHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        prefix = _prefix(self.tag)
        for i, group in enumerate(self.optimizer.param_groups):
            logger.writer.add_scalar(
                f"{prefix}{self.param_name}/group_{i}", float(group[self.param_name]), global_step
            )


class WeightsScalarHandler(BaseWeightsScalarHandler):
    """Log ``reduction(param)`` as ``"{tag}/weights_{reduction}/{name}"`` for each parameter.

    Example::

        tb_logger.attach(trainer, log_handler=WeightsScalarHandler(model),
                         event_name=Events.ITERATION_COMPLETED)
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "WeightsScalarHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        prefix = _prefix(self.tag)
        for name, p in self.weights:
            name = name.replace(".", "/")
            logger.writer.add_scalar(
                f"{prefix}weights_{self.reduction.__name__}/{name}",
                self.reduction(p.data),
                global_step,
            )


class WeightsHistHandler(BaseWeightsHandler):
    """Log a histogram of each parameter as ``"{tag}/weights/{name}"``.

    Example::

        tb_logger.attach(trainer, log_handler=WeightsHistHandler(model),
                         event_name=Events.EPOCH_COMPLETED)
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "WeightsHistHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        prefix = _prefix(self.tag)
        for name, p in self.weights:
            name = name.replace(".", "/")
            logger.writer.add_histogram(
                tag=f"{prefix}weights/{name}",
                values=p.data.detach().cpu().numpy(),
                global_step=global_step,
            )


class GradsScalarHandler(BaseWeightsScalarHandler):
    """Log ``reduction(param.grad)`` as ``"{tag}/grads_{reduction}/{name}"`` (skips ``None`` grads).

    Example::

        tb_logger.attach(trainer, log_handler=GradsScalarHandler(model, reduction=torch.norm),
                         event_name=Events.ITERATION_COMPLETED)
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "GradsScalarHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        prefix = _prefix(self.tag)
        for name, p in self.weights:
            if p.grad is None:
                continue
            name = name.replace(".", "/")
            logger.writer.add_scalar(
                f"{prefix}grads_{self.reduction.__name__}/{name}",
                self.reduction(p.grad),
                global_step,
            )


class GradsHistHandler(BaseWeightsHandler):
    """Log a histogram of each parameter's gradient as ``"{tag}/grads/{name}"``.

    Example::

        tb_logger.attach(trainer, log_handler=GradsHistHandler(model),
                         event_name=Events.EPOCH_COMPLETED)
    """

    def __call__(self, engine: Engine, logger: TensorboardLogger, event_name: Any) -> None:
        _check_logger(logger, "GradsHistHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        prefix = _prefix(self.tag)
        for name, p in self.weights:
            if p.grad is None:
                continue
            name = name.replace(".", "/")
            logger.writer.add_histogram(
                tag=f"{prefix}grads/{name}",
                values=p.grad.detach().cpu().numpy(),
                global_step=global_step,
            )
