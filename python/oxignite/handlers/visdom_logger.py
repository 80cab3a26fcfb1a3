"""Visdom logger and its handlers.

``visdom`` is imported when a logger is created, never at import time: ``pip install visdom``;
the logger talks to a running server (``python -m visdom.server``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

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
from oxignite.handlers.utils import global_step_from_engine

__all__ = [
    "GradsScalarHandler",
    "OptimizerParamsHandler",
    "OutputHandler",
    "VisdomLogger",
    "WeightsScalarHandler",
    "global_step_from_engine",
]


class VisdomLogger(BaseLogger):
    """Plot metrics, optimizer parameters, weights and gradients on a
    `Visdom <https://github.com/fossasia/visdom>`_ server, one line plot per name.

    Args:
        server: server URL (default: ``VISDOM_SERVER_URL`` or ``"localhost"``).
        port: server port (default: ``VISDOM_PORT`` or 8097).
        num_workers: threads sending the plots (0: send from the engine's thread).
        raise_exceptions: raise on connection errors (passed to ``visdom.Visdom``).
        kwargs: passed to ``visdom.Visdom``; ``username`` / ``password`` default to
            ``VISDOM_USERNAME`` / ``VISDOM_PASSWORD``.

    Raises:
        RuntimeError: if the server cannot be reached (and the client is not offline).

    Example::

        from oxignite.engine import Events
        from oxignite.handlers.visdom_logger import VisdomLogger

        vd_logger = VisdomLogger(server="http://localhost", port=8097)
        vd_logger.attach_output_handler(
            trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
        ...
        vd_logger.close()
    """

    def __init__(
        self,
        server: str | None = None,
        port: int | None = None,
        num_workers: int = 1,
        raise_exceptions: bool = True,
        **kwargs: Any,
    ):
        try:
            import visdom
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires visdom package. "
                "Please install it with command:\n"
                "pip install git+https://github.com/fossasia/visdom.git"
            ) from None

        if server is None:
            server = os.environ.get("VISDOM_SERVER_URL", "localhost")
        if port is None:
            port = int(os.environ.get("VISDOM_PORT", "8097"))
        if "username" not in kwargs:
            kwargs["username"] = os.environ.get("VISDOM_USERNAME", None)
        if "password" not in kwargs:
            kwargs["password"] = os.environ.get("VISDOM_PASSWORD", None)

        self.vis = visdom.Visdom(
            server=server, port=port, raise_exceptions=raise_exceptions, **kwargs
        )
        if not self.vis.offline and not self.vis.check_connection():
            raise RuntimeError(
                f"Failed to connect to Visdom server at {server}. "
                "Did you run python -m visdom.server ?"
            )

        self.executor: _DummyExecutor | ThreadPoolExecutor = _DummyExecutor()
        if num_workers > 0:
            self.executor = ThreadPoolExecutor(max_workers=num_workers)

    def _save(self) -> None:
        self.vis.save([self.vis.env])

    def close(self) -> None:
        """Wait for the pending plots, then close the client."""
        self.executor.shutdown()
        self.vis.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


class _BaseVisDrawer:
    """One Visdom window per name: created by the first point, appended to afterwards."""

    def __init__(self, show_legend: bool = False):
        self.windows: dict[str, Any] = {}
        self.show_legend = show_legend

    def add_scalar(
        self,
        logger: VisdomLogger,
        k: str,
        v: str | float | torch.Tensor,
        event_name: Any,
        global_step: int,
    ) -> None:
        """Plot the point ``(global_step, v)`` in the window of ``k``."""
        if k not in self.windows:
            self.windows[k] = {
                "win": None,
                "opts": {
                    "title": k,
                    "xlabel": str(event_name),
                    "ylabel": k,
                    "showlegend": self.show_legend,
                },
            }
        win = self.windows[k]["win"]
        future = logger.executor.submit(
            logger.vis.line,
            X=[global_step],
            Y=[v],
            env=logger.vis.env,
            win=win,
            update=None if win is None else "append",
            opts=self.windows[k]["opts"],
            name=k,
        )
        if win is None:  # the window id is needed before the next point is sent
            self.windows[k]["win"] = future.result()


def _check_logger(logger: Any, handler_name: str) -> None:
    if not isinstance(logger, VisdomLogger):
        raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
            f"Handler {handler_name} works only with VisdomLogger"
        )


class OutputHandler(BaseOutputHandler, _BaseVisDrawer):
    """Plot metrics / transformed output / state attributes as ``"{tag}/{name}"``.

    Args:
        tag: common name prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or dict of them.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event. Use :func:`global_step_from_engine` for another engine's.
        show_legend: show the legend in the plots.
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        vd_logger.attach(
            evaluator,
            log_handler=OutputHandler(tag="validation", metric_names=["nll", "accuracy"],
                                      global_step_transform=global_step_from_engine(trainer)),
            event_name=Events.EPOCH_COMPLETED,
        )
    """

    def __init__(
        self,
        tag: str,
        metric_names: list[str] | str | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable | None = None,
        show_legend: bool = False,
        state_attributes: list[str] | None = None,
    ):
        super().__init__(
            tag, metric_names, output_transform, global_step_transform, state_attributes
        )
        _BaseVisDrawer.__init__(self, show_legend=show_legend)

    def __call__(self, engine: Engine, logger: VisdomLogger, event_name: Any) -> None:
        _check_logger(logger, "'OutputHandler'")
        metrics, global_step = output_metrics_at_step(self, engine, event_name, key_tuple=False)
        for key, value in metrics.items():
            self.add_scalar(logger, key, value, event_name, global_step)
        logger._save()


class OptimizerParamsHandler(BaseOptimizerParamsHandler, _BaseVisDrawer):
    """Plot ``optimizer.param_groups[i][param_name]`` as ``"{tag}/{param_name}/group_{i}"``.

    Example::

        vd_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                         event_name=Events.ITERATION_STARTED)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str = "lr",
        tag: str | None = None,
        show_legend: bool = False,
    ):
        super().__init__(optimizer, param_name, tag)
        _BaseVisDrawer.__init__(self, show_legend=show_legend)

    def __call__(self, engine: Engine, logger: VisdomLogger, event_name: Any) -> None:
        _check_logger(logger, "OptimizerParamsHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        for key, value in optimizer_param_values(self):
            self.add_scalar(logger, key, value, event_name, global_step)
        logger._save()


class _ReducedParamsHandler(BaseWeightsScalarHandler, _BaseVisDrawer):
    """Plots ``reduction`` of every parameter of the model (or of its gradient), as in
    ignite (all of them, not only the whitelisted ones)."""

    _grads = False

    def __init__(
        self,
        model: nn.Module,
        reduction: Callable = torch.norm,
        tag: str | None = None,
        show_legend: bool = False,
    ):
        super().__init__(model, reduction, tag=tag)
        _BaseVisDrawer.__init__(self, show_legend=show_legend)

    def __call__(self, engine: Engine, logger: VisdomLogger, event_name: Any) -> None:
        _check_logger(logger, f"'{type(self).__name__}'")
        global_step = engine.state.get_event_attrib_value(event_name)
        for name, t in param_tensors(self.model.named_parameters(), grads=self._grads):
            key = reduced_key(self, self._grads, name)
            self.add_scalar(logger, key, self.reduction(t), event_name, global_step)
        logger._save()


class WeightsScalarHandler(_ReducedParamsHandler):
    """Plot ``reduction(param)`` as ``"{tag}/weights_{reduction}/{name}"`` for every parameter.

    Example::

        vd_logger.attach(trainer, log_handler=WeightsScalarHandler(model, reduction=torch.norm),
                         event_name=Events.ITERATION_COMPLETED)
    """


class GradsScalarHandler(_ReducedParamsHandler):
    """Plot ``reduction(param.grad)`` as ``"{tag}/grads_{reduction}/{name}"``.

    Example::

        vd_logger.attach(trainer, log_handler=GradsScalarHandler(model, reduction=torch.norm),
                         event_name=Events.ITERATION_COMPLETED)
    """

    _grads = True


class _DummyExecutor:
    """Runs submitted calls at once (``num_workers=0``), with the executor interface."""

    class _DummyFuture:
        def __init__(self, result: Any) -> None:
            self._output = result

        def result(self) -> Any:
            return self._output

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def submit(self, fn: Callable, **kwargs: Any) -> _DummyExecutor._DummyFuture:
        return _DummyExecutor._DummyFuture(fn(**kwargs))

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        pass
