"""oxignite.profiling: the core's spans, the Chrome trace and the timeline picture."""

from __future__ import annotations

import json

import pytest
from oxignite import profiling
from oxignite.engine import Engine, Events


def _trainer_with_evaluator(trace_events: list):
    """A trainer that terminates, is interrupted, and runs an evaluator every epoch; every
    built-in event of both engines is also recorded by plain handlers into ``trace_events``."""
    evaluator = Engine(lambda e, b: b * 2)
    trainer = Engine(lambda e, b: b)
    for label, engine in (("trainer", trainer), ("evaluator", evaluator)):
        for event in Events:
            if event in (Events.EXCEPTION_RAISED, Events.TERMINATE_SINGLE_EPOCH):
                continue

            def record(_, label=label, name=event.name):
                trace_events.append((label, name))

            engine.add_event_handler(event, record)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([1, 2]))
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=5), lambda e: e.interrupt())
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=10), lambda e: e.terminate())
    return trainer, evaluator


def _run(trainer):
    trainer.run([1, 2, 3, 4], max_epochs=4)  # interrupted at iteration 5
    trainer.run()  # resumed, terminated at iteration 10


def _assert_nested(events: list) -> None:
    """Spans of one track either nest or are disjoint (allowing equal end points, within
    the clock's 1 ns resolution: microseconds are floats in the trace)."""
    spans = sorted(
        ((e["ts"], e["ts"] + e["dur"]) for e in events), key=lambda s: (s[0], -s[1])
    )
    stack: list = []
    for start, end in spans:
        while stack and stack[-1][1] <= start + 1e-3:
            stack.pop()
        if stack:
            assert end <= stack[-1][1] + 1e-3, f"span {start, end} overlaps {stack[-1]}"
        stack.append((start, end))


def test_the_trace_parses_nests_and_follows_the_engines_event_order(tmp_path):
    recorded: list = []
    trainer, evaluator = _trainer_with_evaluator(recorded)
    profiling.start(trainer)
    profiling.start(evaluator)
    _run(trainer)
    path = profiling.write_chrome_trace(tmp_path / "trace.json", {"trainer": trainer,
                                                                   "evaluator": evaluator})
    trace = json.loads(path.read_text())
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert sorted(names.values()) == ["evaluator", "trainer"]
    for tid in names:
        _assert_nested([e for e in events if e["tid"] == tid])
    # every handler call lies inside a firing of its own event, on its engine's track
    firings = [e for e in events if e["cat"] == "event"]
    for call in (e for e in events if e["cat"] == "handler"):
        assert any(
            f["tid"] == call["tid"] and f["name"] == call["args"]["event"]
            and f["ts"] <= call["ts"] + 1e-3
            and call["ts"] + call["dur"] <= f["ts"] + f["dur"] + 1e-3
            for f in firings
        )
    # the firings, in time order, are the engines' event order
    ordered = sorted(firings, key=lambda e: (e["ts"], -e["dur"]))
    fired = [(names[e["tid"]], e["name"]) for e in ordered]
    assert [f for f in fired if f[1] not in ("EXCEPTION_RAISED", "TERMINATE_SINGLE_EPOCH")] == (
        recorded
    )
    assert ("trainer", "INTERRUPT") in fired and ("trainer", "TERMINATE") in fired
    assert trace["otherData"]["dropped"] == {"trainer": 0, "evaluator": 0}


def test_spans_count_every_call():
    calls = []
    engine = Engine(lambda e, b: calls.append("process"))
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda: calls.append("h"))
    profiling.start(engine)
    engine.run(list(range(6)), max_epochs=2)
    spans = profiling.spans(engine)
    kinds = [s.kind for s in spans]
    assert kinds.count("process") == calls.count("process") == 12
    assert kinds.count("fetch") == 12  # batches only: not the probe that ends a data pass
    handler_spans = [s for s in spans if s.kind == "handler"]
    assert len(handler_spans) == calls.count("h") == 6
    assert {s.event for s in handler_spans} == {"ITERATION_COMPLETED"}
    assert [s.iteration for s in handler_spans] == [2, 4, 6, 8, 10, 12]
    stats = profiling.stats(engine)
    (key,) = stats["handlers"]
    assert key[0] == "ITERATION_COMPLETED" and key[1].endswith("<lambda>")
    assert stats["handlers"][key]["count"] == 6
    assert stats["events"]["ITERATION_COMPLETED"]["count"] == 12
    assert stats["process"]["count"] == 12 and stats["dropped"] == 0
    for s in spans:
        assert s.end >= s.start


def test_the_ring_buffer_keeps_the_newest_spans_and_counts_the_dropped():
    engine = Engine(lambda e, b: None)
    profiling.start(engine, capacity=10)
    engine.run(list(range(50)))
    spans = profiling.spans(engine)
    stats = profiling.stats(engine)
    assert len(spans) == 10 and spans[-1].name == "COMPLETED"
    assert stats["process"]["count"] == 50  # aggregates cover everything
    total = sum(s["count"] for s in stats["events"].values()) + 50 + stats["fetch"]["count"]
    assert stats["dropped"] == total - 10


def test_profiling_off_records_nothing_and_stop_keeps_what_was_recorded():
    engine = Engine(lambda e, b: None)
    engine.run([0, 0])
    assert profiling.spans(engine) == []
    profiling.start(engine)
    engine.run([0, 0])
    profiling.stop(engine)
    recorded = profiling.spans(engine)
    engine.run([0, 0])
    assert profiling.spans(engine) == recorded and recorded


def test_profiling_does_not_change_the_results():
    def train(profile: bool):
        engine = Engine(lambda e, b: e.state.iteration * b)
        totals = []
        engine.add_event_handler(Events.ITERATION_COMPLETED(every=3),
                                 lambda e: totals.append(e.state.output))
        engine.add_event_handler(Events.EPOCH_COMPLETED(once=2), lambda e: e.terminate())
        if profile:
            profiling.start(engine)
        state = engine.run([1, 2, 3, 4, 5], max_epochs=4)
        return totals, state.iteration, state.epoch, state.output

    assert train(True) == train(False)


@pytest.mark.parametrize("capacity", [-1, 1.5, True, "10"])
def test_bad_capacity_is_refused_naming_it(capacity):
    with pytest.raises(ValueError, match="capacity"):
        profiling.start(Engine(lambda e, b: None), capacity=capacity)


def test_the_timeline_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    trainer, evaluator = _trainer_with_evaluator([])
    profiling.start(trainer)
    profiling.start(evaluator)
    _run(trainer)
    path = profiling.draw_timeline(tmp_path / "timeline.png",
                                   {"trainer": trainer, "evaluator": evaluator})
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    part = profiling.draw_timeline(tmp_path / "part.png", [trainer], window=(0.0, 1e-4))
    assert part.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_timeline_needs_spans(tmp_path):
    with pytest.raises(ValueError, match="no spans"):
        profiling.draw_timeline(tmp_path / "x.png", [Engine(lambda e, b: None)])
