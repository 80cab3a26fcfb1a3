"""TerminateOnSignal in one process: a signal stops the run at the end of the current
iteration, TERMINATE fires (a Checkpoint there saves), the previous signal handlers come back
however the run ends, and nothing is called per iteration until a signal arrives."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import Checkpoint, DiskSaver, TerminateOnSignal


def _kill_self(signum: int = signal.SIGTERM) -> None:
    os.kill(os.getpid(), signum)


def _previous_handler(signum: int, frame: object) -> None:
    raise AssertionError(f"the previous handler of {signum} was called during the run")


@pytest.fixture
def previous_handlers():
    """Known Python handlers for SIGTERM/SIGUSR1/SIGINT during the test, restored after."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)}
    for s in saved:
        signal.signal(s, _previous_handler)
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def _assert_restored() -> None:
    for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):
        assert signal.getsignal(s) is _previous_handler, s


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1])
def test_signal_in_process_function_stops_after_that_iteration(previous_handlers, signum):
    events = []

    def step(engine, batch):
        if engine.state.iteration == 7:
            _kill_self(signum)
        return batch

    trainer = Engine(step)
    stop = TerminateOnSignal()
    trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
    for event in (Events.TERMINATE, Events.COMPLETED):
        trainer.add_event_handler(event, lambda e, ev=event: events.append((ev, e.state.iteration)))
    state = trainer.run(range(10), max_epochs=3)
    assert state.iteration == 7
    assert events == [(Events.TERMINATE, 7), (Events.COMPLETED, 7)]
    assert stop.received_signal == signum
    assert stop.stopped
    _assert_restored()


def test_checkpoint_on_terminate_saves_the_stopped_iteration(previous_handlers, tmp_path: Path):
    model = torch.nn.Linear(2, 2)

    def step(engine, batch):
        with torch.no_grad():
            model.weight.add_(1.0)
        if engine.state.iteration == 5:
            _kill_self()
        return batch

    trainer = Engine(step)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnSignal())
    checkpoint = Checkpoint({"model": model, "trainer": trainer}, DiskSaver(tmp_path))
    trainer.add_event_handler(Events.TERMINATE, checkpoint)
    trainer.run(range(4), max_epochs=5)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint_5.pt"]
    saved = torch.load(tmp_path / "checkpoint_5.pt", weights_only=True)
    assert saved["trainer"]["iteration"] == 5
    assert torch.equal(saved["model"]["weight"], model.weight.detach())


def test_signal_during_data_loading_completes_that_iteration(previous_handlers):
    """A signal while the next batch is fetched: that batch is still processed, then the
    run stops (never between counting an iteration and processing it)."""
    processed = []

    def data():
        for i in range(20):
            if i == 4:
                _kill_self()  # while fetching the 5th batch
            yield i

    trainer = Engine(lambda e, b: processed.append(b))
    trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnSignal())
    state = trainer.run(data(), epoch_length=20)
    assert state.iteration == 5
    assert processed == [0, 1, 2, 3, 4]


def test_no_python_call_per_iteration_until_a_signal(previous_handlers):
    calls = []

    class Counting(TerminateOnSignal):
        def __call__(self, engine):
            calls.append(engine.state.iteration)
            super().__call__(engine)

    def step(engine, batch):
        if engine.state.iteration == 130:
            _kill_self()

    trainer = Engine(step)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, Counting())
    state = trainer.run(range(50), max_epochs=4)
    # Called only at each epoch's last iteration and right after the signal.
    assert calls == [50, 100, 130]
    assert state.iteration == 130


@pytest.mark.parametrize("end", ["completed", "terminated", "raised", "interrupted"])
def test_handlers_installed_during_the_run_and_restored_after(previous_handlers, end):
    seen = []

    def step(engine, batch):
        seen.append({s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGUSR1)})
        if engine.state.iteration == 2:
            if end == "terminated":
                _kill_self()
            elif end == "raised":
                raise ValueError("boom")
            elif end == "interrupted":
                engine.interrupt()

    trainer = Engine(step)
    stop = TerminateOnSignal()
    trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
    if end == "raised":
        with pytest.raises(ValueError, match="boom"):
            trainer.run(range(3))
    else:
        trainer.run(range(3))
    assert all(h == stop._on_signal for handlers in seen for h in handlers.values())
    assert signal.getsignal(signal.SIGINT) is _previous_handler  # not among its signals
    _assert_restored()
    if end == "interrupted":  # resuming installs them again, until the run ends
        trainer.run()
        assert trainer.state.iteration == 3
        assert len(seen) == 3 and seen[-1][signal.SIGTERM] == stop._on_signal
        _assert_restored()


def test_run_again_after_a_signal_continues(previous_handlers):
    def step(engine, batch):
        if engine.state.iteration == 3:
            _kill_self()

    trainer = Engine(step)
    stop = TerminateOnSignal()
    trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
    trainer.run(range(5), max_epochs=2)
    assert trainer.state.iteration == 3 and stop.stopped
    trainer.run(range(5), max_epochs=2)  # as ignite: continues with the next epoch
    assert trainer.state.iteration == 8 and trainer.state.epoch == 2 and not stop.stopped
    assert stop.received_signal is None
    _assert_restored()


def test_custom_signals_and_a_second_ctrl_c(previous_handlers):
    def interrupt_twice(engine, batch):
        if engine.state.iteration == 2:
            _kill_self(signal.SIGINT)
            _kill_self(signal.SIGINT)  # impatient: the usual KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    trainer = Engine(interrupt_twice)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnSignal([signal.SIGINT]))
    with pytest.raises(KeyboardInterrupt):
        trainer.run(range(5))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def interrupt_once(engine, batch):
        if engine.state.iteration == 2:
            _kill_self(signal.SIGINT)

    trainer = Engine(interrupt_once)
    stop = TerminateOnSignal(signals=[signal.SIGINT])
    trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
    assert trainer.run(range(5)).iteration == 2
    assert stop.received_signal == signal.SIGINT


def test_needs_the_main_thread(previous_handlers):
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnSignal())
    errors = []

    def run() -> None:
        try:
            trainer.run(range(3))
        except RuntimeError as e:
            errors.append(str(e))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "main thread" in errors[0]
    _assert_restored()


def test_outside_an_oxignite_run_it_says_so():
    stop = TerminateOnSignal()
    with pytest.raises(RuntimeError, match="outside of a run"):
        stop(Engine(lambda e, b: None))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"signals": []}, ValueError, "signals"),
        ({"signals": [signal.SIGKILL]}, ValueError, "SIGKILL"),
        ({"signals": ["TERM"]}, ValueError, "signals"),
        ({"signals": [9999]}, ValueError, "signals"),
        ({"sync_every": 0}, ValueError, "sync_every"),
        ({"sync_every": 2.0}, TypeError, "sync_every"),
        ({"sync_every": True}, TypeError, "sync_every"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        TerminateOnSignal(**kwargs)
