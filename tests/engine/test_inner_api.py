"""ignite's inner engine surface (issue 9): ``_fire_event`` and ``_setup_engine`` overrides,
the live ``_event_handlers`` mapping, ``_dataloader_iter``, ``_init_iter`` and the deprecation
warnings, side by side with pytorch-ignite where it has the same surface."""

from __future__ import annotations

import gc
import weakref

import pytest
from _parity import LIBS, OX, assert_same_trace, run_logged

# -- an overridden _fire_event sees every event (ignite's own test style) ----------------------


def recorded_engine(lib, log, process=None):
    class RecordedEngine(lib.Engine):
        def _fire_event(self, event_name, *event_args, **event_kwargs):
            log.append((self.state.epoch, self.state.iteration, event_name.name))
            return super()._fire_event(event_name, *event_args, **event_kwargs)

    return RecordedEngine(process or (lambda e, b: b))


def _on(engine, event, func):
    engine.add_event_handler(event, func)


CONTROL = {
    "plain": lambda lib, e: None,
    "terminate_at_iteration_5": lambda lib, e: _on(
        e, lib.Events.ITERATION_COMPLETED(once=5), lambda en: en.terminate()
    ),
    "terminate_at_epoch_started_2": lambda lib, e: _on(
        e, lib.Events.EPOCH_STARTED(once=2), lambda en: en.terminate()
    ),
    "terminate_skip_completed": lambda lib, e: _on(
        e, lib.Events.ITERATION_STARTED(once=4), lambda en: en.terminate(skip_completed=True)
    ),
    "terminate_epoch_at_iteration_2": lambda lib, e: _on(
        e, lib.Events.ITERATION_COMPLETED(once=2), lambda en: en.terminate_epoch()
    ),
    "terminate_epoch_skip": lambda lib, e: _on(
        e,
        lib.Events.GET_BATCH_COMPLETED(once=5),
        lambda en: en.terminate_epoch(skip_epoch_completed=True),
    ),
    "interrupt_at_iteration_4": lambda lib, e: _on(
        e, lib.Events.ITERATION_COMPLETED(once=4), lambda en: en.interrupt()
    ),
    "interrupt_at_epoch_completed_1": lambda lib, e: _on(
        e, lib.Events.EPOCH_COMPLETED(once=1), lambda en: en.interrupt()
    ),
    "exception_handled": lambda lib, e: (
        _on(e, lib.Events.ITERATION_COMPLETED(once=3), _raise),
        _on(e, lib.Events.EXCEPTION_RAISED, lambda en, exc: None),
    ),
}


def _raise(engine):
    raise ValueError("boom")


@pytest.mark.parametrize("data", ["list", "none"])
@pytest.mark.parametrize("control", sorted(CONTROL))
def test_overridden_fire_event_sees_the_whole_event_sequence(control, data):
    def scenario(lib, log):
        engine = recorded_engine(lib, log)
        CONTROL[control](lib, engine)
        args = ([1, 2, 3],) if data == "list" else (None,)
        kwargs = {"max_epochs": 3, "epoch_length": None if data == "list" else 3}
        run_logged(engine, log, *args, **kwargs)
        # resume after interrupt / terminate
        run_logged(engine, log, *args, max_epochs=3)

    log = assert_same_trace(scenario)
    assert any(entry[-1] == "STARTED" for entry in log if len(entry) == 3)


def test_overridden_fire_event_also_gets_custom_events_and_event_args():
    def scenario(lib, log):
        class Custom(lib.EventEnum):
            STEP = "step"

        engine = recorded_engine(lib, log, process=lambda e, b: e.fire_event(Custom.STEP))
        engine.register_events(*Custom)
        engine.add_event_handler(lib.Events.EXCEPTION_RAISED, lambda e, exc: log.append(str(exc)))
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=2), _raise)
        run_logged(engine, log, [1, 2, 3])

    assert_same_trace(scenario)


def test_overridden_fire_event_can_wrap_the_dispatch():
    def scenario(lib, log):
        class Wrapping(lib.Engine):
            def _fire_event(self, event_name, *args, **kwargs):
                if event_name == lib.Events.ITERATION_COMPLETED and self.state.iteration == 2:
                    log.append("skipped")
                    return None  # handlers of this firing are not called
                return super()._fire_event(event_name, *args, **kwargs)

        engine = Wrapping(lambda e, b: b)
        engine.add_event_handler(
            lib.Events.ITERATION_COMPLETED, lambda e: log.append(e.state.iteration)
        )
        run_logged(engine, log, [1, 2, 3])

    assert_same_trace(scenario)


def test_an_instance_level_fire_event_is_honoured():
    engine = OX.Engine(lambda e, b: None)
    seen = []
    base = engine._fire_event

    def spy(event, *args, **kwargs):
        seen.append(event.name)
        return base(event, *args, **kwargs)

    engine._fire_event = spy
    engine.run([0])
    assert seen[0] == "STARTED" and seen[-1] == "COMPLETED" and "ITERATION_COMPLETED" in seen


# -- an overridden _setup_engine -----------------------------------------------------------------


def test_overridden_setup_engine_is_honoured_like_ignite():
    def scenario(lib, log):
        class Shifted(lib.Engine):
            def _setup_engine(self):
                log.append(("setup", self.state.epoch, self.state.iteration))
                # start every pass at the second item, as a resuming engine would
                self._dataloader_iter = iter(self.state.dataloader[1:])
                self._init_iter = 1

        engine = Shifted(lambda e, b: log.append(("batch", b)))
        run_logged(engine, log, [10, 20, 30], max_epochs=2)

    assert_same_trace(scenario)


def test_setup_engine_sets_init_iter_like_ignite():
    for lib in LIBS:
        engine = lib.Engine(lambda e, b: 1)
        engine.state = lib.State(iteration=10, epoch=1, max_epochs=100, epoch_length=100)
        engine.state.dataloader = list(range(100))
        engine._setup_engine()
        assert engine._init_iter == 10, lib.name
        assert next(engine._dataloader_iter) == 0, lib.name


# -- _dataloader_iter and _init_iter -------------------------------------------------------------


def test_dataloader_iter_is_none_after_a_run_and_kept_while_interrupted():
    for lib in LIBS:
        engine = lib.Engine(lambda e, b: None)
        seen: list = []

        def check(engine, seen=seen):
            seen.append(engine._dataloader_iter is not None)

        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, check)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
        engine.run([1, 2, 3])
        assert engine._dataloader_iter is not None, lib.name
        engine.run()
        assert engine._dataloader_iter is None, lib.name
        assert seen == [True, True, True], lib.name


def test_init_iter_is_consumed_after_resuming_a_terminated_run():
    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(once=5), lambda e: e.terminate())
        run_logged(engine, log, [0] * 10, max_epochs=2)
        log.append(engine._init_iter)
        run_logged(engine, log, [0] * 10, max_epochs=2)
        log.append(engine._init_iter)

    assert assert_same_trace(scenario)[-1] is None


def test_setting_dataloader_iter_switches_the_data_mid_epoch():
    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: log.append(b))

        @engine.on(lib.Events.ITERATION_COMPLETED(once=2))
        def switch(engine):
            engine._dataloader_iter = iter([7, 8, 9])

        run_logged(engine, log, [1, 2, 3, 4], max_epochs=2)

    assert_same_trace(scenario)


# -- the live _event_handlers mapping -----------------------------------------------------------


def test_an_event_without_handlers_reads_as_an_empty_list():
    for lib in LIBS:
        engine = lib.Engine(lambda e, b: None)
        rows = engine._event_handlers[lib.Events.STARTED]
        assert len(rows) == 0 and list(rows) == [], lib.name


def test_rows_appended_and_inserted_are_called_like_ignite():
    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)
        engine.add_event_handler(lib.Events.STARTED, lambda e: log.append("added"))
        rows = engine._event_handlers[lib.Events.STARTED]
        # ignite's time profilers: the engine itself in args, first and last positions
        rows.append((lambda e: log.append(("last", e is engine)), (engine,), {}))
        rows.insert(0, (lambda e: log.append(("first", e is engine)), (engine,), {}))
        rows.append((lambda e, x, k=0: log.append(("weak", e is engine, x, k)),
                     (weakref.ref(engine), 5), {"k": 6}))
        engine._event_handlers[lib.Events.EPOCH_COMPLETED].append(
            (lambda: log.append("no engine"), (), {})
        )
        log.append(len(engine._event_handlers[lib.Events.STARTED]))
        run_logged(engine, log, [0], max_epochs=2)

    log = assert_same_trace(scenario)
    assert log[:5] == [4, ("first", True), "added", ("last", True), ("weak", True, 5, 6)]


def test_rows_appended_during_their_events_dispatch_are_called_in_it_like_ignite():
    """ignite loops over the live list: a row a handler appends to the list being dispatched
    is called at the end of that same dispatch (ignite's profilers time STARTED this way);
    then at every firing."""

    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)

        def adder(e):
            log.append("adder")
            if e.state.iteration == 1:
                rows = e._event_handlers[lib.Events.ITERATION_COMPLETED]
                rows.append((lambda: log.append("late"), (), {}))

        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, adder)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, lambda: log.append("after"))
        run_logged(engine, log, [0, 0, 0])

    log = assert_same_trace(scenario)
    calls = [x for x in log if x in ("adder", "after", "late")]
    assert calls == ["adder", "after", "late"] * 3


def test_a_row_appended_after_a_run_is_called_once_in_the_next_like_ignite():
    """Appended to COMPLETED's list once the run is over (its last event was COMPLETED):
    not a row of that dispatch, so it is called at the next run's COMPLETED, once."""

    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)
        engine.add_event_handler(lib.Events.COMPLETED, lambda: log.append("done"))
        run_logged(engine, log, [0])
        engine._event_handlers[lib.Events.COMPLETED].append((lambda: log.append("late"), (), {}))
        run_logged(engine, log, [0], max_epochs=2)

    log = assert_same_trace(scenario)
    assert [x for x in log if x in ("done", "late")] == ["done", "done", "late"]


def test_rows_replaced_during_their_events_dispatch_like_ignite():
    """A row replaced before the dispatch reaches it is called in its new form; one replaced
    after it was called is not called again (ignite's HandlersTimeProfiler wraps every row,
    STARTED's included, from a STARTED handler)."""

    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)

        def wrapper_for(name):
            return lambda: log.append(("wrapped", name))

        def wrap_all(e):
            log.append("wrap_all")
            rows = e._event_handlers[lib.Events.STARTED]
            for i, (func, args, kwargs) in enumerate(list(rows)):
                name = getattr(func, "__name__", "?")
                if name in ("before", "after"):
                    rows[i] = (wrapper_for(name), (), {})

        def before():
            log.append("before")

        def after():
            log.append("after")

        engine.add_event_handler(lib.Events.STARTED, before)
        engine.add_event_handler(lib.Events.STARTED, wrap_all)
        engine.add_event_handler(lib.Events.STARTED, after)
        run_logged(engine, log, [0])

    log = assert_same_trace(scenario)
    ours = [x for x in log if x in ("before", "wrap_all", "after") or x[0] == "wrapped"]
    assert ours == ["before", "wrap_all", ("wrapped", "after")]


def test_rows_get_the_event_arguments_like_ignite():
    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: _raise(e))
        engine._event_handlers[lib.Events.EXCEPTION_RAISED].append(
            (lambda e, exc: log.append(("caught", type(exc).__name__, e is engine)),
             (weakref.ref(engine),), {})
        )
        run_logged(engine, log, [0])

    assert_same_trace(scenario)


def test_a_row_with_a_dead_engine_reference_raises_like_ignite():
    for lib in LIBS:
        engine = lib.Engine(lambda e, b: None)

        class Dummy:
            pass

        dead = Dummy()
        ref = weakref.ref(dead)
        del dead
        gc.collect()
        engine._event_handlers[lib.Events.STARTED].append((lambda *a: None, (ref,), {}))
        with pytest.raises(RuntimeError, match="Engine reference not resolved"):
            engine._fire_event(lib.Events.STARTED)


def test_rows_are_replaced_deleted_and_reassigned_like_ignite():
    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)

        def a(engine):
            log.append(("a", engine.state.iteration))

        def b():
            log.append("b")

        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=2), a)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, b)
        handlers = engine._event_handlers
        rows = handlers[lib.Events.ITERATION_COMPLETED]
        # HandlersTimeProfiler-style: wrap every handler in place, keeping args and kwargs
        for i, (func, args, kwargs) in enumerate(rows):

            def timed(*call_args, _func=func, **call_kwargs):
                log.append("timed")
                return _func(*call_args, **call_kwargs)

            timed._profiler_original = func
            rows[i] = (timed, args, kwargs)
        run_logged(engine, log, [0] * 4)
        # ...and unwrap again
        for i, (func, args, kwargs) in enumerate(rows):
            rows[i] = (func._profiler_original, args, kwargs)
        del rows[1]
        log.append(engine.has_event_handler(a) and not engine.has_event_handler(b))
        run_logged(engine, log, [0] * 4)
        handlers[lib.Events.ITERATION_COMPLETED] = []
        log.append(lib.Events.ITERATION_COMPLETED in handlers and len(handlers[lib.Events.ITERATION_COMPLETED]))
        run_logged(engine, log, [0] * 2)

    assert_same_trace(scenario)


def test_rows_read_and_written_back_keep_the_native_handler():
    engine = OX.Engine(lambda e, b: None)
    calls = []

    def h(engine):
        calls.append(engine.state.iteration)

    engine.add_event_handler(OX.Events.ITERATION_COMPLETED(every=2), h)
    rows = list(engine._event_handlers[OX.Events.ITERATION_COMPLETED])
    engine._event_handlers[OX.Events.ITERATION_COMPLETED] = rows
    (func, args, _), = engine._event_handlers[OX.Events.ITERATION_COMPLETED]
    # still the native filtered handler, shown as ignite shows it
    assert func._parent() is h and args[0]() is engine
    assert engine._core.handlers(engine._event_ids["ITERATION_COMPLETED"])[0][0] is h
    engine.run([0] * 4)
    assert calls == [2, 4]


def test_remove_event_handler_finds_rows_added_through_the_mapping():
    for lib in LIBS:
        engine = lib.Engine(lambda e, b: None)

        def h(engine):
            pass

        engine._event_handlers[lib.Events.COMPLETED].append((h, (weakref.ref(engine),), {}))
        assert engine.has_event_handler(h, lib.Events.COMPLETED), lib.name
        engine.remove_event_handler(h, lib.Events.COMPLETED)
        assert not engine.has_event_handler(h), lib.name


def test_rows_do_not_keep_a_removed_handler_alive():
    engine = OX.Engine(lambda e, b: None)

    class Handler:
        def __call__(self, engine):
            pass

    handler = Handler()
    ref = weakref.ref(handler)
    engine._event_handlers[OX.Events.STARTED].append((handler, (weakref.ref(engine),), {}))
    del engine._event_handlers[OX.Events.STARTED][0]
    del handler
    gc.collect()
    assert ref() is None


# -- overrides ignite's loop itself cannot be run; warnings -----------------------------------


def test_overriding_ignites_python_loop_is_refused_clearly():
    class Custom(OX.Engine):
        def _run_once_on_dataset_as_gen(self):
            yield

    with pytest.raises(NotImplementedError, match="_run_once_on_dataset_as_gen"):
        Custom(lambda e, b: None).run([0])


def test_the_plain_engine_takes_the_native_path():
    from oxignite.engine.engine import _class_hooks

    assert _class_hooks(OX.Engine) == (False, False)


def test_default_event_filter_warns_like_ignite():
    for lib in LIBS:
        with pytest.warns(UserWarning, match="default_event_filter is deprecated"):
            assert lib.Events.default_event_filter(None, 3) is True
