"""Handlers: how they are called, handles, has/remove_event_handler, special events."""

from __future__ import annotations

import functools
import gc

import pytest
from _parity import LIBS, OX, assert_same_trace, make_engine, run_logged
from oxignite.engine import RemovableEventHandle


def _engine_marker(engine, args):
    return tuple("<engine>" if a is engine else a for a in args)


HANDLER_KINDS = {
    "no_args": (lambda log: lambda: log.append(("no_args",)), (), {}),
    "engine": (lambda log: lambda e: log.append(("engine", e)), (), {}),
    "var_args": (lambda log: lambda *a: log.append(("var_args", *a)), (), {}),
    "var_args_with_args": (lambda log: lambda *a: log.append(("var_args", *a)), (1, 2), {}),
    "engine_and_args": (lambda log: lambda e, a, b=2: log.append(("e_a_b", e, a, b)), (1,), {}),
    "args_only": (lambda log: lambda a: log.append(("a", a)), (5,), {}),
    "two_args_one_given": (lambda log: lambda a, b: log.append(("a_b", a, b)), (5,), {}),
    "kwargs_only": (lambda log: lambda **kw: log.append(("kw", tuple(sorted(kw.items())))), (),
                    {"k": 1}),
    "engine_kwargs": (lambda log: lambda e, k=0: log.append(("e_k", e, k)), (), {"k": 3}),
    "everything": (lambda log: lambda e, *a, **kw: log.append(("all", e, a, tuple(kw))), (1,),
                   {"z": 0}),
    "partial": (lambda log: functools.partial(lambda tag, e: log.append((tag, e)), "partial"), (),
                {}),
}


class CallableObject:
    def __init__(self, log):
        self.log = log

    def __call__(self, engine, extra="x"):
        self.log.append(("callable_object", engine, extra))


class WithMethod:
    def __init__(self, log):
        self.log = log

    def method(self, engine):
        self.log.append(("method", engine))


@pytest.mark.parametrize("kind", sorted(HANDLER_KINDS))
def test_handler_call_signatures_like_ignite(kind):
    def scenario(lib, log):
        make_handler, args, kwargs = HANDLER_KINDS[kind]
        calls: list = []
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        engine.add_event_handler(lib.Events.EPOCH_COMPLETED, make_handler(calls), *args, **kwargs)
        run_logged(engine, log, [1, 2], max_epochs=2)
        log.extend(_engine_marker(engine, c) for c in calls)

    log = assert_same_trace(scenario)
    assert len(log) == 3


def test_callable_object_and_bound_method_handlers():
    def scenario(lib, log):
        calls: list = []
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        engine.add_event_handler(lib.Events.STARTED, CallableObject(calls))
        engine.add_event_handler(lib.Events.STARTED, CallableObject(calls), "y")
        engine.add_event_handler(lib.Events.COMPLETED, WithMethod(calls).method)
        run_logged(engine, log, [1])
        log.extend(_engine_marker(engine, c) for c in calls)

    log = assert_same_trace(scenario)
    assert log[1:] == [
        ("callable_object", "<engine>", "x"),
        ("callable_object", "<engine>", "y"),
        ("method", "<engine>"),
    ]


def test_builtin_without_signature_is_accepted():
    engine = OX.Engine(lambda e, b: None)
    out = []
    engine.add_event_handler(OX.Events.STARTED, out.append)
    engine.run([0])
    assert out == [engine]


def test_handlers_run_in_registration_order():
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        def appender(value):
            return lambda: log.append(value)

        for i in range(5):
            engine.add_event_handler(lib.Events.ITERATION_COMPLETED, appender(i))
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=2), lambda: log.append("f"))
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, lambda: log.append(9))
        run_logged(engine, log, [0, 0])

    log = assert_same_trace(scenario)
    assert log[:-1] == [0, 1, 2, 3, 4, 9, 0, 1, 2, 3, 4, "f", 9]


def test_same_handler_added_twice_is_called_twice_and_removed_together():
    engine = OX.Engine(lambda e, b: None)
    calls = []

    def h():
        calls.append(1)

    engine.add_event_handler(OX.Events.STARTED, h)
    engine.add_event_handler(OX.Events.STARTED, h)
    engine.run([0])
    assert len(calls) == 2
    engine.remove_event_handler(h, OX.Events.STARTED)
    assert not engine.has_event_handler(h)
    engine.run([0])
    assert len(calls) == 2


def test_on_decorator_returns_the_function_and_passes_args():
    engine = OX.Engine(lambda e, b: None)
    calls = []

    @engine.on(OX.Events.COMPLETED, "a", key="b")
    def done(engine, a, key):
        calls.append((engine, a, key))

    assert callable(done) and done.__name__ == "done"
    engine.run([0])
    assert calls == [(engine, "a", "b")]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_removable_event_handle_remove(lib):
    engine = lib.Engine(lambda e, b: None)
    calls = []

    def h(engine):
        calls.append(engine.state.epoch)

    handle = engine.add_event_handler(lib.Events.EPOCH_COMPLETED, h)
    assert engine.has_event_handler(h, lib.Events.EPOCH_COMPLETED)
    engine.run([0], max_epochs=2)
    handle.remove()
    assert not engine.has_event_handler(h)
    handle.remove()  # a second remove is a no-op
    engine.run([0], max_epochs=2)
    assert calls == [1, 2], lib.name


def test_removable_event_handle_context_manager():
    engine = OX.Engine(lambda e, b: None)
    calls = []
    with engine.add_event_handler(OX.Events.ITERATION_COMPLETED(every=2),
                                  lambda e: calls.append(e.state.iteration)) as handle:
        assert isinstance(handle, RemovableEventHandle)
        engine.run([0] * 4)
    engine.run([0] * 4)
    assert calls == [2, 4]
    assert not engine._event_handlers


def test_handle_removes_only_its_event():
    engine = OX.Engine(lambda e, b: None)

    def h():
        pass

    handle = engine.add_event_handler(OX.Events.STARTED, h)
    engine.add_event_handler(OX.Events.COMPLETED, h)
    handle.remove()
    assert not engine.has_event_handler(h, OX.Events.STARTED)
    assert engine.has_event_handler(h, OX.Events.COMPLETED)


def test_handle_after_manual_removal_and_after_engine_is_gone():
    engine = OX.Engine(lambda e, b: None)

    def h():
        pass

    handle = engine.add_event_handler(OX.Events.STARTED, h)
    engine.remove_event_handler(h, OX.Events.STARTED)
    handle.remove()  # nothing left to remove: no error
    handle2 = engine.add_event_handler(OX.Events.STARTED, h)
    del engine
    gc.collect()
    handle2.remove()  # the engine is gone: no error


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_has_event_handler(lib):
    engine = lib.Engine(lambda e, b: None)
    obj = WithMethod([])

    def h():
        pass

    def other():
        pass

    assert not engine.has_event_handler(h)
    engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=3), h)
    engine.add_event_handler(lib.Events.STARTED, obj.method)
    assert engine.has_event_handler(h)
    assert engine.has_event_handler(h, lib.Events.ITERATION_COMPLETED)
    assert engine.has_event_handler(h, lib.Events.ITERATION_COMPLETED(every=5))
    assert not engine.has_event_handler(h, lib.Events.ITERATION_STARTED)
    assert not engine.has_event_handler(h, lib.Events.STARTED)
    assert not engine.has_event_handler(other)
    # a new bound method object compares equal to the registered one
    assert obj.method is not obj.method
    assert engine.has_event_handler(obj.method)
    assert engine.has_event_handler(obj.method, lib.Events.STARTED)
    assert not engine.has_event_handler(WithMethod([]).method)
    engine.remove_event_handler(obj.method, lib.Events.STARTED)
    assert not engine.has_event_handler(obj.method), lib.name


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_remove_event_handler_errors(lib):
    engine = lib.Engine(lambda e, b: None)

    def h():
        pass

    engine.add_event_handler(lib.Events.STARTED, h)
    with pytest.raises(ValueError, match="not found"):
        engine.remove_event_handler(lambda: None, lib.Events.STARTED)
    with pytest.raises(ValueError, match="does not exist"):
        engine.remove_event_handler(h, "no_such_event")
    with pytest.raises(ValueError):
        engine.remove_event_handler(h, lib.Events.COMPLETED)
    engine.remove_event_handler(h, lib.Events.STARTED)
    with pytest.raises(ValueError):
        engine.remove_event_handler(h, lib.Events.STARTED)


def test_remove_filtered_handler_by_base_event():
    engine = OX.Engine(lambda e, b: None)
    calls = []

    def h():
        calls.append(1)

    engine.add_event_handler(OX.Events.ITERATION_COMPLETED(every=2), h)
    engine.remove_event_handler(h, OX.Events.ITERATION_COMPLETED)
    engine.run([0] * 4)
    assert calls == []


@pytest.mark.parametrize("signature", ["engine_exc", "exc_only", "engine_exc_args"])
def test_exception_raised_handler_receives_the_exception(signature):
    received = []
    error = ValueError("bad batch")

    def step(engine, batch):
        raise error

    if signature == "engine_exc":
        def handler(engine, e):
            received.append((engine, e))
    elif signature == "exc_only":
        def handler(e):
            received.append((None, e))
    else:
        def handler(engine, e, tag):
            received.append((tag, e))

    for lib in LIBS:
        received.clear()
        engine = lib.Engine(step)
        args = ("tag",) if signature == "engine_exc_args" else ()
        engine.add_event_handler(lib.Events.EXCEPTION_RAISED, handler, *args)
        state = engine.run([1, 2, 3])
        assert state.iteration == 1, lib.name
        assert len(received) == 1
        first, exc = received[0]
        assert exc is error
        expected_first = {"engine_exc": engine, "exc_only": None, "engine_exc_args": "tag"}
        assert first is expected_first[signature]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_exception_raised_handler_without_exception_argument_is_refused(lib):
    engine = lib.Engine(lambda e, b: None)
    with pytest.raises(ValueError, match="handler"):
        engine.add_event_handler(lib.Events.EXCEPTION_RAISED, lambda: None)


def test_terminate_single_epoch_handler_receives_iter_counter():
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)

        @engine.on(lib.Events.ITERATION_COMPLETED(once=[2, 7]))
        def stop(engine):
            engine.terminate_epoch()

        @engine.on(lib.Events.TERMINATE_SINGLE_EPOCH)
        def single(engine, iter_counter):
            log.append(("single", engine.state.epoch, engine.state.iteration, iter_counter))

        @engine.on(lib.Events.TERMINATE_SINGLE_EPOCH, "extra")
        def single_with_args(engine, tag, iter_counter=None):
            log.append(("single+args", tag, iter_counter))

        run_logged(engine, log, [1, 2, 3, 4], max_epochs=3)

    log = assert_same_trace(scenario)
    assert log[:-1] == [
        ("single", 1, 2, 2),
        ("single+args", "extra", 2),
        ("single", 3, 7, 1),
        ("single+args", "extra", 1),
    ]


def test_terminate_single_epoch_handler_without_iter_counter():
    """oxignite also accepts handlers that do not take ``iter_counter`` (ignite would call
    them with it and fail)."""
    engine = OX.Engine(lambda e, b: None)
    calls = []
    engine.add_event_handler(OX.Events.ITERATION_COMPLETED(once=2), lambda e: e.terminate_epoch())
    engine.add_event_handler(OX.Events.TERMINATE_SINGLE_EPOCH, lambda e: calls.append(e))
    engine.add_event_handler(OX.Events.TERMINATE_SINGLE_EPOCH, lambda: calls.append("plain"))
    engine.add_event_handler(OX.Events.TERMINATE_SINGLE_EPOCH,
                             lambda **kw: calls.append(kw["iter_counter"]))
    engine.run([1, 2, 3])
    assert calls == [engine, "plain", 2]


def test_handler_exception_propagates_and_stops_dispatch():
    engine = OX.Engine(lambda e, b: None)
    calls = []

    def first():
        calls.append("first")
        raise ZeroDivisionError("x")

    engine.add_event_handler(OX.Events.STARTED, first)
    engine.add_event_handler(OX.Events.STARTED, lambda: calls.append("second"))
    with pytest.raises(ZeroDivisionError):
        engine.run([0])
    assert calls == ["first"]


def test_event_handlers_view_is_live_like_ignites_dict():
    # issue 9: ignite code edits engine._event_handlers directly; it acts on the core.
    for lib in LIBS:
        engine = lib.Engine(lambda e, b: None)

        def h():
            pass

        engine.add_event_handler(lib.Events.STARTED, h)
        view = engine._event_handlers
        assert list(view) == [lib.Events.STARTED]
        view.clear()
        assert not engine.has_event_handler(h), lib.name
