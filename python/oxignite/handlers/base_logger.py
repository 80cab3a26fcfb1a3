"""Base classes for experiment-tracking loggers and their handlers.

A logger (e.g. :class:`~oxignite.handlers.tensorboard_logger.TensorboardLogger`) owns a
backend writer; handlers (``OutputHandler``, ``OptimizerParamsHandler``...) are callables
``handler(engine, logger, event_name)`` attached with ``logger.attach(engine, handler, event)``.
New backends subclass :class:`BaseLogger` and implement ``_create_output_handler`` and
``_create_opt_params_handler``.
"""

from __future__ import annotations

import numbers
import warnings
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.optim import Optimizer

from oxignite.engine import Engine, EventsList, State

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "BaseHandler",
    "BaseLogger",
    "BaseOptimizerParamsHandler",
    "BaseOutputHandler",
    "BaseWeightsHandler",
    "BaseWeightsScalarHandler",
]


class BaseHandler(ABC):
    """A logging handler: ``handler(engine, logger, event_name)``.

    Example::

        class PrintIteration(BaseHandler):
            def __call__(self, engine, logger, event_name):
                print(engine.state.iteration)
    """

    @abstractmethod
    def __call__(self, engine: Engine, logger: Any, event_name: Any) -> None:
        pass


class BaseWeightsHandler(BaseHandler):
    """Base of handlers logging a model's parameters (or their gradients).

    Args:
        model: the model.
        tag: optional common prefix of the logged names.
        whitelist: names (prefixes) of parameters to log, or a callable
            ``(name, parameter) -> bool``. Default: all parameters.

    Example::

        handler = WeightsHistHandler(model, whitelist=["fc1"])
    """

    def __init__(
        self,
        model: nn.Module,
        tag: str | None = None,
        whitelist: list[str] | Callable[[str, nn.Parameter], bool] | None = None,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"Argument model should be of type torch.nn.Module, but given {type(model)}"
            )
        self.model = model
        self.tag = tag
        if whitelist is None:
            weights = dict(model.named_parameters())
        elif callable(whitelist):
            weights = {n: p for n, p in model.named_parameters() if whitelist(n, p)}
        else:
            prefixes = tuple(whitelist)
            weights = {n: p for n, p in model.named_parameters() if n.startswith(prefixes)}
        self.weights = tuple(weights.items())


class BaseOptimizerParamsHandler(BaseHandler):
    """Base of handlers logging an optimizer parameter (``lr`` by default) of each param group.

    Example::

        handler = OptimizerParamsHandler(optimizer, param_name="lr", tag="generator")
    """

    def __init__(self, optimizer: Optimizer, param_name: str = "lr", tag: str | None = None):
        if not (
            isinstance(optimizer, Optimizer)
            or (hasattr(optimizer, "param_groups") and isinstance(optimizer.param_groups, Sequence))
        ):
            raise TypeError(
                "Argument optimizer should be torch.optim.Optimizer or has attribute "
                f"'param_groups' as list/tuple, but given {type(optimizer)}"
            )
        self.optimizer = optimizer
        self.param_name = param_name
        self.tag = tag


def _default_global_step(engine: Engine, event_name: Any) -> int:
    return engine.state.get_event_attrib_value(event_name)


class BaseOutputHandler(BaseHandler):
    """Base of handlers logging metrics, the transformed output and state attributes.

    Args:
        tag: common name prefix, e.g. ``"training"``.
        metric_names: list of names in ``engine.state.metrics`` or ``"all"``.
        output_transform: maps ``engine.state.output`` to a number, tensor or dict of them.
        global_step_transform: ``(engine, event_name) -> int``; defaults to the engine's
            counter for the event (iteration or epoch).
        state_attributes: names of ``engine.state`` attributes to log.

    Example::

        handler = OutputHandler("training", output_transform=lambda loss: {"loss": loss})
    """

    def __init__(
        self,
        tag: str,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        global_step_transform: Callable | None = None,
        state_attributes: list[str] | None = None,
    ):
        if metric_names is not None and not (
            isinstance(metric_names, list) or metric_names == "all"
        ):
            raise TypeError(
                f"metric_names should be either a list or equal 'all', got {type(metric_names)} "
                "instead."
            )
        if output_transform is not None and not callable(output_transform):
            raise TypeError(
                f"output_transform should be a function, got {type(output_transform)} instead."
            )
        if output_transform is None and metric_names is None and state_attributes is None:
            raise ValueError(
                "Either metric_names, output_transform or state_attributes should be defined"
            )
        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(
                "global_step_transform should be a function, "
                f"got {type(global_step_transform)} instead."
            )
        self.tag = tag
        self.metric_names = metric_names
        self.output_transform = output_transform
        self.global_step_transform = global_step_transform or _default_global_step
        self.state_attributes = state_attributes

    def _setup_output_metrics_state_attrs(
        self, engine: Engine, log_text: bool = False, key_tuple: bool = True
    ) -> dict[Any, Any]:
        """Collect the values to log as a flat dict.

        Keys are tuples ``(tag, name, sub, ...)`` (``key_tuple=True``) or ``"tag/name/sub"``
        strings. Nested dicts, sequences and 1-d tensors are flattened; 0-d tensors become
        Python numbers; strings are kept only with ``log_text=True``.
        """
        values: OrderedDict[str, Any] = OrderedDict()
        if self.metric_names is not None:
            if self.metric_names == "all":
                values.update(engine.state.metrics)
            else:
                for name in self.metric_names:
                    if name not in engine.state.metrics:
                        warnings.warn(
                            f"Provided metric name '{name}' is missing in engine's state metrics: "
                            f"{list(engine.state.metrics.keys())}"
                        )
                        continue
                    values[name] = engine.state.metrics[name]

        if self.output_transform is not None:
            output = self.output_transform(engine.state.output)
            if not isinstance(output, dict):
                output = {"output": output}
            values.update(output)

        if self.state_attributes is not None:
            values.update({n: getattr(engine.state, n, None) for n in self.state_attributes})

        def key_tuple_fn(parent: Any, *args: str) -> tuple:
            if parent is None:
                return args
            if isinstance(parent, str):
                return (parent,) + args
            return parent + args

        def key_str_fn(parent: str, *args: str) -> str:
            return f"{parent}/{'/'.join(args)}"

        def value_fn(value: Any) -> Any:
            if isinstance(value, numbers.Number):
                return value
            if isinstance(value, torch.Tensor) and value.ndimension() == 0:
                return value.item()
            if isinstance(value, str) and log_text:
                return value
            warnings.warn(f"Logger output_handler can not log metrics value type {type(value)}")
            return None

        key_fn = key_tuple_fn if key_tuple else key_str_fn
        return _flatten_dict(values, key_fn, value_fn, parent_key=self.tag)


def _flatten_dict(
    in_dict: Mapping, key_fn: Callable, value_fn: Callable, parent_key: Any = None
) -> dict[Any, Any]:
    items: dict[Any, Any] = {}
    for key, value in in_dict.items():
        new_key = key_fn(parent_key, key)
        if isinstance(value, Mapping):
            items.update(_flatten_dict(value, key_fn, value_fn, new_key))
        elif isinstance(value, Sequence) and not isinstance(value, str):
            for i, item in enumerate(value):
                items.update(_flatten_dict({str(i): item}, key_fn, value_fn, new_key))
        elif isinstance(value, torch.Tensor) and value.ndimension() == 1:
            for i, item in enumerate(value):
                items.update(_flatten_dict({str(i): item.item()}, key_fn, value_fn, new_key))
        else:
            new_value = value_fn(value)
            if new_value is not None:
                items[new_key] = new_value
    return items


class BaseWeightsScalarHandler(BaseWeightsHandler):
    """Base of handlers logging a scalar reduction (``torch.norm`` by default) of parameters.

    Example::

        handler = WeightsScalarHandler(model, reduction=torch.norm)
    """

    def __init__(
        self,
        model: nn.Module,
        reduction: Callable = torch.norm,
        tag: str | None = None,
        whitelist: list[str] | Callable[[str, nn.Parameter], bool] | None = None,
    ):
        super().__init__(model, tag=tag, whitelist=whitelist)
        if not callable(reduction):
            raise TypeError(f"Argument reduction should be callable, but given {type(reduction)}")
        out = reduction(torch.ones(4, 2))
        if not (
            isinstance(out, numbers.Number)
            or (isinstance(out, torch.Tensor) and out.ndimension() == 0)
        ):
            raise TypeError(
                f"Output of the reduction function should be a scalar, but got {type(out)}"
            )
        self.reduction = reduction


class _HandleGroup:
    """Removes several event handlers at once (returned when attaching to an ``EventsList``)."""

    def __init__(self, handles: list[Any]):
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()


def _check_event(event_name: Any) -> None:
    if event_name not in State.event_to_attr:
        raise RuntimeError(f"Unknown event name '{event_name}'")


class BaseLogger(ABC):
    """Base class of experiment-tracking loggers.

    Example::

        logger = TensorboardLogger(log_dir="runs")
        logger.attach(trainer, log_handler=OutputHandler("train", output_transform=lambda o: o),
                      event_name=Events.ITERATION_COMPLETED)
        ...
        logger.close()
    """

    def attach(
        self, engine: Engine, log_handler: Callable, event_name: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Call ``log_handler(engine, self, event_name)`` on ``event_name`` (an event, a filtered
        event or an ``EventsList``). Returns a handle with ``remove()``."""
        if isinstance(event_name, EventsList):
            handles = []
            for name in event_name:
                _check_event(name)
                handles.append(engine.add_event_handler(name, log_handler, self, name))
            return _HandleGroup(handles)
        _check_event(event_name)
        return engine.add_event_handler(event_name, log_handler, self, event_name, *args, **kwargs)

    def attach_output_handler(
        self, engine: Engine, event_name: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Create an output handler with ``*args, **kwargs`` and attach it."""
        return self.attach(
            engine, self._create_output_handler(*args, **kwargs), event_name=event_name
        )

    def attach_opt_params_handler(
        self, engine: Engine, event_name: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Create an optimizer-params handler with ``*args, **kwargs`` and attach it."""
        return self.attach(
            engine, self._create_opt_params_handler(*args, **kwargs), event_name=event_name
        )

    @abstractmethod
    def _create_output_handler(self, *args: Any, **kwargs: Any) -> Callable:
        pass

    @abstractmethod
    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> Callable:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the backend resources."""
