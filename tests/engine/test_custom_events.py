"""Custom events: EventEnum subclasses, string events, event_to_attr, fire_event."""

from __future__ import annotations

import pytest
from _parity import IG, LIBS, OX, assert_same_trace, make_engine, run_logged
from oxignite.engine import CallableEventWithFilter


def backprop_events(lib):
    class BackpropEvents(lib.EventEnum):
        BACKWARD_STARTED = "backward_started"
        BACKWARD_COMPLETED = "backward_completed"
        OPTIM_STEP_COMPLETED = "optim_step_completed"

    return BackpropEvents


def test_event_enum_members():
    events = backprop_events(OX)
    assert [e.name for e in events] == ["BACKWARD_STARTED", "BACKWARD_COMPLETED",
                                        "OPTIM_STEP_COMPLETED"]
    assert events.BACKWARD_STARTED.value == "backward_started"
    assert events.BACKWARD_STARTED == "BACKWARD_STARTED"
    assert events.BACKWARD_STARTED != events.BACKWARD_COMPLETED
    filtered = events.BACKWARD_COMPLETED(every=3)
    assert filtered == events.BACKWARD_COMPLETED and filtered.filter(None, 6)
    assert isinstance(events.BACKWARD_STARTED, OX.EventEnum)
    assert isinstance(events.BACKWARD_STARTED, CallableEventWithFilter)


def _custom_scenario(with_attr: bool, filters: dict):
    def scenario(lib, log):
        events = backprop_events(lib)

        def step(engine, batch):
            engine.fire_event(events.BACKWARD_STARTED)
            if with_attr:
                engine.state.backward_count += 1
            engine.fire_event(events.BACKWARD_COMPLETED)
            if batch % 2 == 0:
                if with_attr:
                    engine.state.optim_steps += 1
                engine.fire_event(events.OPTIM_STEP_COMPLETED)
            return batch

        engine = make_engine(lib, log, process=step)
        kwargs = {}
        if with_attr:
            kwargs["event_to_attr"] = {
                events.BACKWARD_STARTED: "backward_count",
                events.BACKWARD_COMPLETED: "backward_count",
                events.OPTIM_STEP_COMPLETED: "optim_steps",
            }
        engine.register_events(*events, **kwargs)
        if with_attr:
            log.append(("attrs", engine.state.backward_count, engine.state.optim_steps))

        for event in events:
            spec = filters.get(event.name)
            target = event if spec is None else event(**spec)

            def handler(engine, name=event.name):
                s = engine.state
                # (ignite keeps event_to_attr in a class-level dict shared by all engines,
                # so only look at the attribute where this scenario maps it)
                log.append((name, s.iteration, s.backward_count if with_attr else None))

            engine.add_event_handler(target, handler)
        run_logged(engine, log, [1, 2, 3, 4, 5, 6], max_epochs=2)
        if with_attr:
            log.append(("attrs", engine.state.backward_count, engine.state.optim_steps))

    return scenario


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"BACKWARD_COMPLETED": {"every": 2}},
        {"BACKWARD_STARTED": {"once": [1, 7]}, "OPTIM_STEP_COMPLETED": {"every": 2}},
        {"BACKWARD_COMPLETED": {"after": 3, "before": 9}, "OPTIM_STEP_COMPLETED": {"once": 5}},
        {"BACKWARD_STARTED": {"event_filter": lambda e, n: n % 5 == 0}},
    ],
    ids=["none", "every", "once", "before_after", "event_filter"],
)
def test_custom_events_with_event_to_attr_like_ignite(filters):
    log = assert_same_trace(_custom_scenario(True, filters))
    assert log[0] == ("attrs", 0, 0)
    assert log[-1] == ("attrs", 12, 6)


def test_custom_events_without_attr_like_ignite():
    log = assert_same_trace(_custom_scenario(False, {}))
    names = [entry[0] for entry in log]
    assert names.count("BACKWARD_STARTED") == 12
    assert names.count("OPTIM_STEP_COMPLETED") == 6


def test_event_to_attr_filter_counts_the_mapped_attribute():
    events = backprop_events(OX)
    seen = []

    def step(engine, batch):
        engine.state.backward_count += 3  # the counter need not follow the iteration
        engine.fire_event(events.BACKWARD_COMPLETED)

    engine = OX.Engine(step)
    engine.register_events(*events, event_to_attr={events.BACKWARD_COMPLETED: "backward_count"})
    engine.add_event_handler(events.BACKWARD_COMPLETED(every=2),
                             lambda e: seen.append(e.state.backward_count))
    engine.add_event_handler(events.BACKWARD_COMPLETED(once=9),
                             lambda e: seen.append(("once", e.state.backward_count)))
    engine.run([0] * 5)
    assert seen == [6, ("once", 9), 12]


def test_register_string_events_like_ignite():
    def scenario(lib, log):
        def step(engine, batch):
            engine.fire_event("custom")
            engine.state.custom_count += 1
            engine.fire_event("counted")
            return batch

        engine = make_engine(lib, log, process=step)
        engine.register_events("custom", "counted", event_to_attr={"counted": "custom_count"})
        log.append(("registered", engine.has_registered_events("custom"),
                    engine.has_registered_events("counted"), engine.has_registered_events("x")))
        engine.add_event_handler("custom", lambda e: log.append(("custom", e.state.iteration)))
        engine.add_event_handler("counted", lambda: log.append(("counted",)))
        run_logged(engine, log, [1, 2, 3], max_epochs=2)
        log.append(("count", engine.state.custom_count))

    log = assert_same_trace(scenario)
    assert log[0] == ("registered", True, True, False)
    assert log[-1] == ("count", 6)


def test_state_attribute_created_only_if_missing():
    engine = OX.Engine(lambda e, b: None)
    engine.state.my_counter = 41
    engine.register_events("evt", event_to_attr={"evt": "my_counter"})
    assert engine.state.my_counter == 41
    engine.register_events("evt2", event_to_attr={"evt2": "other_counter"})
    assert engine.state.other_counter == 0


def test_builtin_events_are_registered():
    engine = OX.Engine(lambda e, b: None)
    for event in OX.Events:
        assert engine.has_registered_events(event)
    assert engine.has_registered_events(OX.Events.ITERATION_COMPLETED(every=3))
    assert not engine.has_registered_events("nope")
    assert not engine.has_registered_events(backprop_events(OX).BACKWARD_STARTED)


def test_register_events_is_idempotent():
    events = backprop_events(OX)
    engine = OX.Engine(lambda e, b: engine.fire_event(events.BACKWARD_STARTED))
    engine.register_events(*events)
    engine.register_events(*events)
    calls = []
    engine.add_event_handler(events.BACKWARD_STARTED, lambda: calls.append(1))
    engine.run([0, 0])
    assert calls == [1, 1]


def test_event_to_attr_given_at_re_registration_enables_filters():
    events = backprop_events(OX)
    engine = OX.Engine(lambda e, b: None)
    engine.register_events(*events)
    with pytest.raises(ValueError, match="filter"):
        engine.add_event_handler(events.BACKWARD_STARTED(every=2), lambda: None)
    engine.register_events(events.BACKWARD_STARTED,
                           event_to_attr={events.BACKWARD_STARTED: "bw"})
    seen = []
    engine.add_event_handler(events.BACKWARD_STARTED(every=2), lambda e: seen.append(e.state.bw))
    for value in range(1, 6):
        engine.state.bw = value
        engine.fire_event(events.BACKWARD_STARTED)
    assert seen == [2, 4]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.name)
def test_fire_event_outside_a_run(lib):
    engine = lib.Engine(lambda e, b: None)
    calls = []
    engine.add_event_handler(lib.Events.EPOCH_COMPLETED, lambda e: calls.append(e))
    engine.fire_event(lib.Events.EPOCH_COMPLETED)
    assert calls == [engine]
    assert engine.last_event_name is None or engine.last_event_name == "EPOCH_COMPLETED"


def test_fire_event_sets_last_event_name():
    events = backprop_events(OX)
    names = []

    def step(engine, batch):
        engine.fire_event(events.BACKWARD_STARTED)
        names.append(engine.last_event_name)

    engine = OX.Engine(step)
    engine.register_events(*events)
    engine.run([0])
    assert names == [events.BACKWARD_STARTED]
    assert engine.last_event_name == OX.Events.COMPLETED


def test_fire_event_with_a_filtered_event_fires_the_base_event():
    engine = OX.Engine(lambda e, b: None)
    calls = []
    engine.add_event_handler(OX.Events.EPOCH_COMPLETED, lambda: calls.append(1))
    engine.fire_event(OX.Events.EPOCH_COMPLETED(every=2))
    assert calls == [1]


def test_private_fire_event_passes_arguments():
    def scenario(lib, log):
        engine = lib.Engine(lambda e, b: None)
        engine.register_events("custom")

        def takes_args(engine, *args, **kwargs):
            log.append(("takes_args", *args, kwargs.get("key")))

        engine.add_event_handler("custom", takes_args)
        engine._fire_event("custom", 1, 2, key="k")
        engine._fire_event("custom", 3, 4, key="j")
        log.append(("done",))

    log = assert_same_trace(scenario)
    assert log == [("takes_args", 1, 2, "k"), ("takes_args", 3, 4, "j"), ("done",)]


def test_private_fire_event_with_handler_args_after_event_args():
    engine = OX.Engine(lambda e, b: None)
    engine.register_events("custom")
    calls = []
    engine.add_event_handler("custom", lambda e, *args, **kw: calls.append((args, kw)), "y", k=1)
    engine._fire_event("custom", "x", j=2)
    assert calls == [(("x", "y"), {"k": 1, "j": 2})]
    if IG is not None:
        ig = IG.Engine(lambda e, b: None)
        ig.register_events("custom")
        ig_calls = []
        ig.add_event_handler("custom", lambda e, *args, **kw: ig_calls.append((args, kw)), "y",
                             k=1)
        ig._fire_event("custom", "x", j=2)
        assert calls == ig_calls


def test_unregistered_event_errors():
    events = backprop_events(OX)
    engine = OX.Engine(lambda e, b: None)
    with pytest.raises(ValueError, match="BACKWARD_STARTED|backward_started"):
        engine.add_event_handler(events.BACKWARD_STARTED, lambda: None)
    with pytest.raises(ValueError):
        engine.add_event_handler("not_registered", lambda: None)
    with pytest.raises(ValueError):
        engine.fire_event(events.BACKWARD_STARTED)
    with pytest.raises(ValueError):
        engine.fire_event("not_registered")
    with pytest.raises(ValueError):
        engine.remove_event_handler(lambda: None, events.BACKWARD_STARTED)
    assert not engine.has_event_handler(len, events.BACKWARD_STARTED)


def test_unregistered_event_from_process_function_propagates():
    events = backprop_events(OX)
    engine = OX.Engine(lambda e, b: e.fire_event(events.OPTIM_STEP_COMPLETED))
    with pytest.raises(ValueError):
        engine.run([0])


def test_register_events_bad_arguments():
    engine = OX.Engine(lambda e, b: None)
    with pytest.raises(TypeError, match="event_names"):
        engine.register_events(12)
    with pytest.raises(TypeError, match="event_names"):
        engine.register_events("ok", None)
    with pytest.raises(ValueError, match="event_to_attr"):
        engine.register_events("x", event_to_attr=[("x", "y")])


def test_allowed_events_and_event_handlers_introspection():
    events = backprop_events(OX)
    engine = OX.Engine(lambda e, b: None)
    engine.register_events(*events)
    for event in events:
        assert event in engine._allowed_events

    def h(engine, a, k=None):
        pass

    engine.add_event_handler(events.BACKWARD_STARTED, h, 1, k=2)
    rows = engine._event_handlers[events.BACKWARD_STARTED]
    assert len(rows) == 1
    # ignite's shape: a handler that takes the engine gets a weakref to it first
    assert rows[0][0] is h and rows[0][1][0]() is engine and rows[0][1][1:] == (1,)
    assert dict(rows[0][2]) == {"k": 2}


def test_custom_events_on_two_engines_are_independent():
    events = backprop_events(OX)
    a = OX.Engine(lambda e, b: e.fire_event(events.BACKWARD_STARTED))
    b = OX.Engine(lambda e, b: None)
    a.register_events(*events)
    assert not b.has_registered_events(events.BACKWARD_STARTED)
    calls = []
    a.add_event_handler(events.BACKWARD_STARTED, lambda: calls.append(1))
    a.run([0, 0])
    b.run([0, 0])
    assert calls == [1, 1]


def test_event_to_attr_is_per_engine():
    """(ignite keeps it in a class-level dict shared by all engines; oxignite does not)"""
    a = OX.Engine(lambda e, b: None)
    b = OX.Engine(lambda e, b: None)
    a.register_events("shared", event_to_attr={"shared": "shared_count"})
    b.register_events("shared")
    a.add_event_handler("shared", lambda: None)
    with pytest.raises(ValueError, match="filter"):
        b.add_event_handler(CallableEventWithFilter("shared", lambda e, n: True, "shared"),
                            lambda: None)
    assert not hasattr(b.state, "shared_count")
    assert a.state.shared_count == 0
    assert "shared" not in OX.State.event_to_attr
