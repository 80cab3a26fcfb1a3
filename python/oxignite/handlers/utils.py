"""Small helpers shared by the handlers: ``global_step_from_engine`` and private tree utilities."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Callable

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


class _Serializable:
    """Minimal ``state_dict``/``load_state_dict`` protocol with required-key checking."""

    _state_dict_all_req_keys: tuple = ()

    def state_dict(self) -> OrderedDict[str, Any]:
        raise NotImplementedError

    def load_state_dict(self, state_dict: Mapping) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument state_dict should be a dictionary, but given {type(state_dict)}"
            )
        for key in self._state_dict_all_req_keys:
            if key not in state_dict:
                raise ValueError(
                    f"Required state attribute '{key}' is absent in provided state_dict "
                    f"'{list(state_dict.keys())}'"
                )


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _tree_map(func: Callable, x: Any, key: Any = None) -> Any:
    """Apply ``func(leaf, key=...)`` to every leaf of nested dicts / lists / tuples."""
    if isinstance(x, Mapping):
        return type(x)({k: _tree_map(func, v, key=k) for k, v in x.items()})
    if _is_namedtuple(x):
        return type(x)(*(_tree_map(func, v) for v in x))
    if isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
        return type(x)([_tree_map(func, v, key=i) for i, v in enumerate(x)])
    return func(x, key=key)


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
