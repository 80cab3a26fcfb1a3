"""ignite internals that ignite's own engine tests read (issue 9): ``_internal_run_generator``,
the filter wrapper a ``RemovableEventHandle`` holds, ``oxignite.engine._check_arg`` and the
engine's per-epoch / per-run log lines, side by side with pytorch-ignite."""

from __future__ import annotations

import gc
import logging
import re
import subprocess
import sys

import pytest
from _parity import IG, LIBS, OX

ignite_engine = pytest.importorskip("ignite.engine")

# -- _internal_run_generator: not None exactly while a run is paused -------------------------


def _generator_trace(lib, scenario):
    """``_internal_run_generator is not None`` before/after each run() of a scenario."""
    engine = lib.Engine(lambda e, b: None if b != "boom" else 1 / 0)
    log = [engine._internal_run_generator is not None]
    for call in scenario(lib, engine):
        try:
            call()
        except ZeroDivisionError:
            log.append("raised")
        log.append((engine._internal_run_generator is not None, engine.state.iteration))
    return log


def _interrupt_twice(lib, engine):
    engine.add_event_handler(lib.Events.ITERATION_COMPLETED(event_filter=lambda _, i: i in (2, 5)),
                             lambda e: e.interrupt())
    return [lambda: engine.run(range(4), max_epochs=2)] + [engine.run] * 3


def _interrupt_then_new_run(lib, engine):
    engine.add_event_handler(lib.Events.EPOCH_COMPLETED(once=1), lambda e: e.interrupt())
    # a paused run, then a run that is done: the next run() starts over
    return [lambda: engine.run([0, 0], max_epochs=2), engine.run,
            lambda: engine.run([0, 0, 0], max_epochs=2), engine.run]


def _terminate(lib, engine):
    engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    return [lambda: engine.run([0, 0], max_epochs=3)]


SCENARIOS = {"interrupt_twice": _interrupt_twice, "interrupt_then_new_run": _interrupt_then_new_run,
             "terminate": _terminate}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_internal_run_generator_like_ignite(name):
    expected = _generator_trace(IG, SCENARIOS[name])
    assert _generator_trace(OX, SCENARIOS[name]) == expected
    paused = any(entry[0] for entry in expected if isinstance(entry, tuple))
    assert paused == name.startswith("interrupt")


def test_internal_run_generator_none_after_exception():
    # ignite keeps its exhausted generator here after an exception (an artefact of its
    # generator loop); oxignite has no paused run then, so it is None.
    engine = OX.Engine(lambda e, b: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        engine.run([0])
    assert engine._internal_run_generator is None


def test_internal_run_generator_reset_to_none_drops_the_paused_run():
    engine = OX.Engine(lambda e, b: None)
    engine.add_event_handler(OX.Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
    engine.run(range(4))
    assert engine._internal_run_generator is not None
    engine._internal_run_generator = None
    assert engine._internal_run_generator is None
    with pytest.raises(ValueError, match="_internal_run_generator"):
        engine._internal_run_generator = object()


# -- a handle on a filtered event holds ignite's filter wrapper -------------------------------


def _handle_trace(lib):
    engine = lib.Engine(lambda e, b: None)

    def handler(engine):
        pass

    event = lib.Events.ITERATION_COMPLETED(every=2)
    handle = engine.add_event_handler(event, handler)
    wrapper = handle.handler()
    log = [wrapper is handler, wrapper._parent() is handler, wrapper == handler,
           engine.has_event_handler(handler, event), engine.has_event_handler(wrapper, event),
           engine.has_event_handler(wrapper)]
    try:
        engine.remove_event_handler(wrapper, event)
    except ValueError as e:
        log.append(str(e).replace(repr(wrapper), "W"))
    log.append(engine.has_event_handler(handler, event))
    handle.remove()
    log.append(engine.has_event_handler(handler, event))
    handle.remove()  # again: a no-op
    # the handle holds the wrapper weakly: it lives while the handler is registered
    log.append(handle.handler() is None)
    plain = engine.add_event_handler(lib.Events.COMPLETED, handler)
    log.append(plain.handler() is handler)
    return log


def test_removable_handle_of_filtered_event_like_ignite():
    assert _handle_trace(OX) == _handle_trace(IG)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_handle_wrapper_lives_as_long_as_the_registration(lib):
    engine = lib.Engine(lambda e, b: None)
    calls = []

    def record(engine):
        calls.append(engine.state.iteration)

    event = lib.Events.ITERATION_COMPLETED(every=2)
    handle = engine.add_event_handler(event, record)
    assert handle.handler()._parent() is record
    engine.run(range(4))
    assert calls == [2, 4]
    assert handle.handler() is not None  # the engine keeps it while registered
    with handle:
        pass
    assert not engine.has_event_handler(record, event)
    engine.run(range(4))
    assert calls == [2, 4]


# -- _check_arg is exported by oxignite.engine (lazily: it needs torch) -----------------------


def test_check_arg_exported_lazily_like_ignite():
    from oxignite.engine import _check_arg

    assert _check_arg(False, False, None, None) == ignite_engine._check_arg(False, False, None, None)
    for args in [(False, True, "amp", None), (False, False, None, True)]:
        with pytest.raises(ValueError) as ours:
            _check_arg(*args)
        with pytest.raises(ValueError) as theirs:
            ignite_engine._check_arg(*args)
        assert str(ours.value) == str(theirs.value)
    # ...and `import oxignite.engine` still does not import torch
    code = "import sys, oxignite.engine; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- log lines: once per epoch and once per run, as ignite writes them ------------------------


def _log_scenarios(lib):
    def step(engine, batch):
        if batch == "boom":
            raise RuntimeError("boom")

    def interrupt_mid_epoch():
        engine = lib.Engine(step)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=5), lambda e: e.interrupt())
        engine.run(list(range(6)), max_epochs=2)
        engine.run()

    def interrupt_at_epoch_end():  # ignite logs the epoch line when the run resumes
        engine = lib.Engine(step)
        engine.add_event_handler(lib.Events.EPOCH_COMPLETED(once=1), lambda e: e.interrupt())
        engine.run([1, 2], max_epochs=3)
        engine.run()

    def terminate():  # no line for the terminated epoch
        engine = lib.Engine(step)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
        engine.run([1, 2], max_epochs=3)

    def terminate_epoch():
        engine = lib.Engine(step)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=1),
                                 lambda e: e.terminate_epoch())
        engine.run([1, 2], max_epochs=2)

    def unhandled_exception():
        engine = lib.Engine(step)
        with pytest.raises(RuntimeError):
            engine.run([1, "boom"], max_epochs=2)

    def handled_exception():  # ends the epoch only
        engine = lib.Engine(step)
        engine.add_event_handler(lib.Events.EXCEPTION_RAISED, lambda e, exc: None)
        engine.run([1, "boom"], max_epochs=2)

    def exception_outside_the_data_pass():
        engine = lib.Engine(step)
        engine.add_event_handler(lib.Events.EPOCH_STARTED, lambda e: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            engine.run([1])

    return [interrupt_mid_epoch, interrupt_at_epoch_end, terminate, terminate_epoch,
            unhandled_exception, handled_exception, exception_outside_the_data_pass]


def _records(lib, caplog, level):
    root = ("oxignite" if lib is OX else "ignite") + ".engine.engine"
    logs = []
    for scenario in _log_scenarios(lib):
        # An ignite engine left paused by an earlier test logs an error when the garbage
        # collector closes its run generator: collect before capturing.
        gc.collect()
        caplog.clear()
        with caplog.at_level(level, logger=root):
            scenario()
        logs.append([(r.name.replace(root, "X"), r.levelname,
                      re.sub(r"\d\d:\d\d:\d\d\.\d{3}", "HH:MM:SS.mmm", r.getMessage()))
                     for r in caplog.records if r.levelno >= logging.INFO])
    return logs


def test_epoch_and_run_log_lines_like_ignite(caplog):
    ours = _records(OX, caplog, logging.INFO)
    theirs = _records(IG, caplog, logging.INFO)
    for scenario, our_log, their_log in zip(_log_scenarios(OX), ours, theirs):
        assert our_log == their_log, scenario.__name__
    assert ("X.Engine", "INFO", "Epoch[1] Complete. Time taken: HH:MM:SS.mmm") in ours[0]
    assert any(level == "ERROR" for log in ours for _, level, _ in log)


def test_log_lines_off_when_logger_is_off(caplog):
    # with the logger above INFO, only the errors remain (and nothing is formatted for INFO)
    ours = _records(OX, caplog, logging.ERROR)
    theirs = _records(IG, caplog, logging.ERROR)
    assert ours == theirs
    assert all(level == "ERROR" for log in ours for _, level, _ in log)
