"""Registering the core's native stand-ins for built-in handlers (``rust/src/natives.rs``).

A built-in handler registers its Python callable as usual (so ``_event_handlers``,
``has_event_handler`` and removal see it), then gives it a native: a typed
``oxignite._core.NativeSpec`` that the core runs in place of the call, on every firing where
the result is the same. This is how Timer, RunningAverage and ProgressBar cost no Python call
on most iterations. The switch that turns them all off is ``oxignite.natives``.

Two rules keep a native a faithful copy of its Python path: it is given only when the class
does not override the methods it copies (``overrides``), and it hands every input it does not
handle back to the Python call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oxignite._core import NativeSpec

__all__ = ["NativeSpec", "overrides", "set_native"]


def overrides(obj: Any, base: type, *names: str) -> bool:
    """Whether ``obj`` (an instance, or a class) replaces any of ``base``'s methods
    ``names``: in its class, or in its own ``__dict__`` for an instance."""
    cls = obj if isinstance(obj, type) else type(obj)
    own = {} if isinstance(obj, type) else getattr(obj, "__dict__", {})
    return any(name in own or getattr(cls, name) is not getattr(base, name) for name in names)


def set_native(engine: Any, event_name: Any, handler: Callable, spec: NativeSpec) -> bool:
    """Give ``handler``, just registered on ``event_name``, the native ``spec``. Returns False,
    and nothing changes, on an engine that is not an oxignite Engine or where the handler is
    not found (e.g. an ``add_event_handler`` override registered something else)."""
    from oxignite.engine.engine import Engine
    from oxignite.engine.events import EventsList

    if not isinstance(engine, Engine):
        return False
    if not isinstance(spec, NativeSpec):
        raise TypeError(f"Argument spec should be a NativeSpec, got {type(spec).__name__}")
    events = list(event_name) if isinstance(event_name, EventsList) else [event_name]
    found = True
    for event in events:
        found &= engine._core.set_native(engine._event_id(event), handler, spec)
    return found
