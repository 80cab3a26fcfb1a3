"""The core's native stand-ins for Timer, RunningAverage and ProgressBar (natives.rs):
the registered handlers stay what users and ignite's inner API see, the Python method is
not called where the native does its work, and the results are the Python method's."""

from __future__ import annotations

import io
import math
import pickle
import re

import ignite.engine as ig_engine
import ignite.handlers as ig_handlers
import oxignite.engine as ox_engine
import oxignite.handlers as ox_handlers
import pytest
import torch
from oxignite._core import Gate
from oxignite.engine import Engine, Events
from oxignite.engine.natives import NativeSpec, set_native
from oxignite.handlers import ProgressBar, Timer
from oxignite.handlers.tqdm_logger import _OutputHandler
from oxignite.metrics import RunningAverage

BAR_FORMAT = "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%{postfix}"


def _counting(monkeypatch, cls, name):
    """Counts the calls of ``cls.name`` (patched on the class, so the override checks still
    see the built-in method)."""
    calls = []
    original = getattr(cls, name)

    def counted(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, counted)
    return calls


# -- set_native ----------------------------------------------------------------------------


def test_set_native_finds_the_registered_handler_only():
    engine = Engine(lambda e, b: None)
    timer = Timer()
    engine.add_event_handler(Events.ITERATION_COMPLETED, timer.step)
    spec = NativeSpec.timer(timer._clock, "step")
    assert spec.kind == "timer"
    assert not set_native(engine, Events.EPOCH_COMPLETED, timer.step, spec)
    assert set_native(engine, Events.ITERATION_COMPLETED, timer.step, spec)
    # one native per handler
    assert not set_native(engine, Events.ITERATION_COMPLETED, timer.step, spec)
    # typed specs: the argument is checked where the spec is built, and named
    with pytest.raises(ValueError, match="op should be 'reset', 'pause', 'resume' or 'step'"):
        NativeSpec.timer(timer._clock, "nope")
    with pytest.raises(TypeError, match="timer"):
        NativeSpec.timer(object(), "step")
    with pytest.raises(TypeError, match="spec should be a NativeSpec"):
        set_native(engine, Events.ITERATION_COMPLETED, timer.step, "timer")
    # not an oxignite engine: nothing to do
    assert not set_native(
        ig_engine.Engine(lambda e, b: None), "x", timer.step, NativeSpec.gate(Gate())
    )


# -- Timer ---------------------------------------------------------------------------------


def _attach_iteration_timer(engine, timer):
    return timer.attach(
        engine,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )


def test_timer_runs_natively_and_keeps_its_handlers_visible(monkeypatch):
    pauses = _counting(monkeypatch, Timer, "pause")
    engine = Engine(lambda e, b: sum(range(200)))
    timer = _attach_iteration_timer(engine, Timer(average=True))
    assert engine.has_event_handler(timer.pause, Events.ITERATION_COMPLETED)
    assert timer.pause in [row[0] for row in engine._event_handlers[Events.ITERATION_COMPLETED]]
    engine.run(range(50))
    assert pauses == []  # the core paused the clock itself
    assert timer.step_count == 50.0 and not timer.running
    assert 0 < timer.value() < timer.total
    assert timer.value() == pytest.approx(timer.total / 50)


def test_timer_subclass_override_is_called():
    class Counting(Timer):
        pauses = 0

        def pause(self, *args):
            type(self).pauses += 1
            super().pause(*args)

    engine = Engine(lambda e, b: None)
    timer = _attach_iteration_timer(engine, Counting(average=True))
    engine.run(range(7))
    assert Counting.pauses == 7 and timer.step_count == 7.0


def test_removed_native_timer_handler_is_not_run():
    engine = Engine(lambda e, b: None)
    timer = _attach_iteration_timer(engine, Timer())
    engine.remove_event_handler(timer.step, Events.ITERATION_COMPLETED)
    engine.run(range(5))
    assert timer.step_count == 0.0


def test_timer_pickles_with_its_clock():
    timer = Timer(average=True)
    timer.step()
    timer.step()
    timer.pause()
    copy = pickle.loads(pickle.dumps(timer))
    assert (copy.total, copy.step_count, copy.running) == (timer.total, 2.0, False)
    assert copy.value() == timer.value()


# -- RunningAverage ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, None])
def test_running_average_float_path_runs_natively(monkeypatch, dtype):
    updates = _counting(monkeypatch, RunningAverage, "_update_transformed")
    completes = _counting(monkeypatch, RunningAverage, "completed")
    values = [0.1 * i + 1 / 3 for i in range(20)]
    outputs = values if dtype is None else [torch.tensor(v, dtype=dtype) for v in values]
    published = []
    engine = Engine(lambda e, i: outputs[i])
    RunningAverage(output_transform=lambda x: x, alpha=0.9).attach(engine, "avg")
    engine.add_event_handler(
        Events.ITERATION_COMPLETED, lambda e: published.append(e.state.metrics["avg"])
    )
    engine.run(range(20))
    assert updates == [] and completes == []

    # ignite's values, bitwise
    ref_engine = ig_engine.Engine(lambda e, i: outputs[i])
    from ignite.metrics import RunningAverage as IgniteRunningAverage

    IgniteRunningAverage(output_transform=lambda x: x, alpha=0.9).attach(ref_engine, "avg")
    expected = []
    ref_engine.add_event_handler(
        ig_engine.Events.ITERATION_COMPLETED, lambda e: expected.append(e.state.metrics["avg"])
    )
    ref_engine.run(range(20))
    assert published == expected


def test_running_average_other_outputs_fall_back_to_python(monkeypatch):
    updates = _counting(monkeypatch, RunningAverage, "_update_transformed")
    outputs = [1, 2, torch.tensor([1.0, 3.0]).mean(), torch.tensor(4, dtype=torch.int64)]
    engine = Engine(lambda e, i: outputs[i])
    metric = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    metric.attach(engine, "avg")
    engine.run(range(4))
    # ints, a change of kind (int to tensor) and an int64 tensor: all in Python
    assert len(updates) == 4
    from ignite.metrics import RunningAverage as IgniteRunningAverage

    ref_engine = ig_engine.Engine(lambda e, i: outputs[i])
    IgniteRunningAverage(output_transform=lambda x: x, alpha=0.5).attach(ref_engine, "avg")
    ref_engine.run(range(4))
    assert engine.state.metrics["avg"] == ref_engine.state.metrics["avg"]


def test_running_average_keep_on_device_and_overrides_call_python(monkeypatch):
    updates = _counting(monkeypatch, RunningAverage, "_update_transformed")
    engine = Engine(lambda e, i: torch.tensor(float(i)))
    RunningAverage(output_transform=lambda x: x, keep_on_device=True).attach(engine, "avg")
    engine.run(range(3))
    assert len(updates) == 3 and isinstance(engine.state.metrics["avg"], torch.Tensor)

    class Doubled(RunningAverage):
        def iteration_completed(self, engine):
            engine.state.output = engine.state.output * 2
            super().iteration_completed(engine)

    engine = Engine(lambda e, i: float(i))
    Doubled(output_transform=lambda x: x, alpha=0.5).attach(engine, "avg")
    engine.run(range(2))
    assert engine.state.metrics["avg"] == 1.0  # 0.5 * 0 + 0.5 * 2


# -- ProgressBar ---------------------------------------------------------------------------


def _bar_run(engine_mod, handlers_mod, n_iters, max_epochs=1, on_iteration=None, **pbar_kwargs):
    stream = io.StringIO()
    engine = engine_mod.Engine(lambda e, b: 1.0 / e.state.iteration)
    if on_iteration is not None:
        engine.add_event_handler(engine_mod.Events.ITERATION_COMPLETED, on_iteration)
    pbar = handlers_mod.ProgressBar(file=stream, bar_format=BAR_FORMAT, **pbar_kwargs)
    pbar.attach(engine, output_transform=lambda x: {"loss": x})
    engine.run([0] * n_iters, max_epochs=max_epochs)
    return engine, pbar, stream.getvalue()


def _frames(out):
    out = out.replace("\x1b[A", "")
    return [f.rstrip() for f in re.split("[\r\n]", out) if f.strip()]


def test_gated_bar_is_called_only_to_open_and_close_each_epoch(monkeypatch):
    calls = _counting(monkeypatch, _OutputHandler, "__call__")
    kwargs = {"mininterval": 1e6, "persist": True}
    _, _, out = _bar_run(ox_engine, ox_handlers, 1000, max_epochs=3, **kwargs)
    assert len(calls) == 3 * 2  # first and last iteration of each epoch
    _, _, ref = _bar_run(ig_engine, ig_handlers, 1000, max_epochs=3, **kwargs)
    assert _frames(out)[-1] == _frames(ref)[-1]


def test_gated_bar_redraws_at_tqdms_interval():
    """With mininterval=0 every iteration redraws, in ignite and here: the gate opens."""
    _, _, out = _bar_run(ox_engine, ox_handlers, 30, mininterval=0, miniters=1)
    _, _, ref = _bar_run(ig_engine, ig_handlers, 30, mininterval=0, miniters=1)
    ours, theirs = _frames(out), _frames(ref)
    assert all(f"[{i}/30]" in "".join(ours) for i in range(1, 31))
    # every frame drawn is one of ignite's, in ignite's order (ignite draws three per call)
    it = iter(theirs)
    assert all(any(f == g for g in it) for f in ours)
    assert ours[-1] == theirs[-1]


def test_log_message_shows_the_current_count():
    outs = []
    for engine_mod, handlers_mod in [(ox_engine, ox_handlers), (ig_engine, ig_handlers)]:
        box = {}

        def note(engine, box=box):
            if engine.state.iteration == 37:
                box["pbar"].log_message("hello")

        stream = io.StringIO()
        engine = engine_mod.Engine(lambda e, b: None)
        pbar = handlers_mod.ProgressBar(file=stream, bar_format=BAR_FORMAT, mininterval=1e6)
        box["pbar"] = pbar
        pbar.attach(engine)
        engine.add_event_handler(engine_mod.Events.ITERATION_COMPLETED, note)
        engine.run([0] * 100)
        outs.append(stream.getvalue())
    after = [o.split("hello")[1] for o in outs]  # tqdm.write draws the bar again
    assert "[37/100]" in after[0]
    assert _frames(after[0])[0] == _frames(after[1])[0]


@pytest.mark.parametrize("stop", ["terminate", "terminate_epoch"])
def test_gated_bar_text_when_stopped_mid_epoch_matches_ignite(stop):
    def stopper(engine):
        if engine.state.iteration == 23:
            getattr(engine, stop)()

    results = []
    for engine_mod, handlers_mod in [(ox_engine, ox_handlers), (ig_engine, ig_handlers)]:
        engine, pbar, out = _bar_run(
            engine_mod,
            handlers_mod,
            50,
            max_epochs=2,
            on_iteration=stopper,
            mininterval=1e6,
            persist=True,
        )
        results.append((_frames(out)[-1], str(pbar.pbar), engine.state.iteration))
    assert results[0] == results[1]


def test_gated_bar_on_a_new_run_after_an_error():
    """An exception leaves the gate armed mid-epoch (and the bar open, at 39); a new run's
    counts start again from 1, which opens it: the same bar goes back to 1 and on to the
    end, as ignite's does when it is called on every iteration."""
    box = {"fail": True}

    def step(engine, batch):
        if box["fail"] and engine.state.iteration == 40:
            raise RuntimeError("boom")
        return 0.5

    stream = io.StringIO()
    engine = Engine(step)
    pbar = ProgressBar(file=stream, bar_format=BAR_FORMAT, mininterval=1e6, persist=True)
    pbar.attach(engine, output_transform=lambda x: {"loss": x})
    with pytest.raises(RuntimeError):
        engine.run([0] * 60)
    bar = pbar.pbar
    assert bar.n == 39  # the gate moved the count over the skipped calls
    box["fail"] = False
    engine.state.iteration = 0
    engine.state.epoch = 0
    drawn = len(stream.getvalue())
    engine.run([0] * 60, max_epochs=1)
    frames = _frames(stream.getvalue()[drawn:])
    assert frames[-1] == "Iteration: [60/60] 100%, loss=0.5"
    assert bar.n == 60 and pbar.pbar is None


def test_disabled_bar_costs_no_calls(monkeypatch):
    calls = _counting(monkeypatch, _OutputHandler, "__call__")
    engine = Engine(lambda e, b: None)
    ProgressBar(disable=True).attach(engine)
    engine.run([0] * 500, max_epochs=2)
    assert len(calls) == 4


def test_gate_arms_and_opens_as_documented():
    engine = Engine(lambda e, b: None)
    gate = Gate()
    seen = []

    def handler(engine):
        seen.append(engine.state.iteration)

    engine.add_event_handler(Events.ITERATION_COMPLETED, handler)
    assert set_native(engine, Events.ITERATION_COMPLETED, handler, NativeSpec.gate(gate))
    gate.arm(3, 10, 6, -math.inf, math.inf)
    assert gate.armed
    engine.run(range(12))
    # 1..3 at or below low, 6.. past min_count with the clock past the deadline
    assert seen == [1, 2, 3, 6, 7, 8, 9, 10, 11, 12]
    gate.arm(0, 100, 100, -math.inf, math.inf)
    seen.clear()
    engine.run(range(12))
    assert seen == [12]  # an epoch's last iteration always opens it
    gate.disarm()
    seen.clear()
    engine.run(range(3))
    assert seen == [1, 2, 3]


# -- TerminateOnNan ------------------------------------------------------------------------


def test_terminate_on_nan_passes_finite_outputs_natively(monkeypatch):
    from oxignite.handlers import TerminateOnNan

    calls = _counting(monkeypatch, TerminateOnNan, "__call__")
    outputs = [1.0, 2, torch.tensor(3.0), torch.tensor(4), torch.tensor(True)]
    outputs += [torch.tensor(float("inf")), 5.0]
    engine = Engine(lambda e, i: outputs[i])
    engine.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    engine.run(range(len(outputs)))
    # only the infinite one reached Python, which stopped the run as ignite does
    assert len(calls) == 1 and engine.state.iteration == 6 and engine.should_terminate


@pytest.mark.parametrize("output", [float("nan"), [1.0, 2.0], torch.ones(3)])
def test_terminate_on_nan_other_outputs_are_checked_in_python(monkeypatch, output):
    from oxignite.handlers import TerminateOnNan

    calls = _counting(monkeypatch, TerminateOnNan, "__call__")
    engine = Engine(lambda e, i: output)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    engine.run(range(3))
    finite = not (isinstance(output, float) and math.isnan(output))
    assert len(calls) == (3 if finite else 1)
    assert engine.state.iteration == (3 if finite else 1)


def test_terminate_on_nan_with_transform_or_arguments_calls_python(monkeypatch):
    from oxignite.handlers import TerminateOnNan

    calls = _counting(monkeypatch, TerminateOnNan, "__call__")
    engine = Engine(lambda e, i: {"loss": 1.0})
    engine.add_event_handler(
        Events.ITERATION_COMPLETED, TerminateOnNan(output_transform=lambda o: o["loss"])
    )
    engine.run(range(4))
    assert len(calls) == 4
