"""Event filters: every kind, compared with pytorch-ignite (fired counts and ``.filter``)."""

from __future__ import annotations

import pytest
from _parity import IG, LIBS, OX, assert_same_trace, make_engine, run_logged

FILTER_SPECS = [
    {"every": 1},
    {"every": 2},
    {"every": 3},
    {"every": 7},
    {"every": 100},
    {"once": 1},
    {"once": 5},
    {"once": 20},
    {"once": 21},
    {"once": [2, 3, 11]},
    {"once": [11, 3, 3, 2]},
    {"once": (4,)},
    {"before": 0},
    {"before": 1},
    {"before": 5},
    {"after": 0},
    {"after": 4},
    {"after": 100},
    {"before": 8, "after": 3},
    {"before": 3, "after": 8},
    {"before": 4, "after": 3},
    {"every": 2, "before": 10},
    {"every": 3, "after": 4},
    {"every": 2, "before": 15, "after": 3},
    {"every": 1, "before": 6},
    {"every": 1, "after": 6},
    {"every": 4, "before": 20, "after": 0},
]

FILTERED_EVENTS = [
    "ITERATION_STARTED",
    "ITERATION_COMPLETED",
    "GET_BATCH_STARTED",
    "GET_BATCH_COMPLETED",
    "EPOCH_STARTED",
    "EPOCH_COMPLETED",
    "STARTED",
    "COMPLETED",
]


def _spec_id(spec):
    return ",".join(f"{k}={v}" for k, v in spec.items())


@pytest.mark.parametrize("event_name", FILTERED_EVENTS)
@pytest.mark.parametrize("spec", FILTER_SPECS, ids=_spec_id)
def test_filtered_handler_fires_like_ignite(spec, event_name):
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)

        @engine.on(getattr(lib.Events, event_name)(**spec))
        def fired(engine):
            log.append((engine.state.epoch, engine.state.iteration))

        run_logged(engine, log, list(range(5)), max_epochs=4)

    log = assert_same_trace(scenario)
    fired_at = log[:-1]
    if event_name in ("ITERATION_COMPLETED", "ITERATION_STARTED"):
        counts = [iteration for _, iteration in fired_at]
        values = range(1, 21)
    elif event_name in ("EPOCH_COMPLETED", "EPOCH_STARTED"):
        counts = [epoch for epoch, _ in fired_at]
        values = range(1, 5)
    else:
        return
    # the direct definition of each filter kind
    every = spec.get("every", 1)
    once = spec.get("once")
    before = spec.get("before", float("inf"))
    after = spec.get("after", 0)
    if once is not None:
        once = [once] if isinstance(once, int) else once
        expected = [n for n in values if n in once]
    elif "before" not in spec and "after" not in spec:
        expected = [n for n in values if n % every == 0]
    else:
        expected = [n for n in values if after < n < before and (n - after - 1) % every == 0]
    assert counts == expected


EVENT_FILTERS = [
    lambda engine, n: n % 4 == 1,
    lambda engine, n: n in (2, 3),
    lambda engine, n: engine.state.iteration > 12,
    lambda engine, n: False,
]


@pytest.mark.parametrize("index", range(len(EVENT_FILTERS)))
@pytest.mark.parametrize("event_name", ["ITERATION_COMPLETED", "EPOCH_COMPLETED"])
def test_event_filter_callable_like_ignite(index, event_name):
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        event = getattr(lib.Events, event_name)(event_filter=EVENT_FILTERS[index])
        engine.add_event_handler(event, lambda e: log.append((e.state.epoch, e.state.iteration)))
        run_logged(engine, log, list(range(5)), max_epochs=4)

    assert_same_trace(scenario)


def test_event_filter_receives_engine_and_the_event_counter():
    calls = []

    def event_filter(engine, event):
        calls.append((engine, event, engine.state.epoch, engine.state.iteration))
        return True

    engine = OX.Engine(lambda e, b: b)
    engine.add_event_handler(OX.Events.EPOCH_COMPLETED(event_filter=event_filter), lambda: None)
    engine.add_event_handler(OX.Events.ITERATION_STARTED(event_filter=event_filter), lambda: None)
    engine.run([1, 2], max_epochs=2)
    assert all(c[0] is engine for c in calls)
    assert [c[1:] for c in calls] == [
        (1, 1, 1), (2, 1, 2), (1, 1, 2), (3, 2, 3), (4, 2, 4), (2, 2, 4)
    ]


def test_event_filter_exception_propagates():
    def bad_filter(engine, n):
        raise KeyError("filter")

    engine = OX.Engine(lambda e, b: b)
    engine.add_event_handler(OX.Events.ITERATION_COMPLETED(event_filter=bad_filter), lambda: None)
    with pytest.raises(KeyError, match="filter"):
        engine.run([1, 2])


@pytest.mark.parametrize(
    "build",
    [
        lambda E: E.STARTED | E.COMPLETED,
        lambda E: E.EPOCH_STARTED(once=2) | E.EPOCH_COMPLETED(every=2) | E.COMPLETED,
        lambda E: E.ITERATION_COMPLETED(every=3) | E.ITERATION_COMPLETED(once=4),
        lambda E: E.ITERATION_STARTED(before=3) | E.ITERATION_COMPLETED(after=7),
        lambda E: E.GET_BATCH_STARTED(event_filter=lambda e, n: n == 6) | E.EPOCH_COMPLETED,
    ],
)
def test_events_list_like_ignite(build):
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        events = build(lib.Events)
        assert len(events) >= 2

        @engine.on(events)
        def fired(engine):
            s = engine.state
            log.append((engine.last_event_name.name, s.epoch, s.iteration))

        run_logged(engine, log, list(range(3)), max_epochs=3)

    assert_same_trace(scenario)


def test_events_list_handle_removes_all():
    engine = OX.Engine(lambda e, b: b)
    calls = []
    handle = engine.add_event_handler(
        OX.Events.STARTED | OX.Events.EPOCH_COMPLETED(every=2), lambda: calls.append(1)
    )
    engine.run([0], max_epochs=4)
    assert len(calls) == 3
    handle.remove()
    engine.run([0], max_epochs=4)
    assert len(calls) == 3
    assert not engine._event_handlers


def test_events_list_rejects_non_events():
    with pytest.raises(TypeError, match="event"):
        _ = OX.Events.STARTED | "completed"
    events = OX.Events.STARTED | OX.Events.COMPLETED
    assert [e.name for e in events] == ["STARTED", "COMPLETED"]
    assert events[1] == OX.Events.COMPLETED
    assert "Events.STARTED" in repr(events)


@pytest.mark.parametrize("spec", FILTER_SPECS, ids=_spec_id)
def test_filter_callable_matches_ignite(spec):
    ours = OX.Events.ITERATION_COMPLETED(**spec)
    ours_values = [n for n in range(40) if ours.filter is None or ours.filter(None, n)]
    if spec == {"every": 1}:
        assert ours.filter is None
    assert ours == OX.Events.ITERATION_COMPLETED
    assert ours.name == "ITERATION_COMPLETED" and ours.value == "iteration_completed"
    if IG is None:  # pragma: no cover
        return
    theirs = IG.Events.ITERATION_COMPLETED(**spec)
    theirs_values = [n for n in range(40) if theirs.filter is None or theirs.filter(None, n)]
    assert ours_values == theirs_values
    assert (ours.filter is None) == (theirs.filter is None)


def test_filter_callable_of_event_filter_is_the_callable():
    def f(engine, n):
        return n == 3

    event = OX.Events.EPOCH_COMPLETED(event_filter=f)
    assert event.filter is f
    assert event.filter(None, 3) and not event.filter(None, 4)


def test_every_one_is_no_filter():
    for lib in LIBS:
        assert lib.Events.ITERATION_COMPLETED(every=1).filter is None

    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=1), lambda: log.append(1))
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED, lambda: log.append(2))
        run_logged(engine, log, [0, 0, 0], max_epochs=2)

    log = assert_same_trace(scenario)
    assert log[:-1] == [1, 2] * 6


def test_filtered_event_is_a_new_object_and_the_base_stays_unfiltered():
    filtered = OX.Events.ITERATION_COMPLETED(every=2)
    assert filtered is not OX.Events.ITERATION_COMPLETED
    assert OX.Events.ITERATION_COMPLETED.filter is None
    assert hash(filtered) == hash(OX.Events.ITERATION_COMPLETED)
    assert filtered == "ITERATION_COMPLETED"
    assert "ITERATION_COMPLETED" in repr(filtered)


def test_same_handler_with_two_filters_fires_for_each():
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)

        def h(engine):
            log.append(engine.state.iteration)

        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=2), h)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=3), h)
        run_logged(engine, log, list(range(12)))

    log = assert_same_trace(scenario)
    assert log[:-1] == [2, 3, 4, 6, 6, 8, 9, 10, 12, 12]


def test_filters_count_state_counters_even_when_modified_by_handlers():
    """Filters read the counter at dispatch time (a handler moving it is seen)."""

    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)
        engine.add_event_handler(lib.Events.ITERATION_COMPLETED(every=5),
                                 lambda e: log.append(e.state.iteration))
        run_logged(engine, log, list(range(4)), max_epochs=5)

    log = assert_same_trace(scenario)
    assert log[:-1] == [5, 10, 15, 20]


# -- arguments and counts beyond 64 bits (issue 12): never wrapped ----------------------------

BIG = [2**63 - 1, 2**63, 2**64 - 1, 2**64 + 3, 2**200]
BIG_SPECS = (
    [{"before": v} for v in BIG]
    + [{"after": v} for v in BIG]
    + [{"every": v} for v in BIG]
    + [{"once": v} for v in BIG]
    + [{"once": [3, v]} for v in BIG]
    + [{"every": v, "after": 2} for v in BIG]
    + [{"every": 2, "before": v} for v in BIG]
    + [{"every": 2, "after": 1, "before": v} for v in BIG]
)


@pytest.mark.parametrize("event_name", ["ITERATION_COMPLETED", "EPOCH_COMPLETED", "STARTED"])
@pytest.mark.parametrize("spec", BIG_SPECS, ids=_spec_id)
def test_big_filter_arguments_fire_like_ignite(spec, event_name):
    # e.g. before=2**63 fires every time, after=2**63 never (they used to wrap).
    def scenario(lib, log):
        engine = make_engine(lib, log, record=False, process=lambda e, b: b)

        @engine.on(getattr(lib.Events, event_name)(**spec))
        def fired(engine):
            log.append((engine.state.epoch, engine.state.iteration))

        run_logged(engine, log, list(range(3)), max_epochs=3)

    log = assert_same_trace(scenario)
    if spec == {"before": 2**63} and event_name == "ITERATION_COMPLETED":
        assert len(log) == 10  # 9 firings and the final state


COUNTS = [0, 1, 3, 2**63 - 1, 2**63, 2**64, 3 * 2**70, 3 * 2**70 + 1, 2**100 + 2]


@pytest.mark.parametrize("spec", BIG_SPECS + FILTER_SPECS, ids=_spec_id)
def test_filter_callable_with_big_counts_matches_ignite(spec):
    ours = OX.Events.ITERATION_COMPLETED(**spec).filter
    answers = [ours is None or ours(None, n) for n in COUNTS]
    if IG is None:  # pragma: no cover
        return
    theirs = IG.Events.ITERATION_COMPLETED(**spec).filter
    assert answers == [theirs is None or theirs(None, n) for n in COUNTS]


def test_filter_repr_keeps_big_values():
    assert "2**64" not in repr(OX.Events.ITERATION_COMPLETED(before=2**64))
    assert str(2**64) in repr(OX.Events.ITERATION_COMPLETED(before=2**64))
    assert str(2**70) in repr(OX.Events.ITERATION_COMPLETED(once=[2**70, 3]))


@pytest.mark.parametrize("value", [2**63, 3 * 2**70, 2**100])
def test_custom_counter_beyond_64_bits_like_ignite(value):
    def scenario(lib, log):
        class Custom(lib.EventEnum):
            STEP = "step"

        def process(engine, batch):
            engine.state.steps = value + batch
            engine.fire_event(Custom.STEP)

        engine = lib.Engine(process)
        engine.register_events(*Custom, event_to_attr={Custom.STEP: "steps"})
        engine.add_event_handler(Custom.STEP(every=3), lambda e: log.append(e.state.steps))
        engine.add_event_handler(Custom.STEP(after=2**63), lambda e: log.append("after"))
        run_logged(engine, log, [0, 1, 2, 3])

    assert_same_trace(scenario)


def test_counts_beyond_128_bits_are_a_value_error_naming_them():
    class Custom(OX.EventEnum):
        STEP = "step"

    engine = OX.Engine(lambda e, b: e.fire_event(Custom.STEP))
    engine.register_events(*Custom, event_to_attr={Custom.STEP: "steps"})
    engine.add_event_handler(Custom.STEP(every=2), lambda e: None)
    engine.state.steps = 2**200
    with pytest.raises(ValueError, match="state.steps"):
        engine.run([0])
    with pytest.raises(ValueError, match="event"):
        OX.Events.ITERATION_COMPLETED(every=2).filter(None, 2**200)
