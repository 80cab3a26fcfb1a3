"""Handlers that change the engine while it dispatches (the rule in Engine's docstring).

- a handler added during a dispatch is first called at the next firing of that event;
- a handler removed during a dispatch is not called again, not even later in that dispatch;
- handlers may fire events, terminate/interrupt, run other engines;
- ``run()`` on an engine from one of its own handlers raises RuntimeError.
"""

from __future__ import annotations

import pytest
from _parity import OX

Engine, Events = OX.Engine, OX.Events


def _fire_n(engine, event, n):
    """Fires ``event`` n times: inside a run (as ITERATION_COMPLETED) or directly."""
    if event == "direct":
        engine.register_events("direct")
        for _ in range(n):
            engine.fire_event("direct")
    else:
        engine.run([0] * n)


@pytest.mark.parametrize("event", [Events.ITERATION_COMPLETED, "direct"])
def test_handler_added_during_dispatch_is_called_from_next_firing(event):
    engine = Engine(lambda e, b: None)
    if event == "direct":
        engine.register_events("direct")
    calls = []

    def late():
        calls.append("late")

    def adder():
        calls.append("adder")
        if len([c for c in calls if c == "adder"]) == 1:
            engine.add_event_handler(event, late)

    engine.add_event_handler(event, adder)
    engine.add_event_handler(event, lambda: calls.append("after"))
    _fire_n(engine, event, 3)
    assert calls == ["adder", "after", "adder", "after", "late", "adder", "after", "late"]


@pytest.mark.parametrize("event", [Events.ITERATION_COMPLETED, "direct"])
def test_handler_removing_itself(event):
    engine = Engine(lambda e, b: None)
    if event == "direct":
        engine.register_events("direct")
    calls = []

    def once():
        calls.append("once")
        engine.remove_event_handler(once, event)

    engine.add_event_handler(event, once)
    engine.add_event_handler(event, lambda: calls.append("other"))
    _fire_n(engine, event, 3)
    assert calls == ["once", "other", "other", "other"]
    assert not engine.has_event_handler(once)


@pytest.mark.parametrize("event", [Events.ITERATION_COMPLETED, "direct"])
def test_handler_removing_a_later_handler_in_the_same_dispatch(event):
    engine = Engine(lambda e, b: None)
    if event == "direct":
        engine.register_events("direct")
    calls = []

    def victim():
        calls.append("victim")

    def remover():
        calls.append("remover")
        if engine.has_event_handler(victim):
            engine.remove_event_handler(victim, event)

    engine.add_event_handler(event, remover)
    engine.add_event_handler(event, victim)
    engine.add_event_handler(event, lambda: calls.append("last"))
    _fire_n(engine, event, 2)
    assert calls == ["remover", "last", "remover", "last"]


def test_handler_removing_an_earlier_handler():
    engine = Engine(lambda e, b: None)
    calls = []

    def first():
        calls.append("first")

    def remover():
        calls.append("remover")
        if engine.has_event_handler(first):
            engine.remove_event_handler(first, Events.ITERATION_COMPLETED)

    engine.add_event_handler(Events.ITERATION_COMPLETED, first)
    engine.add_event_handler(Events.ITERATION_COMPLETED, remover)
    engine.run([0, 0, 0])
    assert calls == ["first", "remover", "remover", "remover"]


def test_remove_and_re_add_during_dispatch():
    engine = Engine(lambda e, b: None)
    calls = []

    def victim():
        calls.append("victim")

    def juggler():
        calls.append("juggler")
        if engine.state.iteration == 1:
            engine.remove_event_handler(victim, Events.ITERATION_COMPLETED)
            engine.add_event_handler(Events.ITERATION_COMPLETED, victim)

    engine.add_event_handler(Events.ITERATION_COMPLETED, juggler)
    engine.add_event_handler(Events.ITERATION_COMPLETED, victim)
    engine.run([0, 0])
    # removed: not called later in dispatch 1; re-added: called from dispatch 2 on
    assert calls == ["juggler", "juggler", "victim"]


def test_handle_remove_during_dispatch():
    engine = Engine(lambda e, b: None)
    calls = []
    handles = {}

    def victim(engine):
        calls.append(("victim", engine.state.iteration))

    def remover(engine):
        if engine.state.iteration == 2:
            handles["victim"].remove()

    engine.add_event_handler(Events.ITERATION_COMPLETED, remover)
    handles["victim"] = engine.add_event_handler(Events.ITERATION_COMPLETED, victim)
    engine.run([0] * 4)
    assert calls == [("victim", 1)]


def test_handler_added_to_another_event_during_the_run():
    engine = Engine(lambda e, b: None)
    calls = []

    @engine.on(Events.EPOCH_STARTED(once=2))
    def add_later(engine):
        engine.add_event_handler(Events.ITERATION_COMPLETED,
                                 lambda e: calls.append(e.state.iteration))
        engine.add_event_handler(Events.EPOCH_STARTED, lambda e: calls.append(("ep", e.state.epoch)))

    engine.run([0, 0], max_epochs=3)
    assert calls == [3, 4, ("ep", 3), 5, 6]


def test_removing_all_handlers_of_the_running_event_from_a_handler():
    engine = Engine(lambda e, b: None)
    calls = []

    def a():
        calls.append("a")
        for h in (a, b, c):
            engine.remove_event_handler(h, Events.ITERATION_COMPLETED)

    def b():
        calls.append("b")

    def c():
        calls.append("c")

    for h in (a, b, c):
        engine.add_event_handler(Events.ITERATION_COMPLETED, h)
    engine.run([0, 0, 0])
    assert calls == ["a"]
    assert not engine._event_handlers


def test_handler_firing_another_event():
    engine = Engine(lambda e, b: None)
    engine.register_events("inner", "outer")
    calls = []

    @engine.on(Events.ITERATION_COMPLETED)
    def fire_inner(engine):
        calls.append(("it", engine.state.iteration))
        engine.fire_event("inner")
        calls.append(("back", engine.last_event_name))

    @engine.on("inner")
    def inner(engine):
        calls.append("inner")
        engine.fire_event("outer")

    engine.add_event_handler("outer", lambda: calls.append("outer"))
    engine.run([0, 0])
    assert calls == [
        ("it", 1), "inner", "outer", ("back", "outer"),
        ("it", 2), "inner", "outer", ("back", "outer"),
    ]


def test_handler_firing_its_own_event_recursively():
    engine = Engine(lambda e, b: None)
    engine.register_events("rec")
    depth = []
    calls = []

    def recursive():
        depth.append(1)
        calls.append(("a", len(depth)))
        if len(depth) < 3:
            engine.fire_event("rec")
        depth.pop()

    engine.add_event_handler("rec", recursive)
    engine.add_event_handler("rec", lambda: calls.append(("b", len(depth))))
    engine.fire_event("rec")
    assert calls == [("a", 1), ("a", 2), ("a", 3), ("b", 2), ("b", 1), ("b", 0)]


def test_removal_in_nested_dispatch_is_seen_by_the_outer_dispatch():
    engine = Engine(lambda e, b: None)
    engine.register_events("rec")
    calls = []
    state = {"depth": 0}

    def outer():
        calls.append(("outer", state["depth"]))
        if state["depth"] == 0:
            state["depth"] += 1
            engine.fire_event("rec")
            state["depth"] -= 1

    def victim():
        calls.append(("victim", state["depth"]))
        engine.remove_event_handler(victim, "rec")

    engine.add_event_handler("rec", outer)
    engine.add_event_handler("rec", victim)
    engine.fire_event("rec")
    # the nested dispatch removed victim: the outer dispatch does not call it again
    assert calls == [("outer", 0), ("outer", 1), ("victim", 1)]


def test_terminate_and_interrupt_from_nested_custom_event():
    engine = Engine(lambda e, b: e.fire_event("custom"))
    engine.register_events("custom")
    engine.add_event_handler("custom", lambda e: e.interrupt() if e.state.iteration == 2 else None)
    engine.add_event_handler("custom", lambda e: e.terminate() if e.state.iteration == 3 else None)
    state = engine.run([0] * 5, max_epochs=2)
    assert state.iteration == 2
    state = engine.run([0] * 5)
    assert state.iteration == 3
    assert engine.should_terminate


def test_running_another_engine_inside_a_handler():
    evaluator_batches = []
    evaluator = Engine(lambda e, b: evaluator_batches.append(b) or b * 2)
    small_evaluator = Engine(lambda e, b: evaluator_batches.append(b) or b * 2)
    evaluator_runs = []
    for ev in (evaluator, small_evaluator):
        ev.add_event_handler(Events.COMPLETED,
                             lambda e: evaluator_runs.append((e.state.iteration, e.state.output)))
    trainer = Engine(lambda e, b: b)
    trainer_seen = []

    @trainer.on(Events.EPOCH_COMPLETED)
    def evaluate(engine):
        state = evaluator.run([10, 20, 30])
        trainer_seen.append((engine.state.epoch, engine.state.iteration, state.iteration))
        assert engine.state is not state

    @trainer.on(Events.ITERATION_COMPLETED(every=2))
    def evaluate_small(engine):
        small_evaluator.run([1], max_epochs=2)

    trainer.run([1, 2, 3, 4], max_epochs=2)
    assert trainer.state.iteration == 8 and trainer.state.epoch == 2
    assert trainer_seen == [(1, 4, 3), (2, 8, 3)]
    assert evaluator_runs[-1] == (3, 60)
    assert len(evaluator_runs) == 6  # 4 small runs + 2 full ones
    assert evaluator_batches.count(1) == 8


def test_nested_engine_exception_propagates_through_outer():
    inner = Engine(lambda e, b: 1 / 0)
    outer = Engine(lambda e, b: b)
    outer.add_event_handler(Events.EPOCH_COMPLETED, lambda: inner.run([0]))
    with pytest.raises(ZeroDivisionError):
        outer.run([1, 2])
    assert outer.state.epoch == 1


def test_nested_engine_of_the_same_process_function():
    calls = []

    def step(engine, batch):
        calls.append((id(engine), batch))
        return batch

    a = Engine(step)
    b = Engine(step)
    a.add_event_handler(Events.ITERATION_COMPLETED, lambda: b.run([batch * 10 for batch in (1,)]))
    a.run([1, 2])
    assert [c[1] for c in calls] == [1, 10, 2, 10]


@pytest.mark.parametrize("event", [Events.STARTED, Events.ITERATION_COMPLETED,
                                   Events.EPOCH_COMPLETED, Events.COMPLETED])
def test_run_on_the_same_engine_from_its_handler_raises(event):
    engine = Engine(lambda e, b: None)

    @engine.on(event)
    def rerun(engine):
        engine.run([0, 0])

    with pytest.raises(RuntimeError, match="running"):
        engine.run([0, 0])
    # the engine is usable again afterwards
    engine.remove_event_handler(rerun, event)
    engine.state.max_epochs = None
    assert engine.run([0, 0, 0]).iteration == 3


def test_run_from_own_handler_is_given_to_exception_handlers():
    engine = Engine(lambda e, b: None)
    errors = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: e.run([0]))
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e, exc: errors.append(exc))
    engine.run([0, 0], max_epochs=2)
    assert errors and all(isinstance(e, RuntimeError) for e in errors)


def test_run_from_the_process_function_raises():
    engine = Engine(lambda e, b: e.run([0]))
    with pytest.raises(RuntimeError, match="running"):
        engine.run([0])


def test_replacing_state_while_running_raises():
    engine = Engine(lambda e, b: None)

    @engine.on(Events.STARTED)
    def replace(engine):
        engine.state = OX.State()

    with pytest.raises(RuntimeError, match="running"):
        engine.run([0])


def test_set_data_from_a_handler_takes_effect_at_the_next_batch():
    seen = []
    engine = Engine(lambda e, b: seen.append(b))

    @engine.on(Events.ITERATION_COMPLETED(once=2))
    def switch(engine):
        engine.set_data([7, 8, 9])
        assert engine.state.dataloader == [7, 8, 9]

    engine.run([1, 2, 3], max_epochs=2)
    # as ignite: the new iterator continues across the epoch boundary, then restarts
    assert seen == [1, 2, 7, 8, 9, 7]
