"""Resuming runs: after terminate, interrupt, an exception, load_state_dict; state_dict."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from _parity import LIBS, OX, assert_same_trace, make_engine, run_logged

Engine, Events = OX.Engine, OX.Events


def _processed(log):
    return [entry[1] for entry in log if entry[0] == "process"]


def _iterations(log):
    return [entry[2] for entry in log if entry[0] == "ITERATION_COMPLETED"]


# -- terminate ---------------------------------------------------------------------------


def test_resume_after_terminate_continues_from_next_epoch():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=5), lambda e: e.terminate())
        data = [0, 1, 2, 3]
        run_logged(engine, log, data, max_epochs=3)
        run_logged(engine, log, data)

    log = assert_same_trace(scenario)
    assert _iterations(log) == list(range(1, 10))
    # the terminated epoch is not resumed: epoch 3 runs a full pass over the data
    assert _processed(log) == [0, 1, 2, 3, 0, 0, 1, 2, 3]
    assert log[-1] == ("state", 3, 9, 4, 3, None, 3)


def test_resume_after_terminate_with_more_epochs():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.EPOCH_COMPLETED(once=1), lambda e: e.terminate())
        data = [0, 1]
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, data, max_epochs=4)
        run_logged(engine, log, data, max_epochs=5)
        run_logged(engine, log, data)  # done: a new run

    log = assert_same_trace(scenario)
    assert log[-1][:5] == ("state", 1, 2, 2, 1)


def test_resume_after_terminate_without_data_keeps_the_data():
    """oxignite's rule: ``run()`` without data resumes over the data given before (ignite
    would switch to ``data=None`` and give the process function None batches)."""
    seen = []
    engine = Engine(lambda e, b: seen.append(b))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    engine.run(["a", "b"], max_epochs=3)
    state = engine.run()
    assert seen == ["a", "b", "a", "a", "b", "a", "b"][:len(seen)]
    assert None not in seen
    assert (state.epoch, state.iteration) == (3, 5)


def test_terminate_then_completed_run_restarts():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        data = [5, 6]
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, data, max_epochs=3)
        run_logged(engine, log, data, max_epochs=1)

    assert_same_trace(scenario)


# -- interrupt ---------------------------------------------------------------------------


def test_resume_after_interrupt_is_exact():
    seen = []
    engine = Engine(lambda e, b: seen.append((e.state.epoch, e.state.iteration, b)))
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=3), lambda e: e.interrupt())
    interrupts = []
    engine.add_event_handler(Events.INTERRUPT, lambda e: interrupts.append(e.state.iteration))
    data = iter(range(100))
    state = engine.run(data, epoch_length=5, max_epochs=2)
    assert state.iteration == 3
    for expected in (6, 9, 10):
        state = engine.run()
        assert state.iteration == expected
    assert [s[2] for s in seen] == list(range(10))
    assert [(s[0], s[1]) for s in seen] == [(1 + i // 5, i + 1) for i in range(10)]
    assert interrupts == [3, 6, 9]
    assert (state.epoch, state.iteration) == (2, 10)


def test_interrupt_when_disabled():
    class Legacy(Engine):
        interrupt_resume_enabled = False

    engine = Legacy(lambda e, b: None)
    with pytest.raises(RuntimeError, match="interrupt"):
        engine.interrupt()


def test_interrupt_keeps_max_epochs_given_on_resume():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=3), lambda e: e.interrupt())
        data = [1, 2]
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, data, max_epochs=3)

    log = assert_same_trace(scenario)
    assert log[-1] == ("state", 3, 6, 2, 3, None, 2)


def test_restart_after_interrupt_with_max_epochs_none_uses_the_new_data():
    """ignite's documented restart (``state.max_epochs = None``) after an interrupt: the new
    run iterates the new data."""

    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
        run_logged(engine, log, [1, 2, 3], max_epochs=2)
        engine.state.max_epochs = None
        run_logged(engine, log, [4, 5])

    log = assert_same_trace(scenario)
    assert _processed(log) == [1, 2, 4, 5]


def test_replacing_state_after_interrupt_starts_a_new_run_on_the_new_data():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
        run_logged(engine, log, [1, 2, 3], max_epochs=2)
        engine.state = lib.State()
        run_logged(engine, log, [4, 5])

    log = assert_same_trace(scenario)
    assert _processed(log) == [1, 2, 4, 5]


# -- exception ---------------------------------------------------------------------------


class Once(Exception):
    pass


def _fail_once(where, at):
    failed = []

    def maybe_fail(engine):
        if not failed and engine.state.iteration == at:
            failed.append(True)
            raise Once(where)

    return maybe_fail


@pytest.mark.parametrize(
    "where,expected_iterations,expected_batches",
    [
        # The process function failed in iteration 6: it is retried. As after any resume
        # within an epoch, the data is iterated afresh (the batch is not the one that failed)
        # and the iterator carries on into the next epoch.
        ("process", list(range(1, 13)), [0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 0, 1, 2]),
        # ITERATION_STARTED handler failed: the iteration had not run, it is retried
        ("ITERATION_STARTED", list(range(1, 13)), [0, 1, 2, 3, 0, 0, 1, 2, 3, 0, 1, 2]),
        # ITERATION_COMPLETED handler failed: iteration 6 is done, the run goes on with 7
        ("ITERATION_COMPLETED", list(range(1, 13)), [0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 0, 1]),
    ],
)
def test_resume_after_exception_retries_within_the_same_epoch(where, expected_iterations,
                                                              expected_batches):
    log = []
    engine = make_engine(OX, log)
    check = _fail_once(where, 6)
    if where == "process":
        def step(engine, batch):
            log.append(("process", batch))
            check(engine)
            return batch
        engine = make_engine(OX, log, process=step)
    else:
        engine.add_event_handler(getattr(Events, where), check)
    data = [0, 1, 2, 3]
    with pytest.raises(Once):
        engine.run(data, max_epochs=3)
    assert (engine.state.epoch, engine.state.iteration) == (2, 6)
    state = engine.run(data)
    assert _iterations(log) == expected_iterations
    assert _processed(log) == expected_batches
    assert (state.epoch, state.iteration) == (3, 12)
    epochs_started = [entry[1] for entry in log if entry[0] == "EPOCH_STARTED"]
    assert epochs_started == [1, 2, 2, 3]
    assert [entry[0] for entry in log].count("STARTED") == 2


def test_resume_after_exception_in_epoch_started():
    log = []
    engine = make_engine(OX, log)
    failed = []

    @engine.on(Events.EPOCH_STARTED(once=2))
    def fail(engine):
        if not failed:
            failed.append(1)
            raise Once("epoch")

    with pytest.raises(Once):
        engine.run([0, 1], max_epochs=3)
    state = engine.run([0, 1])
    assert [entry[1] for entry in log if entry[0] == "EPOCH_STARTED"] == [1, 2, 2, 3]
    assert _iterations(log) == [1, 2, 3, 4, 5, 6]
    assert (state.epoch, state.iteration) == (3, 6)


def test_resume_after_exception_in_epoch_completed_goes_to_next_epoch():
    log = []
    engine = make_engine(OX, log)
    failed = []

    @engine.on(Events.EPOCH_COMPLETED(once=1))
    def fail(engine):
        if not failed:
            failed.append(1)
            raise Once("epoch completed")

    with pytest.raises(Once):
        engine.run([0, 1], max_epochs=3)
    state = engine.run([0, 1])
    assert [entry[1] for entry in log if entry[0] == "EPOCH_STARTED"] == [1, 2, 3]
    assert (state.epoch, state.iteration) == (3, 6)


def test_resume_after_exception_then_state_change_is_a_plain_resume():
    """The retry applies only if the state is still where the run failed."""
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), _fail_once("x", 3))
    with pytest.raises(Once):
        engine.run([0, 0], max_epochs=3)
    engine.load_state_dict({"iteration": 4, "epoch_length": 2, "max_epochs": 3})
    iterations = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: iterations.append(
        e.state.iteration))
    engine.run([0, 0])
    assert iterations == [5, 6]


# -- load_state_dict / state_dict ---------------------------------------------------------

LOAD_CASES = [
    {"iteration": 5, "epoch_length": 4, "max_epochs": 3},
    {"iteration": 8, "epoch_length": 4, "max_epochs": 3},
    {"epoch": 1, "epoch_length": 4, "max_epochs": 3},
    {"epoch": 0, "epoch_length": 4, "max_epochs": 2},
    {"iteration": 0, "epoch_length": 4, "max_epochs": 2},
    {"iteration": 6, "epoch_length": 4, "max_iters": 10},
    {"epoch": 2, "epoch_length": 4, "max_iters": 11},
    {"iteration": 3, "epoch_length": 2, "max_epochs": 3},
]


@pytest.mark.parametrize("sd", LOAD_CASES, ids=lambda sd: ",".join(f"{k}={v}" for k, v in
                                                                    sd.items()))
def test_load_state_dict_resume_like_ignite(sd):
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.load_state_dict(sd)
        s = engine.state
        log.append(("loaded", s.epoch, s.iteration, s.epoch_length, s.max_epochs, s.max_iters))
        data = list(range(sd["epoch_length"] + 1))
        run_logged(engine, log, data)
        log.append(("state_dict", tuple(engine.state_dict().items())))

    assert_same_trace(scenario)


def test_load_state_dict_then_resume_at_saved_iteration():
    engine = Engine(lambda e, b: b)
    engine.load_state_dict({"iteration": 5, "epoch_length": 4, "max_epochs": 3})
    assert (engine.state.epoch, engine.state.iteration) == (1, 5)
    iterations = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: iterations.append(
        (e.state.epoch, e.state.iteration)))
    engine.run([0, 1, 2, 3])
    assert iterations == [(2, 6), (2, 7), (2, 8), (3, 9), (3, 10), (3, 11), (3, 12)]


def test_load_state_dict_after_interrupt_replaces_the_paused_run():
    """oxignite's rule: a loaded state replaces a paused run (ignite would continue its
    suspended loop with the loaded counters)."""
    log: list = []
    engine = make_engine(OX, log)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.interrupt())
    run_logged(engine, log, [1, 2, 3, 4], max_epochs=2)
    engine.load_state_dict({"iteration": 6, "epoch_length": 4, "max_epochs": 2})
    del log[:]
    run_logged(engine, log, [5, 6, 7, 8])
    assert log[:2] == [("STARTED", 1, 6), ("EPOCH_STARTED", 2, 6)]
    assert _processed(log) == [5, 6]
    assert _iterations(log) == [7, 8]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_state_dict_round_trip_with_user_keys(lib):
    engine = lib.Engine(lambda e, b: None)
    engine.state_dict_user_keys.append("alpha")
    engine.state_dict_user_keys.append("beta")
    engine.state.alpha = 0.5
    engine.state.beta = [1, 2]
    engine.run([0, 0, 0], max_epochs=2)
    sd = engine.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd.items()) == [("epoch_length", 3), ("iteration", 6), ("max_epochs", 2),
                                ("alpha", 0.5), ("beta", [1, 2])], lib.name

    other = lib.Engine(lambda e, b: None)
    other.state_dict_user_keys.append("alpha")
    other.state_dict_user_keys.append("beta")
    other.load_state_dict(sd)
    assert (other.state.epoch, other.state.iteration, other.state.epoch_length) == (2, 6, 3)
    assert other.state.alpha == 0.5 and other.state.beta == [1, 2]
    assert other.state_dict() == sd

    missing = lib.Engine(lambda e, b: None)
    missing.state_dict_user_keys.append("gamma")
    with pytest.raises(ValueError, match="gamma"):
        missing.load_state_dict(sd)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_state_dict_with_max_iters(lib):
    engine = lib.Engine(lambda e, b: None)
    engine.run([0, 0, 0], max_iters=5)
    assert dict(engine.state_dict()) == {"epoch_length": 3, "iteration": 5, "max_iters": 5}
    fresh = lib.Engine(lambda e, b: None)
    assert dict(fresh.state_dict()) == {"epoch_length": None, "iteration": 0,
                                        "max_epochs": None}


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_load_state_dict_and_run_with_different_epoch_length_raises(lib):
    engine = lib.Engine(lambda e, b: None)
    engine.load_state_dict({"iteration": 3, "epoch_length": 4, "max_epochs": 3})
    with pytest.raises(ValueError, match="epoch_length"):
        engine.run([0] * 4, epoch_length=5)


def test_larger_max_epochs_after_completion_continues():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        data = [1, 2]
        run_logged(engine, log, data, max_epochs=1)
        run_logged(engine, log, data, max_epochs=3)
        run_logged(engine, log, data)

    log = assert_same_trace(scenario)
    assert log[-1] == ("state", 1, 2, 2, 1, None, 2)
