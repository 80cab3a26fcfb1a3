"""Whole runs traced event by event, compared with pytorch-ignite.

Every scenario runs once with each library; the logs of ``(event, epoch, iteration)``,
processed batches, final states, raised errors and data-exhaustion warnings must match.
"""

from __future__ import annotations

import traceback

import pytest
from _parity import OX, assert_same_trace, make_engine, run_logged

# ignite warns when its suspended run generators are collected; not our concern
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


class NoLen:
    """Re-iterable data without ``__len__`` (like an IterableDataset's loader)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def run_scenario(data_factory, record_exceptions=False, **run_kwargs):
    def scenario(lib, log):
        engine = make_engine(lib, log, exception_handler=record_exceptions)
        run_logged(engine, log, data_factory(), **run_kwargs)

    return scenario


PLAIN_RUNS = {
    "list_one_epoch": run_scenario(lambda: [1, 2, 3]),
    "list_three_epochs": run_scenario(lambda: [1, 2, 3], max_epochs=3),
    "range": run_scenario(lambda: range(4), max_epochs=2),
    "single_batch": run_scenario(lambda: [7], max_epochs=4),
    "none_with_epoch_length": run_scenario(lambda: None, epoch_length=3, max_epochs=2),
    "none_max_iters": run_scenario(lambda: None, epoch_length=4, max_iters=6),
    "iterator_one_epoch": run_scenario(lambda: iter(range(4))),
    "iterator_exhausted_next_epoch": run_scenario(lambda: iter(range(4)), max_epochs=3),
    "generator_epoch_length": run_scenario(lambda: (i for i in range(100)), epoch_length=10,
                                           max_epochs=3),
    "generator_too_short": run_scenario(lambda: (i for i in range(5)), epoch_length=3,
                                        max_epochs=3),
    "no_len_reiterable": run_scenario(lambda: NoLen(3), max_epochs=3),
    "no_len_max_iters": run_scenario(lambda: NoLen(3), max_iters=7),
    "no_len_max_iters_exact": run_scenario(lambda: NoLen(3), max_iters=6),
    "epoch_length_smaller": run_scenario(lambda: list(range(5)), epoch_length=2, max_epochs=4),
    "epoch_length_smaller_divides": run_scenario(lambda: list(range(6)), epoch_length=3,
                                                 max_epochs=4),
    "epoch_length_larger": run_scenario(lambda: [1, 2, 3], epoch_length=5, max_epochs=2),
    "epoch_length_much_larger": run_scenario(lambda: [1, 2], epoch_length=7),
    "max_iters_within_epoch": run_scenario(lambda: list(range(10)), max_iters=3),
    "max_iters_across_epochs": run_scenario(lambda: [1, 2, 3], max_iters=7),
    "max_iters_exact_epochs": run_scenario(lambda: [1, 2, 3], max_iters=6),
    "max_iters_epoch_length": run_scenario(lambda: list(range(10)), max_iters=5, epoch_length=2),
}


@pytest.mark.parametrize("name", sorted(PLAIN_RUNS))
def test_plain_run(name):
    assert_same_trace(PLAIN_RUNS[name])


def test_trace_shape_of_a_simple_run():
    """A direct check of the expected order, independent of ignite."""

    def scenario(lib, log):
        engine = make_engine(lib, log)
        run_logged(engine, log, [10, 20], max_epochs=2)

    log = assert_same_trace(scenario)
    epoch = []
    for e in (1, 2):
        it0 = (e - 1) * 2
        epoch += [("EPOCH_STARTED", e, it0)]
        for k, batch in enumerate((10, 20), start=1):
            epoch += [("GET_BATCH_STARTED", e, it0 + k - 1)]
            if e == 2 and k == 1:
                # the first epoch's iterator is exhausted only now: it is restarted
                epoch += [("DATALOADER_STOP_ITERATION", e, it0)]
            epoch += [
                ("GET_BATCH_COMPLETED", e, it0 + k - 1),
                ("ITERATION_STARTED", e, it0 + k),
                ("process", batch),
                ("ITERATION_COMPLETED", e, it0 + k),
            ]
        epoch += [("EPOCH_COMPLETED", e, it0 + 2)]
    expected = [("STARTED", 0, 0), *epoch, ("COMPLETED", 2, 4), ("state", 2, 4, 2, 2, None, 20)]
    assert log == expected


def test_data_none_fires_no_batch_events():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        run_logged(engine, log, None, epoch_length=2)

    log = assert_same_trace(scenario)
    names = [entry[0] for entry in log]
    assert "GET_BATCH_STARTED" not in names and "GET_BATCH_COMPLETED" not in names
    assert ("process", None) in log


# -- terminate ---------------------------------------------------------------------------

TERMINATE_POINTS = [
    ("STARTED", None),
    ("EPOCH_STARTED", 1),
    ("EPOCH_STARTED", 2),
    ("GET_BATCH_STARTED", 4),
    ("GET_BATCH_COMPLETED", 4),
    ("ITERATION_STARTED", 4),
    ("ITERATION_COMPLETED", 4),
    ("ITERATION_COMPLETED", 3),
    ("ITERATION_COMPLETED", 6),
    ("EPOCH_COMPLETED", 1),
    ("EPOCH_COMPLETED", 2),
    ("DATALOADER_STOP_ITERATION", None),
    ("COMPLETED", None),
]


def _at(lib, event_name, once):
    event = getattr(lib.Events, event_name)
    return event if once is None else event(once=once)


@pytest.mark.parametrize("skip_completed", [False, True])
@pytest.mark.parametrize("event_name,once", TERMINATE_POINTS)
def test_terminate(event_name, once, skip_completed):
    def scenario(lib, log):
        engine = make_engine(lib, log)

        @engine.on(_at(lib, event_name, once))
        def stop(engine):
            log.append(("terminate()",))
            engine.terminate(skip_completed=skip_completed)
            log.append(("flag", engine.should_terminate))

        # epoch_length < len(data) so that DATALOADER_STOP_ITERATION fires in epoch 3
        data = list(range(5))
        run_logged(engine, log, data, epoch_length=3, max_epochs=4)
        # the next run continues (from the next epoch, as ignite)
        run_logged(engine, log, data)
        run_logged(engine, log, data)

    assert_same_trace(scenario)


def test_terminate_with_max_iters_then_resume():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=4), lambda e: e.terminate())
        data = [1, 2, 3]
        run_logged(engine, log, data, max_iters=8)
        run_logged(engine, log, data)
        run_logged(engine, log, data, max_iters=9)

    assert_same_trace(scenario)


# -- terminate_epoch ---------------------------------------------------------------------

TERMINATE_EPOCH_POINTS = [
    ("GET_BATCH_STARTED", 2),
    ("GET_BATCH_COMPLETED", 2),
    ("ITERATION_STARTED", 2),
    ("ITERATION_COMPLETED", 2),
    ("ITERATION_COMPLETED", 4),
    ("ITERATION_COMPLETED", 3),
    ("EPOCH_COMPLETED", 1),
    ("DATALOADER_STOP_ITERATION", None),
    # from STARTED or EPOCH_STARTED: RuntimeError
    ("STARTED", None),
    ("EPOCH_STARTED", 2),
]


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("event_name,once", TERMINATE_EPOCH_POINTS)
def test_terminate_epoch(event_name, once, skip):
    def scenario(lib, log):
        engine = make_engine(lib, log)

        @engine.on(_at(lib, event_name, once))
        def stop_epoch(engine):
            log.append(("terminate_epoch()",))
            engine.terminate_epoch(skip_epoch_completed=skip)
            log.append(("flag", engine.should_terminate_single_epoch))

        run_logged(engine, log, list(range(4)), epoch_length=3, max_epochs=3)
        log.append(("flag after", engine.should_terminate_single_epoch))

    log = assert_same_trace(scenario)
    if event_name in ("STARTED", "EPOCH_STARTED"):
        assert log[-2][:2] == ("raised", "RuntimeError")


def test_terminate_epoch_from_started_raises_runtime_error():
    engine = OX.Engine(lambda e, b: None)
    engine.add_event_handler(OX.Events.STARTED, lambda e: e.terminate_epoch())
    with pytest.raises(RuntimeError, match="terminate_epoch"):
        engine.run([1, 2])


def test_terminate_epoch_with_exception_handler_from_epoch_started():
    def scenario(lib, log):
        engine = make_engine(lib, log, exception_handler=True)
        engine.add_event_handler(lib.Events.EPOCH_STARTED(once=2), lambda e: e.terminate_epoch())
        run_logged(engine, log, [1, 2], max_epochs=3)

    log = assert_same_trace(scenario)
    assert any(entry[0] == "EXCEPTION_RAISED" and entry[3] == "RuntimeError" for entry in log)


# -- interrupt ---------------------------------------------------------------------------

INTERRUPT_POINTS = [
    ("STARTED", None),
    ("EPOCH_STARTED", 2),
    ("GET_BATCH_STARTED", 3),
    ("GET_BATCH_COMPLETED", 3),
    ("ITERATION_STARTED", 3),
    ("ITERATION_COMPLETED", 3),
    ("ITERATION_COMPLETED", 4),
    ("EPOCH_COMPLETED", 1),
    ("EPOCH_COMPLETED", 3),
    ("DATALOADER_STOP_ITERATION", None),
    ("TERMINATE_SINGLE_EPOCH", None),
]


@pytest.mark.parametrize("pass_data_again", [True, False])
@pytest.mark.parametrize("data_kind", ["list", "epoch_length_smaller", "none", "max_iters"])
@pytest.mark.parametrize("event_name,once", INTERRUPT_POINTS)
def test_interrupt_and_resume(event_name, once, data_kind, pass_data_again):
    if event_name == "STARTED" and not pass_data_again and data_kind != "none":
        pytest.skip("ignite resumes with data=None here (its iterator is not set up yet); "
                    "see test_resume.py for oxignite's rule")

    def scenario(lib, log):
        engine = make_engine(lib, log)

        @engine.on(_at(lib, event_name, once))
        def pause(engine, *args, **kwargs):
            log.append(("interrupt()",))
            engine.interrupt()

        if event_name == "TERMINATE_SINGLE_EPOCH":
            engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=5),
                                     lambda e: e.terminate_epoch())
        data = None if data_kind == "none" else list(range(4 if data_kind.startswith("e") else 3))
        if data_kind == "list":
            run_logged(engine, log, data, max_epochs=3)
        elif data_kind in ("epoch_length_smaller", "none"):
            run_logged(engine, log, data, epoch_length=3, max_epochs=3)
        else:
            run_logged(engine, log, data, max_iters=8)
        for _ in range(3):
            if pass_data_again:
                run_logged(engine, log, data)
            else:
                run_logged(engine, log)

    assert_same_trace(scenario)


def test_interrupt_every_iteration_resumes_exactly():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, lambda e: e.interrupt())
        run_logged(engine, log, [1, 2, 3], max_epochs=2)
        for _ in range(6):
            run_logged(engine, log)

    log = assert_same_trace(scenario)
    processed = [entry[1] for entry in log if entry[0] == "process"]
    assert processed == [1, 2, 3, 1, 2, 3]
    assert [entry[0] for entry in log].count("INTERRUPT") == 6
    assert log[-2:] == [("COMPLETED", 2, 6), ("state", 2, 6, 3, 2, None, 3)]


def test_interrupt_then_terminate_on_resume():
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
        data = [1, 2, 3, 4]
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, data)
        run_logged(engine, log, data)

    assert_same_trace(scenario)


# -- set_data ----------------------------------------------------------------------------

SET_DATA_POINTS = [
    ("EPOCH_COMPLETED", 1),
    ("EPOCH_STARTED", 2),
    ("ITERATION_COMPLETED", 2),
    ("STARTED", None),
]


@pytest.mark.parametrize("event_name,once", SET_DATA_POINTS)
def test_set_data_from_handler(event_name, once):
    def scenario(lib, log):
        engine = make_engine(lib, log)

        @engine.on(_at(lib, event_name, once))
        def switch(engine):
            engine.set_data([100, 200, 300])

        run_logged(engine, log, [1, 2, 3], max_epochs=3)

    assert_same_trace(scenario)


# -- exceptions --------------------------------------------------------------------------


class Boom(Exception):
    pass


def failing_process(log, fail_at):
    def process(engine, batch):
        log.append(("process", batch))
        if engine.state.iteration in fail_at:
            raise Boom(f"boom at {engine.state.iteration}")
        return batch

    return process


@pytest.mark.parametrize("with_handler", [False, True])
@pytest.mark.parametrize("fail_at", [(1,), (2,), (3,), (2, 5)])
def test_exception_in_process_function(fail_at, with_handler):
    def scenario(lib, log):
        engine = make_engine(lib, log, failing_process(log, fail_at), exception_handler=with_handler)
        run_logged(engine, log, [1, 2, 3], max_epochs=3)

    assert_same_trace(scenario)


EXCEPTION_POINTS = [
    "STARTED",
    "EPOCH_STARTED",
    "GET_BATCH_STARTED",
    "GET_BATCH_COMPLETED",
    "ITERATION_STARTED",
    "ITERATION_COMPLETED",
    "EPOCH_COMPLETED",
    "COMPLETED",
    "DATALOADER_STOP_ITERATION",
    "TERMINATE",
]


@pytest.mark.parametrize("with_handler", [False, True])
@pytest.mark.parametrize("event_name", EXCEPTION_POINTS)
def test_exception_in_handler(event_name, with_handler):
    def scenario(lib, log):
        engine = make_engine(lib, log, exception_handler=with_handler)
        once = 2 if event_name not in ("STARTED", "COMPLETED", "TERMINATE",
                                       "DATALOADER_STOP_ITERATION") else None

        @engine.on(_at(lib, event_name, once))
        def fail(engine):
            raise Boom(f"in {event_name}")

        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=7), lambda e: e.terminate())
        run_logged(engine, log, list(range(4)), epoch_length=3, max_epochs=3)

    assert_same_trace(scenario)


def test_exception_from_data_iterator():
    def data():
        yield 1
        yield 2
        raise Boom("data")

    for with_handler in (False, True):

        def scenario(lib, log, with_handler=with_handler):
            engine = make_engine(lib, log, exception_handler=with_handler)
            run_logged(engine, log, data(), max_epochs=2)

        assert_same_trace(scenario)


def test_exception_raised_handler_that_reraises():
    """An exception raised by an EXCEPTION_RAISED handler propagates as is (oxignite's rule;
    ignite fires EXCEPTION_RAISED a second time with it, then raises "wrapped wrapped ...")."""
    log: list = []
    engine = make_engine(OX, log, failing_process(log, (2,)), exception_handler=True)

    @engine.on(OX.Events.EXCEPTION_RAISED)
    def reraise(engine, e):
        raise RuntimeError(f"wrapped {e}")

    run_logged(engine, log, [1, 2, 3], max_epochs=2)
    assert log[-2:] == [
        ("EXCEPTION_RAISED", 1, 2, "Boom", "boom at 2"),
        ("raised", "RuntimeError", "wrapped boom at 2"),
    ]
    assert [entry[0] for entry in log].count("EXCEPTION_RAISED") == 1


def _raising_step(engine, batch):
    if batch == 2:
        raise Boom("original")
    return batch


@pytest.mark.parametrize("where", ["process", "handler"])
def test_exception_propagates_unchanged_with_traceback(where):
    if where == "process":
        engine = OX.Engine(_raising_step)
    else:
        engine = OX.Engine(lambda e, b: b)
        engine.add_event_handler(OX.Events.ITERATION_COMPLETED,
                                 lambda e: _raising_step(e, e.state.batch))
    with pytest.raises(Boom) as excinfo:
        engine.run([1, 2, 3])
    assert str(excinfo.value) == "original"
    assert type(excinfo.value) is Boom
    frames = [frame.name for frame in traceback.extract_tb(excinfo.value.__traceback__)]
    assert "_raising_step" in frames
    assert frames[-1] == "_raising_step"
    assert excinfo.value.__cause__ is None


def test_exception_object_identity_given_to_handler():
    raised = []
    received = []

    def step(engine, batch):
        exc = Boom("x")
        raised.append(exc)
        raise exc

    engine = OX.Engine(step)
    engine.add_event_handler(OX.Events.EXCEPTION_RAISED, lambda e, exc: received.append(exc))
    engine.run([1, 2], max_epochs=2)
    # the handler ends the epoch; the next epoch raises again
    assert len(received) == 2
    assert received[0] is raised[0] and received[1] is raised[1]


def test_keyboard_interrupt_is_not_handled_as_epoch_error():
    def scenario(lib, log):
        engine = make_engine(lib, log, exception_handler=True)

        @engine.on(lib.Events.ITERATION_COMPLETED(once=2))
        def stop(engine):
            raise KeyboardInterrupt

        try:
            run_logged(engine, log, [1, 2, 3], max_epochs=2)
        except KeyboardInterrupt:
            log.append(("KeyboardInterrupt",))

    assert_same_trace(scenario)


# -- combinations --------------------------------------------------------------------------


def _combo(data_factory, actions, resumes=0, record_exceptions=False, **run_kwargs):
    """``actions``: (event name, once, method name) triples attached before the run."""

    def scenario(lib, log):
        engine = make_engine(lib, log, exception_handler=record_exceptions)
        for event_name, once, method in actions:
            def act(engine, *args, method=method, **kwargs):
                log.append((method + "()",))
                if method == "raise":
                    raise Boom("combo")
                getattr(engine, method)()

            engine.add_event_handler(_at(lib, event_name, once), act)
        data = data_factory()
        run_logged(engine, log, data, **run_kwargs)
        for _ in range(resumes):
            run_logged(engine, log, data)

    return scenario


COMBOS = {
    "no_len_terminate_epoch_in_first_epoch": _combo(
        lambda: NoLen(5), [("ITERATION_COMPLETED", 2, "terminate_epoch")], max_epochs=3),
    "no_len_interrupt_before_length_known": _combo(
        lambda: NoLen(5), [("ITERATION_COMPLETED", 2, "interrupt")], resumes=2, max_epochs=2),
    "no_len_max_iters_interrupt": _combo(
        lambda: NoLen(4), [("ITERATION_COMPLETED", 6, "interrupt")], resumes=2, max_iters=10),
    "no_len_terminate_then_resume": _combo(
        lambda: NoLen(3), [("ITERATION_COMPLETED", 2, "terminate")], resumes=2, max_epochs=3),
    "none_max_iters_terminate": _combo(
        lambda: None, [("ITERATION_COMPLETED", 3, "terminate")], resumes=1, epoch_length=2,
        max_iters=7),
    "interrupt_then_terminate_epoch": _combo(
        lambda: [1, 2, 3, 4], [("ITERATION_COMPLETED", 2, "interrupt"),
                               ("ITERATION_STARTED", 3, "terminate_epoch")],
        resumes=2, max_epochs=2),
    "terminate_epoch_every_epoch": _combo(
        lambda: [1, 2, 3, 4], [("ITERATION_COMPLETED", [1, 6, 11], "terminate_epoch")],
        max_epochs=3),
    "terminate_epoch_at_epoch_end_iteration": _combo(
        lambda: [1, 2, 3], [("ITERATION_COMPLETED", 3, "terminate_epoch")], max_epochs=2),
    "terminate_in_exception_handler": _combo(
        lambda: [1, 2, 3], [("ITERATION_COMPLETED", 2, "raise"),
                            ("EPOCH_COMPLETED", 1, "terminate")],
        record_exceptions=True, resumes=1, max_epochs=3),
    "interrupt_after_handled_exception": _combo(
        lambda: [1, 2, 3], [("ITERATION_COMPLETED", 2, "raise"),
                            ("EPOCH_COMPLETED", 1, "interrupt")],
        record_exceptions=True, resumes=2, max_epochs=3),
    "terminate_and_interrupt_same_event": _combo(
        lambda: [1, 2, 3], [("ITERATION_COMPLETED", 2, "interrupt"),
                            ("ITERATION_COMPLETED", 2, "terminate")], resumes=1, max_epochs=2),
    "epoch_length_larger_interrupt_at_stop_iteration": _combo(
        lambda: [1, 2], [("DATALOADER_STOP_ITERATION", None, "interrupt")], resumes=2,
        epoch_length=3, max_epochs=2),
}


@pytest.mark.parametrize("name", sorted(COMBOS))
def test_combination(name):
    assert_same_trace(COMBOS[name])


# -- random scenarios ----------------------------------------------------------------------

RANDOM_EVENTS = [
    ("STARTED", False),
    ("EPOCH_STARTED", True),
    ("GET_BATCH_STARTED", True),
    ("GET_BATCH_COMPLETED", True),
    ("ITERATION_STARTED", True),
    ("ITERATION_COMPLETED", True),
    ("EPOCH_COMPLETED", True),
    ("DATALOADER_STOP_ITERATION", False),
    ("TERMINATE_SINGLE_EPOCH", False),
    ("INTERRUPT", False),
]
RANDOM_METHODS = ["terminate", "terminate_skip", "terminate_epoch", "terminate_epoch_skip",
                  "interrupt", "set_data", "raise"]


def _random_scenario(seed):
    import random

    rng = random.Random(seed)
    n_data = rng.randint(1, 5)
    data_kind = rng.choice(["list", "list", "none", "no_len"])
    run_kwargs = {}
    if rng.random() < 0.5:
        run_kwargs["max_epochs"] = rng.randint(1, 4)
    elif rng.random() < 0.5:
        run_kwargs["max_iters"] = rng.randint(1, 12)
    if data_kind == "none" or rng.random() < 0.3:
        run_kwargs["epoch_length"] = rng.randint(1, 6)
    actions = []
    for _ in range(rng.randint(1, 3)):
        event_name, filterable = rng.choice(RANDOM_EVENTS)
        method = rng.choice(RANDOM_METHODS)
        if event_name == "EPOCH_COMPLETED" and method.startswith("terminate_epoch"):
            continue  # a known difference, tested in test_terminate_epoch
        once = rng.randint(1, 8) if filterable and rng.random() < 0.8 else None
        actions.append((event_name, once, method))
    resumes = rng.randint(0, 3)
    n_replacement = rng.randint(1, 4)

    def scenario(lib, log):
        engine = make_engine(lib, log, exception_handler=True)
        replacement = list(range(100, 100 + n_replacement))
        for event_name, once, method in actions:
            def act(engine, *args, method=method, **kwargs):
                log.append((method,))
                if method == "raise":
                    raise Boom(method)
                if method == "set_data":
                    engine.set_data(replacement)
                elif method.endswith("_skip"):
                    getattr(engine, method[: -len("_skip")])(True)
                else:
                    getattr(engine, method)()

            engine.add_event_handler(_at(lib, event_name, once), act)
        if data_kind == "list":
            data = list(range(n_data))
        elif data_kind == "no_len":
            data = NoLen(n_data)
        else:
            data = None
        run_logged(engine, log, data, **run_kwargs)
        for _ in range(resumes):
            # resuming without data after terminate differs on purpose (see test_resume.py)
            run_logged(engine, log, data, epoch_length=run_kwargs.get("epoch_length"))

    return scenario, (data_kind, n_data, run_kwargs, actions, resumes)


@pytest.mark.parametrize("seed", range(200))
def test_random_scenario(seed):
    scenario, description = _random_scenario(seed)
    print("scenario:", description)  # shown by pytest on failure
    assert_same_trace(scenario)


@pytest.mark.parametrize("event_name,once", [("EPOCH_COMPLETED", 2), ("COMPLETED", None),
                                             ("ITERATION_COMPLETED", 4), ("TERMINATE", None)])
def test_set_data_late_in_a_run_does_not_leak_into_the_next_run(event_name, once):
    def scenario(lib, log):
        engine = make_engine(lib, log)
        engine.add_event_handler(_at(lib, event_name, once), lambda e: e.set_data([100, 200]))
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=4),
                                 lambda e: e.terminate() if event_name == "TERMINATE" else None)
        data = [1, 2]
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, data, max_epochs=2)
        run_logged(engine, log, [3, 4], max_epochs=3)

    log = assert_same_trace(scenario)
    assert ("process", 3) in log
