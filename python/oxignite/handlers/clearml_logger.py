"""ClearML logger, its handlers and a checkpoint saver storing ClearML artifacts.

``clearml`` is imported when a logger or saver is created, never at import time:
``pip install clearml``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from oxignite import distributed as idist
from oxignite.engine import Engine
from oxignite.handlers._logger_common import output_metrics_at_step, param_tensors, tag_prefix
from oxignite.handlers.base_logger import (
    BaseLogger,
    BaseOptimizerParamsHandler,
    BaseOutputHandler,
    BaseWeightsHandler,
    BaseWeightsScalarHandler,
)
from oxignite.handlers.checkpoint import DiskSaver
from oxignite.handlers.utils import global_step_from_engine

__all__ = [
    "ClearMLLogger",
    "ClearMLSaver",
    "GradsHistHandler",
    "GradsScalarHandler",
    "OptimizerParamsHandler",
    "OutputHandler",
    "WeightsHistHandler",
    "WeightsScalarHandler",
    "global_step_from_engine",
]

_INSTALL_MSG = (
    "This contrib module requires clearml to be installed. "
    "You may install clearml using: \n pip install clearml \n"
)


class ClearMLLogger(BaseLogger):
    """Log metrics, optimizer parameters, weights and gradients to a
    `ClearML <https://github.com/allegroai/clearml>`_ task: the current task, or one created
    with ``clearml.Task.init``.

    Args:
        kwargs: ``project_name``, ``task_name``, ``task_type`` (default: training) and the other
            keyword arguments of ``clearml.Task.init``.

    Unknown attributes are forwarded to the task's ``clearml.Logger``
    (``clearml_logger.report_text(...)``). ``ClearMLLogger.set_bypass_mode(True)`` puts
    ClearML offline (the default when the ``CI`` environment variable is set).

    Example::

        from oxignite.engine import Events
        from oxignite.handlers.clearml_logger import ClearMLLogger

        clearml_logger = ClearMLLogger(project_name="pytorch-ignite-integration",
                                       task_name="cnn-mnist")
        clearml_logger.attach_output_handler(
            trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
    """

    _task: Any

    def __init__(self, **kwargs: Any):
        try:
            from clearml import Task
            from clearml.binding.frameworks.tensorflow_bind import WeightsGradientHistHelper
        except ImportError:
            raise ModuleNotFoundError(_INSTALL_MSG) from None

        experiment_kwargs = {
            k: v for k, v in kwargs.items() if k not in ("project_name", "task_name", "task_type")
        }
        if self.bypass_mode():
            warnings.warn("ClearMLSaver: running in bypass mode")

        self._task = Task.current_task()
        if self._task is None:
            self._task = Task.init(
                project_name=kwargs.get("project_name"),
                task_name=kwargs.get("task_name"),
                task_type=kwargs.get("task_type", Task.TaskTypes.training),
                **experiment_kwargs,
            )
        self.clearml_logger = self._task.get_logger()
        self.grad_helper = WeightsGradientHistHelper(logger=self.clearml_logger, report_freq=1)

    @classmethod
    def set_bypass_mode(cls, bypass: bool) -> None:
        """Put ``clearml.Task`` offline (``True``) or back online (``False``)."""
        from clearml import Task

        cls._bypass = bypass
        Task.set_offline(offline_mode=bypass)

    @classmethod
    def bypass_mode(cls) -> bool:
        """Whether bypass (offline) mode is on: set by :meth:`set_bypass_mode`, else on when
        the ``CI`` environment variable is set."""
        return getattr(cls, "_bypass", bool(os.environ.get("CI")))

    def __getattr__(self, attr: Any) -> Any:
        if attr == "clearml_logger":  # not yet set (failed __init__): no infinite recursion
            raise AttributeError(attr)
        return getattr(self.clearml_logger, attr)

    def get_task(self) -> Any:
        """The ``clearml.Task`` this logger reports to."""
        return self._task

    def close(self) -> None:
        """Flush the reports and close the task."""
        self.clearml_logger.flush()
        if self._task:
            self._task.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> OutputHandler:
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> OptimizerParamsHandler:
        return OptimizerParamsHandler(*args, **kwargs)


def _check_logger(logger: Any, handler_name: str) -> None:
    if not isinstance(logger, ClearMLLogger):
        raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
            f"Handler {handler_name} works only with ClearMLLogger"
        )


class _ScalarsHandler(BaseWeightsScalarHandler):
    """``reduction`` of each parameter (``_grads``: of its gradient): title
    ``"{tag}/{kind}_{reduction}/{module}"`` (the name up to its first dot), series the rest."""

    _grads = False

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_logger(logger, type(self).__name__)
        global_step = engine.state.get_event_attrib_value(event_name)
        kind = "grads" if self._grads else "weights"
        title = f"{tag_prefix(self.tag)}{kind}_{self.reduction.__name__}"
        for name, t in param_tensors(self.weights, self._grads):
            title_name, _, series_name = name.partition(".")
            logger.clearml_logger.report_scalar(
                title=f"{title}/{title_name}",
                series=series_name,
                value=self.reduction(t),
                iteration=global_step,
            )


class _HistogramsHandler(BaseWeightsHandler):
    """Each parameter (``_grads``: its gradient) as a histogram: title
    ``"{tag}/{kind}_{module}"``, series the rest of the name."""

    _grads = False

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_logger(logger, f"'{type(self).__name__}'")  # quoted here, as in ignite
        global_step = engine.state.get_event_attrib_value(event_name)
        title = f"{tag_prefix(self.tag)}{'grads' if self._grads else 'weights'}"
        for name, t in param_tensors(self.weights, self._grads):
            title_name, _, series_name = name.partition(".")
            logger.grad_helper.add_histogram(
                title=f"{title}_{title_name}",
                series=series_name,
                step=global_step,
                hist_data=t.cpu().numpy(),
            )


class OutputHandler(BaseOutputHandler):
    """Report metrics / transformed output / state attributes as scalars: title ``tag``,
    series ``name`` (nested names: title ``"{tag}/{name}"``, series the rest joined by ``/``).

    Args:
        tag: common title prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or dict of them.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event. Use :func:`global_step_from_engine` for another engine's.
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        clearml_logger.attach(
            evaluator,
            log_handler=OutputHandler(tag="validation", metric_names=["nll", "accuracy"],
                                      global_step_transform=global_step_from_engine(trainer)),
            event_name=Events.EPOCH_COMPLETED,
        )
    """

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_logger(logger, "OutputHandler")
        metrics, global_step = output_metrics_at_step(self, engine, event_name)
        for key, value in metrics.items():
            if len(key) == 2:
                title, series = key
            elif len(key) >= 3:
                title, series = f"{key[0]}/{key[1]}", "/".join(key[2:])
            else:  # pragma: no cover - keys always start with the tag
                continue
            logger.clearml_logger.report_scalar(
                title=title, series=series, iteration=global_step, value=value
            )


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Report ``optimizer.param_groups[i][param_name]``: title ``"{tag}/{param_name}"``,
    series ``"i"``.

    Example::

        clearml_logger.attach(trainer, log_handler=OptimizerParamsHandler(optimizer),
                              event_name=Events.ITERATION_STARTED)
    """

    def __call__(self, engine: Engine, logger: ClearMLLogger, event_name: Any) -> None:
        _check_logger(logger, "OptimizerParamsHandler")
        global_step = engine.state.get_event_attrib_value(event_name)
        title = f"{tag_prefix(self.tag)}{self.param_name}"
        for i, group in enumerate(self.optimizer.param_groups):
            logger.clearml_logger.report_scalar(
                title=title,
                series=str(i),
                value=float(group[self.param_name]),
                iteration=global_step,
            )


class WeightsScalarHandler(_ScalarsHandler):
    """Report ``reduction(param)``: title ``"{tag}/weights_{reduction}/{module}"`` (the name
    up to the first dot), series the rest of the name.

    Example::

        clearml_logger.attach(trainer, log_handler=WeightsScalarHandler(model),
                              event_name=Events.ITERATION_COMPLETED)
    """


class WeightsHistHandler(_HistogramsHandler):
    """Report each parameter as a histogram: title ``"{tag}/weights_{module}"``, series the
    rest of the name.

    Example::

        clearml_logger.attach(trainer, log_handler=WeightsHistHandler(model),
                              event_name=Events.ITERATION_COMPLETED)
    """


class GradsScalarHandler(_ScalarsHandler):
    """Report ``reduction(param.grad)``: title ``"{tag}/grads_{reduction}/{module}"``.

    Example::

        clearml_logger.attach(trainer, log_handler=GradsScalarHandler(model),
                              event_name=Events.ITERATION_COMPLETED)
    """

    _grads = True


class GradsHistHandler(_HistogramsHandler):
    """Report each gradient as a histogram: title ``"{tag}/grads_{module}"``.

    Example::

        clearml_logger.attach(trainer, log_handler=GradsHistHandler(model),
                              event_name=Events.ITERATION_COMPLETED)
    """

    _grads = True


class ClearMLSaver(DiskSaver):
    """Checkpoint saver writing to a directory (a new temporary one by default) that ClearML
    registers as the task's output models, one slot per kept checkpoint.

    Args:
        logger: a :class:`ClearMLLogger` (its task must be the current one).
        output_uri: where ClearML uploads the models (sets ``task.output_uri``).
        dirname: the directory; default: a new temporary directory (with a warning).
        args, kwargs: passed to :class:`~oxignite.handlers.checkpoint.DiskSaver`
            (``atomic`` defaults to ``False``, so that ClearML sees ``torch.save``).

    Example::

        from oxignite.handlers import Checkpoint
        handler = Checkpoint({"model": model}, ClearMLSaver(clearml_logger), n_saved=1,
                             score_function=lambda e: 123, score_name="acc")
        evaluator.add_event_handler(Events.COMPLETED, handler)
    """

    _task: Any

    def __init__(
        self,
        logger: ClearMLLogger | None = None,
        output_uri: str | None = None,
        dirname: str | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        self._setup_check_clearml(logger, output_uri)

        if not dirname:
            dirname = ""
            if idist.get_rank() == 0:
                stamp = datetime.now().strftime("%Y_%m_%d_%H_%M_%S_")
                dirname = tempfile.mkdtemp(prefix=f"ignite_checkpoints_{stamp}")
            if idist.get_world_size() > 1:
                dirname = idist.all_gather(dirname)[0]
            warnings.warn(f"ClearMLSaver created a temporary checkpoints directory: {dirname}")
            idist.barrier()

        # clearml hooks torch.save: writing through a temporary file would hide the real name.
        kwargs.setdefault("atomic", False)
        self._checkpoint_slots: defaultdict[str | tuple[str, str], list[Any]] = defaultdict(list)
        super().__init__(*args, dirname=dirname, **kwargs)

    @idist.one_rank_only()
    def _setup_check_clearml(self, logger: ClearMLLogger | None, output_uri: str | None) -> None:
        try:
            from clearml import Task
        except ImportError:
            try:
                from trains import Task  # clearml's former name
            except ImportError:
                raise ModuleNotFoundError(_INSTALL_MSG) from None

        if logger and not isinstance(logger, ClearMLLogger):
            raise TypeError("logger must be an instance of ClearMLLogger")

        self._task = Task.current_task()
        if not self._task:
            raise RuntimeError(
                "ClearMLSaver requires a ClearML Task to be initialized. "
                "Please use the `logger` argument or call `clearml.Task.init()`."
            )
        if output_uri:
            self._task.output_uri = output_uri

    class _CallbacksContext:
        """clearml model callbacks giving each kept checkpoint a stable slot name
        ``{basename}_{slot}{ext}`` and the checkpoint's metadata in the model's comment."""

        def __init__(
            self,
            callback_type: type[Enum],
            slots: list,
            checkpoint_key: str,
            filename: str,
            basename: str,
            metadata: Mapping | None = None,
        ) -> None:
            self._callback_type = callback_type
            self._slots = slots
            self._checkpoint_key = str(checkpoint_key)
            self._filename = filename
            self._basename = basename
            self._metadata = metadata

        def pre_callback(self, action: str, model_info: Any) -> Any:
            if action != self._callback_type.save:  # type: ignore[attr-defined]
                return model_info
            try:
                slot = self._slots.index(None)
                self._slots[slot] = model_info.upload_filename
            except ValueError:
                self._slots.append(model_info.upload_filename)
                slot = len(self._slots) - 1
            ext = os.path.splitext(self._filename)[1]
            model_info.upload_filename = f"{self._basename}_{slot}{ext}"
            model_info.local_model_id = f"{self._checkpoint_key}:{model_info.upload_filename}"
            return model_info

        def post_callback(self, action: str, model_info: Any) -> Any:
            if action != self._callback_type.save:  # type: ignore[attr-defined]
                return model_info
            model_info.model.name = f"{model_info.task.name}: {self._filename}"
            prefix = "Checkpoint Metadata: "
            items = (
                ", ".join(f"{k}={v}" for k, v in self._metadata.items())
                if self._metadata
                else "none"
            )
            metadata = f"{prefix}{items}"
            comment = "\n".join(
                metadata if line.startswith(prefix) else line
                for line in (model_info.model.comment or "").split("\n")
            )
            if prefix not in comment:
                comment += "\n" + metadata
            model_info.model.comment = comment
            return model_info

    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        try:
            from clearml.binding.frameworks import WeightsFileHandler
        except ImportError:
            try:
                from trains.binding.frameworks import WeightsFileHandler
            except ImportError:
                raise ModuleNotFoundError(_INSTALL_MSG) from None

        try:
            basename = metadata["basename"]  # type: ignore[index]
        except (TypeError, KeyError):
            warnings.warn("Checkpoint metadata missing or basename cannot be found")
            basename = "checkpoint"

        checkpoint_key = (str(self.dirname), basename)
        cb_context = self._CallbacksContext(
            callback_type=WeightsFileHandler.CallbackType,
            slots=self._checkpoint_slots[checkpoint_key],
            checkpoint_key=str(checkpoint_key),
            filename=filename,
            basename=basename,
            metadata=metadata,
        )
        pre_cb_id = WeightsFileHandler.add_pre_callback(cb_context.pre_callback)
        post_cb_id = WeightsFileHandler.add_post_callback(cb_context.post_callback)
        try:
            super().__call__(checkpoint, filename, metadata)
        finally:
            WeightsFileHandler.remove_pre_callback(pre_cb_id)
            WeightsFileHandler.remove_post_callback(post_cb_id)

    @idist.one_rank_only()
    def get_local_copy(self, filename: str) -> str | None:
        """A local copy of the artifact ``filename``, or ``None`` (reported as text) if the task
        has no such artifact."""
        artifact = self._task.artifacts.get(filename)
        if artifact:
            return artifact.get_local_copy()
        self._task.get_logger().report_text(f"Can not find artifact {filename}")
        return None

    @idist.one_rank_only()
    def remove(self, filename: str) -> None:
        super().remove(filename)
        for slots in self._checkpoint_slots.values():
            try:
                slots[slots.index(filename)] = None
            except ValueError:
                pass
            else:
                break
