"""Small helpers shared by the handlers: ``global_step_from_engine`` and private tree utilities."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from oxignite.engine import Engine, State

__all__ = ["global_step_from_engine"]


def global_step_from_engine(
    engine: Engine, custom_event_name: Any = None, fallback_attr: str = "epoch"
) -> Callable:
    """Build a ``global_step_transform`` that reads the step from another engine.

    Typical use: log evaluator metrics against the trainer's epoch.

    Args:
        engine: engine whose state provides the global step.
        custom_event_name: if given, this event's state attribute is used instead of the event
            being handled.
        fallback_attr: ``State`` attribute read when the event is unknown to ``State.event_to_attr``.

    Example::

        from oxignite.handlers import global_step_from_engine
        gst = global_step_from_engine(trainer)
        gst(evaluator, Events.COMPLETED)  # -> trainer.state.epoch
    """

    def wrapper(_: Any, event_name: Any) -> int:
        if custom_event_name is not None:
            event_name = custom_event_name
        if event_name not in State.event_to_attr:
            return getattr(engine.state, fallback_attr)
        return engine.state.get_event_attrib_value(event_name)

    return wrapper


def _tree_apply2(func: Callable, objs: Any, states: Any) -> None:
    """Walk ``objs`` and ``states`` in parallel and call ``func(obj, state)`` on the leaves."""
    if isinstance(objs, Mapping) and isinstance(states, Mapping):
        for k, v in objs.items():
            if k not in states:
                raise ValueError(f"Key '{k}' from x is not found in y: {list(states.keys())}")
            _tree_apply2(func, v, states[k])
    elif isinstance(objs, list) and isinstance(states, Sequence):
        if len(objs) != len(states):
            raise ValueError(
                f"Size of y: {len(states)} does not match the size of x: '{len(objs)}'"
            )
        for v1, v2 in zip(objs, states):
            _tree_apply2(func, v1, v2)
    else:
        func(objs, states)


def _check_callable(value: Any | None, arg_name: str, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if not callable(value):
        raise TypeError(f"Argument {arg_name} should be callable, but given {type(value)}")
