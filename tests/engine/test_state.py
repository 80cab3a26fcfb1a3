"""State: counters, user attributes, metrics, times, constructor, inference of lengths."""

from __future__ import annotations

import pytest
from _parity import IG, LIBS, OX, assert_same_trace, make_engine, run_logged

Engine, Events, State = OX.Engine, OX.Events, OX.State


class NoLen:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def _defaults(state):
    return {
        "iteration": state.iteration,
        "epoch": state.epoch,
        "epoch_length": state.epoch_length,
        "max_epochs": state.max_epochs,
        "max_iters": state.max_iters,
        "output": state.output,
        "batch": state.batch,
        "metrics": state.metrics,
        "dataloader": state.dataloader,
        "seed": state.seed,
        "times": dict(state.times),
    }


def test_state_defaults_like_ignite():
    ours = _defaults(State())
    assert ours["iteration"] == 0 and ours["epoch"] == 0 and ours["metrics"] == {}
    assert ours["times"] == {"EPOCH_COMPLETED": None, "COMPLETED": None}
    if IG is not None:
        assert ours == _defaults(IG.State())
    assert _defaults(Engine(lambda e, b: None).state) == ours


def test_state_kwargs():
    state = State(iteration=5, epoch=2, my_value=1.5, metrics={"acc": 0.5})
    assert (state.iteration, state.epoch, state.my_value, state.metrics) == (5, 2, 1.5,
                                                                             {"acc": 0.5})
    assert state.epoch_length is None
    if IG is not None:
        theirs = IG.State(iteration=5, epoch=2, my_value=1.5)
        assert (theirs.iteration, theirs.epoch, theirs.my_value) == (5, 2, 1.5)


def test_state_instances_do_not_share_mutable_defaults():
    a, b = State(), State()
    a.metrics["x"] = 1
    a.times["COMPLETED"] = 3.0
    assert b.metrics == {} and b.times["COMPLETED"] is None


def test_state_counter_types():
    state = State()
    state.iteration = 7
    state.epoch_length = None
    state.max_epochs = 3
    state.max_iters = None
    assert state.iteration == 7 and state.max_epochs == 3
    with pytest.raises((TypeError, ValueError)):
        state.iteration = "seven"


COUNTERS = ["iteration", "epoch", "epoch_length", "max_epochs", "max_iters"]


@pytest.mark.parametrize("name", COUNTERS)
@pytest.mark.parametrize("value", [2**63, 10**30, -(2**63) - 1])
def test_state_counters_beyond_64_bits_are_a_value_error_naming_them(name, value):
    # Never wrapped, never an OverflowError: refused at the assignment, naming the counter.
    state = State()
    with pytest.raises(ValueError, match=f"state.{name}"):
        setattr(state, name, value)
    assert getattr(state, name) in (0, None)
    with pytest.raises(ValueError, match=name):
        State(**{name: value})


@pytest.mark.parametrize("name", COUNTERS)
@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), 2**40])
def test_state_counters_keep_any_64_bit_value(name, value):
    state = State()
    setattr(state, name, value)
    assert getattr(state, name) == value


def test_a_counter_at_the_64_bit_limit_does_not_wrap():
    engine = Engine(lambda e, b: None)
    engine.state.max_epochs = 5
    engine.state.epoch = 1
    engine.state.iteration = 2**63 - 1  # epoch_length unknown: the run is not done
    with pytest.raises(ValueError, match="state.iteration"):
        engine.run(iter([0, 0]))
    assert engine.state.iteration == 2**63 - 1


def test_get_event_attrib_value():
    state = State(iteration=7, epoch=2)
    assert state.get_event_attrib_value(Events.ITERATION_COMPLETED) == 7
    assert state.get_event_attrib_value(Events.GET_BATCH_STARTED) == 7
    assert state.get_event_attrib_value(Events.EPOCH_STARTED) == 2
    assert state.get_event_attrib_value(Events.COMPLETED) == 2
    assert state.get_event_attrib_value(Events.ITERATION_COMPLETED(every=3)) == 7
    with pytest.raises(RuntimeError):
        state.get_event_attrib_value(Events.EXCEPTION_RAISED)


def test_state_repr():
    state = State(iteration=3, custom="abc")
    text = repr(state)
    assert text.startswith("State:")
    for field in ("iteration: 3", "epoch: 0", "epoch_length", "max_epochs", "output",
                  "batch", "metrics", "dataloader", "seed", "times", "custom: abc"):
        assert field in text


def test_counters_visible_in_handlers_and_after_run():
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b * 10)

        @engine.on(lib.Events.GET_BATCH_COMPLETED)
        def batch_fetched(engine):
            s = engine.state
            log.append(("got", s.epoch, s.iteration, s.batch, s.output))

        @engine.on(lib.Events.ITERATION_STARTED)
        def started(engine):
            s = engine.state
            log.append(("it", s.epoch, s.iteration, s.batch, s.output))

        @engine.on(lib.Events.ITERATION_COMPLETED)
        def completed(engine):
            s = engine.state
            log.append(("done", s.epoch, s.iteration, s.batch, s.output, s.epoch_length,
                        s.max_epochs, s.dataloader is not None))

        run_logged(engine, log, [1, 2, 3], max_epochs=2)
        s = engine.state
        log.append(("after", s.batch, s.output))

    log = assert_same_trace(scenario)
    assert log[-1] == ("after", 3, 30)


def test_batch_changed_in_iteration_started_is_processed():
    def scenario(lib, log):
        engine = make_engine(lib, log)

        @engine.on(lib.Events.ITERATION_STARTED)
        def preprocess(engine):
            engine.state.batch = engine.state.batch * 100

        run_logged(engine, log, [1, 2])

    log = assert_same_trace(scenario)
    assert [entry[1] for entry in log if entry[0] == "process"] == [100, 200]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_user_attributes_persist_across_runs(lib):
    engine = lib.Engine(lambda e, b: None)
    engine.state.alpha = 1
    engine.state.metrics["loss"] = 0.25

    @engine.on(lib.Events.EPOCH_COMPLETED)
    def bump(engine):
        engine.state.alpha += 1

    engine.run([0], max_epochs=3)
    assert engine.state.alpha == 4
    engine.state.max_epochs = None  # restart
    engine.run([0], max_epochs=2)
    assert engine.state.alpha == 6
    assert engine.state.metrics == {"loss": 0.25}, lib.name


def test_metrics_dict_is_writable_and_replaceable():
    engine = Engine(lambda e, b: None)

    @engine.on(Events.EPOCH_COMPLETED)
    def compute(engine):
        engine.state.metrics["epoch"] = engine.state.epoch

    engine.run([0], max_epochs=2)
    assert engine.state.metrics == {"epoch": 2}
    engine.state.metrics = {"other": 1}
    assert engine.state.metrics == {"other": 1}


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_times_after_run(lib):
    engine = lib.Engine(lambda e, b: None)
    seen = {}

    @engine.on(lib.Events.EPOCH_COMPLETED)
    def epoch_done(engine):
        seen["epoch"] = engine.state.times["EPOCH_COMPLETED"]

    @engine.on(lib.Events.COMPLETED)
    def run_done(engine):
        seen["run"] = engine.state.times["COMPLETED"]

    state = engine.run([0, 0], max_epochs=2)
    for key in ("EPOCH_COMPLETED", "COMPLETED"):
        assert isinstance(state.times[key], float) and state.times[key] >= 0.0
    # available (as floats) to the handlers of the event itself
    assert isinstance(seen["epoch"], float) and seen["epoch"] >= 0.0
    assert isinstance(seen["run"], float) and seen["run"] >= 0.0
    assert state.times["COMPLETED"] >= seen["run"]
    assert set(state.times) == {"EPOCH_COMPLETED", "COMPLETED"}, lib.name


def test_times_reset_at_each_run_and_set_after_terminate():
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.STARTED,
                             lambda e: e.state.times.update(probe=dict(e.state.times)))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda e: e.terminate())
    engine.run([0, 0], max_epochs=2)
    assert engine.state.times["probe"] == {"EPOCH_COMPLETED": 0.0, "COMPLETED": 0.0}
    assert engine.state.times["COMPLETED"] >= 0.0
    assert isinstance(engine.state.times["COMPLETED"], float)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_epoch_length_inferred_from_iterator_without_len(lib):
    engine = lib.Engine(lambda e, b: None)
    lengths = []
    engine.add_event_handler(lib.Events.ITERATION_COMPLETED,
                             lambda e: lengths.append(e.state.epoch_length))
    state = engine.run(NoLen(4), max_epochs=2)
    assert lengths == [None] * 4 + [4] * 4
    assert (state.epoch_length, state.iteration, state.epoch) == (4, 8, 2), lib.name


def test_epoch_length_from_len_and_explicit():
    engine = Engine(lambda e, b: None)
    assert engine.run(range(6)).epoch_length == 6
    engine = Engine(lambda e, b: None)
    assert engine.run(range(6), epoch_length=2).epoch_length == 2
    engine = Engine(lambda e, b: None)
    assert engine.run(iter(range(6)), epoch_length=3).iteration == 3


def test_len_raising_type_error_counts_as_no_len():
    class BadLen(NoLen):
        def __len__(self):
            raise TypeError("no len")

    engine = Engine(lambda e, b: None)
    state = engine.run(BadLen(3), max_epochs=2)
    assert (state.epoch_length, state.iteration) == (3, 6)


@pytest.mark.parametrize("max_iters,expected_epochs", [(1, 1), (3, 1), (4, 2), (7, 3), (9, 3)])
def test_max_epochs_computed_from_max_iters_when_epoch_length_unknown(max_iters, expected_epochs):
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        maxes = []
        engine.add_event_handler(lib.Events.EPOCH_COMPLETED,
                                 lambda e: maxes.append((e.state.epoch_length, e.state.max_epochs)))
        run_logged(engine, log, NoLen(3), max_iters=max_iters)
        log.append(maxes)

    log = assert_same_trace(scenario)
    state_entry = log[-2]
    assert state_entry[2] == max_iters  # iteration
    if max_iters > 3:  # (with max_iters=3 the run ends before the data is exhausted)
        assert state_entry[3:6] == (3, expected_epochs, max_iters)
        assert log[-1][0] == (3, expected_epochs)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_engine_flags_and_last_event_name(lib):
    engine = lib.Engine(lambda e, b: None)
    assert engine.last_event_name is None
    assert engine.should_terminate is False
    assert engine.should_terminate_single_epoch is False
    assert engine.should_interrupt is False
    names = []
    engine.add_event_handler(lib.Events.ITERATION_COMPLETED,
                             lambda e: names.append(e.last_event_name))
    engine.run([0])
    assert names == [lib.Events.ITERATION_COMPLETED]
    assert engine.last_event_name == lib.Events.COMPLETED
    engine.terminate(skip_completed=True)
    assert engine.should_terminate == "skip_completed"
    engine.terminate_epoch()
    assert engine.should_terminate_single_epoch is True
    engine.terminate_epoch(skip_epoch_completed=True)
    assert engine.should_terminate_single_epoch == "skip_epoch_completed", lib.name


def test_state_dataloader_is_the_data():
    data = [1, 2]
    engine = Engine(lambda e, b: None)
    assert engine.run(data).dataloader is data
    engine = Engine(lambda e, b: None)
    assert engine.run(None, epoch_length=2).dataloader is None


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_restart_by_resetting_max_epochs(lib):
    engine = lib.Engine(lambda e, b: None)
    engine.run([0, 0], max_epochs=5)
    engine.state.max_epochs = None
    state = engine.run([0, 0, 0], max_epochs=2)
    assert (state.epoch, state.iteration, state.epoch_length) == (2, 6, 3), lib.name
