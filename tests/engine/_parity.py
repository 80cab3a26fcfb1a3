"""Side-by-side runs of oxignite and pytorch-ignite.

A *scenario* is a function ``scenario(lib, log)`` that builds engines with
``make_engine(lib, log, ...)``, runs them and appends whatever it observes to ``log``.
``trace(scenario, lib)`` runs it against one library and returns the log; the parity tests
compare the logs of both libraries entry by entry.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import oxignite.engine as ox_engine

try:  # test-time only dependency
    import ignite.engine as ig_engine
except ImportError:  # pragma: no cover - parity tests are skipped without ignite
    ig_engine = None

OX = types.SimpleNamespace(name="oxignite", Engine=ox_engine.Engine, Events=ox_engine.Events,
                           State=ox_engine.State, EventEnum=ox_engine.EventEnum)
IG = None
if ig_engine is not None:
    IG = types.SimpleNamespace(name="ignite", Engine=ig_engine.Engine, Events=ig_engine.Events,
                               State=ig_engine.State, EventEnum=ig_engine.EventEnum)

LIBS = [OX] + ([IG] if IG is not None else [])

MAX_LOG = 20_000


class Runaway(BaseException):
    """Stops a scenario that would run forever (not an Exception, so that it ends the run)."""

# Events whose handlers take extra arguments are recorded by dedicated handlers below.
PLAIN_EVENTS = [
    "STARTED",
    "EPOCH_STARTED",
    "GET_BATCH_STARTED",
    "GET_BATCH_COMPLETED",
    "ITERATION_STARTED",
    "ITERATION_COMPLETED",
    "DATALOADER_STOP_ITERATION",
    "EPOCH_COMPLETED",
    "TERMINATE",
    "INTERRUPT",
    "COMPLETED",
]


def record_events(
    engine: Any, lib: Any, log: list, tag: str = "", exception_handler: bool = False
) -> None:
    """Appends ``(tag+event name, epoch, iteration)`` to ``log`` on every built-in event."""

    def recorder(name: str) -> Callable:
        def handler(engine: Any) -> None:
            s = engine.state
            log.append((tag + name, s.epoch, s.iteration))
            if len(log) > MAX_LOG:
                raise Runaway("the scenario does not end")

        return handler

    for name in PLAIN_EVENTS:
        engine.add_event_handler(getattr(lib.Events, name), recorder(name))

    def on_single_epoch(engine: Any, iter_counter: int) -> None:
        s = engine.state
        log.append((tag + "TERMINATE_SINGLE_EPOCH", s.epoch, s.iteration, iter_counter))

    def on_exception(engine: Any, e: BaseException) -> None:
        s = engine.state
        log.append(
            (tag + "EXCEPTION_RAISED", s.epoch, s.iteration, type(e).__name__, first_sentence(str(e)))
        )

    engine.add_event_handler(lib.Events.TERMINATE_SINGLE_EPOCH, on_single_epoch)
    if exception_handler:
        engine.add_event_handler(lib.Events.EXCEPTION_RAISED, on_exception)


def make_engine(
    lib: Any,
    log: list,
    process: Callable | None = None,
    record: bool = True,
    exception_handler: bool = False,
    tag: str = "",
) -> Any:
    """An engine of ``lib`` whose process function logs ``("process", batch)``."""

    def default_process(engine: Any, batch: Any) -> Any:
        log.append((tag + "process", batch))
        if len(log) > MAX_LOG:
            raise Runaway("the scenario does not end")
        return batch

    engine = lib.Engine(process or default_process)
    if record:
        record_events(engine, lib, log, tag, exception_handler)
    return engine


def summary(state: Any) -> tuple:
    return (
        "state",
        state.epoch,
        state.iteration,
        state.epoch_length,
        state.max_epochs,
        state.max_iters,
        state.output,
    )


def run_logged(engine: Any, log: list, *args: Any, **kwargs: Any) -> Any:
    """``engine.run`` that logs the final state, or the exception it raised."""
    try:
        state = engine.run(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - compared across libraries
        log.append(("raised", type(e).__name__, first_sentence(str(e))))
        return None
    log.append(summary(state))
    return state


def first_sentence(message: str) -> str:
    return message.split(". ")[0].split(".If ")[0].rstrip(".")


def trace(scenario: Callable[[Any, list], None], lib: Any) -> list:
    log: list = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario(lib, log)
    for w in caught:
        if issubclass(w.category, UserWarning) and "Data iterator" in str(w.message):
            log.append(("warning", str(w.message)))
    return log


def assert_same_trace(scenario: Callable[[Any, list], None]) -> list:
    """Runs ``scenario`` on both libraries and asserts identical logs; returns ours."""
    if IG is None:  # a side-by-side test without its other side proves nothing
        import pytest

        pytest.skip("pytorch-ignite is not installed: no side-by-side comparison")
    ours = trace(scenario, OX)
    assert ours, "the scenario logged nothing"
    theirs = trace(scenario, IG)
    for index, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"first difference at entry {index}: oxignite {a!r} vs ignite {b!r}\n" + (
            "context (ignite): " + repr(theirs[max(0, index - 4): index + 2])
        )
    assert len(ours) == len(theirs), (
        f"oxignite logged {len(ours)} entries, ignite {len(theirs)}; tail ours "
        f"{ours[len(theirs):][:5]!r} tail theirs {theirs[len(ours):][:5]!r}"
    )
    return ours
