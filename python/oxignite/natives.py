"""The switch for the core's native fast paths.

Several built-in handlers and metrics have their per-iteration work done by the core
(``rust/src/natives.rs``, ``metric_inputs.rs``, ``metric_store.rs``): ProgressBar's redraw
gate, Timer, RunningAverage's float path, TerminateOnNan's finite check, EpochMetric's
batch store and the metrics' input helpers. Each is a copy of a Python path that gives the
same results. Switched off, every one of them runs that Python path instead, which makes the
Python path the reference you can always compare with (as CPython's pure-Python fallbacks of
its C accelerators are).

The switch is process-wide and takes effect at the next firing or call, for every engine,
handler and metric. ``OXIGNITE_NATIVES=0`` (or ``false``/``off``/``no``) in the environment
turns the natives off from import.

Examples:
    >>> import oxignite.natives
    >>> oxignite.natives.enabled()
    True
    >>> with oxignite.natives.disabled():
    ...     oxignite.natives.enabled()
    False
    >>> oxignite.natives.enabled()
    True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from oxignite._core import natives_enabled as enabled
from oxignite._core import set_natives_enabled as _set

__all__ = ["disabled", "enabled", "set_enabled"]


def set_enabled(flag: bool) -> None:
    """Turns every native fast path on (``True``) or off (``False``)."""
    if not isinstance(flag, bool):
        raise TypeError(f"Argument flag should be a bool, got {flag!r}")
    _set(flag)


@contextmanager
def disabled() -> Iterator[None]:
    """Runs the block with the natives off, then restores the switch as it was."""
    before = enabled()
    _set(False)
    try:
        yield
    finally:
        _set(before)
