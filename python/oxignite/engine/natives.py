"""Native stand-ins for built-in handlers (the core's ``natives.rs``).

A built-in handler registers its Python callable as usual (so ``_event_handlers``,
``has_event_handler`` and removal see it), then asks the core to do that callable's work in
place of calling it, on every firing where the result is the same. This is how Timer,
RunningAverage and ProgressBar cost no Python call on most iterations.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["set_native"]


def set_native(engine: Any, event_name: Any, handler: Callable, kind: str, *args: Any) -> bool:
    """Give ``handler``, just registered on ``event_name``, the core's native ``kind`` (see
    ``EngineCore.set_native``). Returns False, and nothing changes, on an engine that is not
    an oxignite Engine or where the handler is not found (e.g. an ``add_event_handler``
    override registered something else)."""
    from oxignite.engine.engine import Engine
    from oxignite.engine.events import EventsList

    if not isinstance(engine, Engine):
        return False
    events = list(event_name) if isinstance(event_name, EventsList) else [event_name]
    found = True
    for event in events:
        found &= engine._core.set_native(engine._event_id(event), handler, kind, args)
    return found
