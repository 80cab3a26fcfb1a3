"""Divergences from ignite that outside checks found (issue 25), each side by side with
pytorch-ignite 0.5.5: stale host reads, a sampler's ``set_epoch``, counters given as floats."""

from __future__ import annotations

import contextlib
import gc
import subprocess
import sys
import weakref

import ignite.engine as ig_engine
import ignite.handlers as ig_handlers
import ignite.metrics as ig_metrics
import numpy as np
import oxignite.engine as ox_engine
import oxignite.handlers as ox_handlers
import oxignite.metrics as ox_metrics
import oxignite.natives
import pytest
import torch
from oxignite.engine.natives import overrides
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

LIBS = {
    "ignite": (ig_engine, ig_handlers, ig_metrics),
    "oxignite": (ox_engine, ox_handlers, ox_metrics),
}


@pytest.fixture(params=["natives on", "natives off"])
def natives(request):
    with (
        oxignite.natives.disabled() if request.param == "natives off" else contextlib.nullcontext()
    ):
        yield request.param


# -- 1. a host read serves only the firing it was made in --------------------------------


def _reused_output(values, write):
    """A process function returning the same 0-d tensor each iteration, its value written by
    ``write`` (which may or may not bump the tensor's ``_version``)."""
    out = torch.tensor(0.0)

    def step(engine, batch):
        write(out, values[engine.state.iteration - 1])
        return out

    return step


WRITES = {
    "through .data (no version bump)": lambda t, v: t.data.fill_(v),
    "through a NumPy view (no version bump)": lambda t, v: t.numpy().__setitem__((), v),
    "in place (version bump)": lambda t, v: t.fill_(v),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_terminate_on_nan_sees_each_iterations_value(natives, write):
    values = [1.0, 2.0, float("nan"), 4.0, 5.0]
    stops = {}
    for name, (engine_mod, handlers, _) in LIBS.items():
        engine = engine_mod.Engine(_reused_output(values, WRITES[write]))
        engine.add_event_handler(engine_mod.Events.ITERATION_COMPLETED, handlers.TerminateOnNan())
        engine.run(range(5))
        stops[name] = engine.state.iteration
    assert stops["oxignite"] == stops["ignite"] == 3


@pytest.mark.parametrize("write", list(WRITES))
def test_running_average_sees_each_iterations_value(natives, write):
    values = [1.0, 2.0, 3.0, 4.0]
    published = {}
    for name, (engine_mod, _, metrics) in LIBS.items():
        engine = engine_mod.Engine(_reused_output(values, WRITES[write]))
        metrics.RunningAverage(output_transform=lambda x: x, alpha=0.5).attach(engine, "avg")
        seen = []
        engine.add_event_handler(
            engine_mod.Events.ITERATION_COMPLETED,
            lambda e, out=seen: out.append(e.state.metrics["avg"]),
        )
        engine.run(range(4))
        published[name] = seen
    assert published["oxignite"] == published["ignite"] == [1.0, 1.5, 2.25, 3.125]


def test_one_host_read_per_iteration_for_several_natives():
    """The read is still shared within one firing: TerminateOnNan and RunningAverage on the
    same loss read it once per iteration."""
    reads = []

    class Counted(torch.Tensor):
        def item(self):
            reads.append(1)
            return super().item()

    loss = torch.tensor(0.5).as_subclass(Counted)
    engine = ox_engine.Engine(lambda e, b: loss)
    engine.add_event_handler(ox_engine.Events.ITERATION_COMPLETED, ox_handlers.TerminateOnNan())
    ox_metrics.RunningAverage(output_transform=lambda x: x).attach(engine, "avg")
    engine.run(range(10))
    assert len(reads) == 10


# -- 2. set_epoch: ignite never calls it; oxignite only when asked -------------------------


def _sampler_run(engine_mod, opt_in=None):
    data = TensorDataset(torch.arange(12.0))
    sampler = DistributedSampler(data, num_replicas=1, rank=0, shuffle=True, seed=3)
    loader = DataLoader(data, batch_size=4, sampler=sampler)
    epochs, firsts = [], []
    engine = engine_mod.Engine(lambda e, b: b[0].tolist())
    if opt_in is not None:
        engine.set_sampler_epoch = opt_in
    else:
        # the common idiom: the user sets the sampler's epoch on EPOCH_STARTED
        engine.add_event_handler(
            engine_mod.Events.EPOCH_STARTED, lambda e: sampler.set_epoch(e.state.epoch)
        )

    @engine.on(engine_mod.Events.ITERATION_COMPLETED)
    def record(e):
        if (e.state.iteration - 1) % e.state.epoch_length == 0:
            epochs.append(sampler.epoch)
            firsts.append(e.state.output)

    engine.run(loader, max_epochs=3)
    return epochs, firsts


def test_sampler_set_epoch_is_the_users_as_in_ignite():
    ours = _sampler_run(ox_engine)
    assert ours == _sampler_run(ig_engine)
    assert ours[0] == [1, 2, 3]


def test_sampler_set_epoch_is_opt_in():
    assert ox_engine.Engine.set_sampler_epoch is False
    epochs, firsts = _sampler_run(ox_engine, opt_in=True)
    assert epochs == [0, 1, 2]
    assert len({tuple(f) for f in firsts}) == 3  # a new order each epoch
    assert _sampler_run(ox_engine, opt_in=False)[0] == [0, 0, 0]  # as ignite without a handler


def test_deterministic_engine_leaves_set_epoch_to_the_user():
    def run(engine_mod):
        data = TensorDataset(torch.arange(8.0))
        sampler = DistributedSampler(data, num_replicas=1, rank=0, shuffle=True, seed=1)
        loader = DataLoader(data, batch_size=4, sampler=sampler)
        engine = engine_mod.DeterministicEngine(lambda e, b: b[0].tolist())
        engine.add_event_handler(
            engine_mod.Events.EPOCH_STARTED, lambda e: sampler.set_epoch(e.state.epoch)
        )
        outputs = []
        engine.add_event_handler(
            engine_mod.Events.ITERATION_COMPLETED, lambda e: outputs.append(e.state.output)
        )
        engine.run(loader, max_epochs=3)
        return outputs, sampler.epoch

    assert run(ox_engine) == run(ig_engine)


# -- 3. counters given as floats, as ignite takes them -------------------------------------


@pytest.mark.parametrize(
    "max_epochs", [2.0, 2.5, np.float64(2.0), np.ceil(5 / 2), np.int64(2)], ids=repr
)
def test_float_max_epochs_run_as_in_ignite(max_epochs):
    def run(engine_mod):
        engine = engine_mod.Engine(lambda e, b: None)
        seen = []
        engine.add_event_handler(
            engine_mod.Events.EPOCH_COMPLETED,
            lambda e: seen.append((e.state.epoch, e.state.iteration)),
        )
        state = engine.run([1, 2, 3], max_epochs=max_epochs)
        return seen, repr(state.max_epochs), dict(engine.state_dict())

    assert run(ox_engine) == run(ig_engine)


def test_state_takes_float_limits_as_ignite():
    for engine_mod in (ox_engine, ig_engine):
        state = engine_mod.State(max_epochs=np.ceil(5 / 2))
        assert repr(state.max_epochs) == "np.float64(3.0)"

    def run(engine_mod):
        engine = engine_mod.Engine(lambda e, b: None)
        engine.state.epoch_length = 4.0
        engine.state.max_epochs = 2
        out = [engine.run(range(10)).iteration, repr(engine.state.epoch_length)]
        engine = engine_mod.Engine(lambda e, b: None)
        out.append(engine.run(range(10), epoch_length=4.0).iteration)
        engine = engine_mod.Engine(lambda e, b: None)
        out += [engine.run(range(10), max_iters=3.0).iteration, repr(engine.state.max_iters)]
        return out

    assert run(ox_engine) == run(ig_engine) == [8, "4.0", 4, 3, "3.0"]


def test_float_limits_resume_from_a_state_dict():
    engine = ox_engine.Engine(lambda e, b: None)
    engine.load_state_dict({"iteration": 3, "epoch_length": 3.0, "max_epochs": 2.0})
    assert engine.run(range(3)).iteration == 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epoch_length": 2.5}, "Argument epoch_length should be a whole number, got 2.5"),
        ({"max_iters": 3.5}, "Argument max_iters should be a whole number, got 3.5"),
        ({"max_epochs": float("nan")}, "Argument max_epochs should be a finite number"),
        ({"max_epochs": float("inf")}, "Argument max_epochs should be a finite number"),
        ({"max_epochs": 0.5}, "Argument max_epochs is invalid"),
    ],
)
def test_float_limits_that_cannot_run_are_refused_naming_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ox_engine.Engine(lambda e, b: None).run(range(4), **kwargs)


def test_state_refuses_fractional_counts_naming_the_attribute():
    state = ox_engine.State()
    with pytest.raises(ValueError, match="state.epoch_length should be a whole number, got 2.5"):
        state.epoch_length = 2.5
    with pytest.raises(ValueError, match="state.iteration should be a whole number"):
        state.iteration = float("nan")
    with pytest.raises(TypeError):
        state.max_iters = "3"
    state.max_epochs = 2.5  # ignite runs 3 epochs for it
    assert state.max_epochs == 2.5


# -- the switch that turns every native off -----------------------------------------------


def test_switch_and_its_context_manager():
    assert oxignite.natives.enabled()
    with oxignite.natives.disabled():
        assert not oxignite.natives.enabled()
        with oxignite.natives.disabled():
            assert not oxignite.natives.enabled()
        assert not oxignite.natives.enabled()
    assert oxignite.natives.enabled()
    oxignite.natives.set_enabled(False)
    try:
        assert not oxignite.natives.enabled()
    finally:
        oxignite.natives.set_enabled(True)
    with pytest.raises(TypeError, match="flag should be a bool"):
        oxignite.natives.set_enabled(0)


@pytest.mark.parametrize("value, expected", [("0", False), ("off", False), ("1", True)])
def test_switch_from_the_environment(value, expected):
    code = "import oxignite.natives as n; print(n.enabled())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"OXIGNITE_NATIVES": value, "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == str(expected)


def _python_calls(code, run):
    """How many times ``code`` (a function's code object) runs during ``run()``."""
    calls = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is code:
            calls.append(1)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return len(calls)


def test_switched_off_every_handler_is_called():
    """Off, the Python methods the natives stand in for run at every firing; on, none."""
    counts = {}
    for mode in ("on", "off"):
        engine = ox_engine.Engine(lambda e, b: 1.0)
        engine.add_event_handler(ox_engine.Events.ITERATION_COMPLETED, ox_handlers.TerminateOnNan())
        timer = ox_handlers.Timer()
        timer.attach(engine, step=ox_engine.Events.ITERATION_COMPLETED)
        switch = oxignite.natives.disabled() if mode == "off" else contextlib.nullcontext()
        with switch:
            counts[mode] = (
                _python_calls(
                    ox_handlers.TerminateOnNan.__call__.__code__, lambda e=engine: e.run(range(5))
                ),
                timer.step_count,
            )
    assert counts == {"on": (0, 5), "off": (5, 5)}


@pytest.mark.parametrize("name", ["is_tensor_pair", "detached_pair", "on_device"])
def test_metric_helpers_switched_off_run_their_python_reference(name, monkeypatch):
    import oxignite._core as core
    import oxignite._reference as reference

    seen = []
    original = getattr(reference, name)
    monkeypatch.setattr(reference, name, lambda *a: seen.append(a) or original(*a))
    pair = (torch.ones(2, requires_grad=True), torch.zeros(2))
    args = (pair[0], torch.device("cpu")) if name == "on_device" else (pair,)
    on = getattr(core, name)(*args)
    assert not seen
    with oxignite.natives.disabled():
        off = getattr(core, name)(*args)
    assert len(seen) == 1
    if name == "detached_pair":
        assert (
            [x.requires_grad for x in on[:2]]
            == [x.requires_grad for x in off[:2]]
            == [
                False,
                False,
            ]
        )
        assert on[2:] == off[2:]
    elif name == "on_device":
        assert on is off is pair[0]
    else:
        assert on is off is True


# -- overrides: the one check of "does a subclass replace this?" ---------------------------


def test_overrides_checks_classes_and_instances():
    class Sub(ox_handlers.Timer):
        def step(self, *args):
            return super().step(*args)

    assert overrides(Sub(), ox_handlers.Timer, "step")
    assert overrides(Sub, ox_handlers.Timer, "reset", "step")
    assert not overrides(Sub(), ox_handlers.Timer, "pause")
    timer = ox_handlers.Timer()
    assert not overrides(timer, ox_handlers.Timer, "pause")
    timer.pause = lambda *a: None
    assert overrides(timer, ox_handlers.Timer, "pause")


def test_engine_class_checks_do_not_keep_classes_alive():
    class Sub(ox_engine.Engine):
        pass

    Sub(lambda e, b: None).run([1])
    ref = weakref.ref(Sub)
    del Sub
    gc.collect()
    assert ref() is None
