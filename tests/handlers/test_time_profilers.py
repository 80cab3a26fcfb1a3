"""BasicTimeProfiler and HandlersTimeProfiler on the core's timing, against ignite's."""

from __future__ import annotations

import csv
import re
import time

import pytest
from oxignite import profiling
from oxignite._core import SPAN_KINDS
from oxignite.engine import Engine, Events
from oxignite.handlers import BasicTimeProfiler, HandlersTimeProfiler

ignite_engine = pytest.importorskip("ignite.engine")
ignite_profilers = pytest.importorskip("ignite.handlers.time_profilers")
IG_BASIC = ignite_profilers.BasicTimeProfiler
IG_HANDLERS = ignite_profilers.HandlersTimeProfiler


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def log_loss(engine):
    pass


def every_other(engine):
    pass


def on_epoch():
    pass


def build(engine_module, calls=None):
    calls = calls if calls is not None else []
    engine = engine_module.Engine(lambda e, b: calls.append("process") or b)
    events = engine_module.Events
    engine.add_event_handler(events.ITERATION_COMPLETED, log_loss)
    engine.add_event_handler(events.ITERATION_COMPLETED(every=2), every_other)
    engine.add_event_handler(events.EPOCH_COMPLETED, on_epoch)
    engine.add_event_handler(events.ITERATION_STARTED, lambda: calls.append("started"))
    return engine, calls


def run_both(ours_cls, theirs_cls, data=(1, 2, 3, 4, 5), max_epochs=3):
    ours, ours_calls = build(__import__("oxignite.engine", fromlist=["Engine"]))
    theirs, _ = build(ignite_engine)
    p, q = ours_cls(), theirs_cls()
    p.attach(ours)
    q.attach(theirs)
    ours.run(list(data), max_epochs=max_epochs)
    theirs.run(list(data), max_epochs=max_epochs)
    return p, q, ours, ours_calls


@pytest.mark.parametrize("cls", [BasicTimeProfiler, HandlersTimeProfiler])
def test_attach_refuses_what_is_not_an_engine_like_ignite(cls):
    with pytest.raises(TypeError, match="Argument engine should be"):
        cls().attach(object())


def test_basic_results_have_ignites_format():
    p, q, _, _ = run_both(BasicTimeProfiler, IG_BASIC)
    ours, theirs = p.get_results(), q.get_results()
    assert list(ours) == list(theirs)
    for key in ("processing_stats", "dataflow_stats"):
        assert list(ours[key]) == list(theirs[key]) == ["total", "min/index", "max/index",
                                                         "mean", "std"]
    assert list(ours["event_handlers_stats"]) == list(theirs["event_handlers_stats"])
    for name, stats in ours["event_handlers_stats"].items():
        if name != "total_time":
            assert list(stats) == list(theirs["event_handlers_stats"][name]), name
    assert ours["event_handlers_names"] == theirs["event_handlers_names"]
    # ignite's own printer reads our results, and ours prints the same layout
    ours_text = BasicTimeProfiler.print_results(ours)
    theirs_text = IG_BASIC.print_results(theirs)
    def skeleton(text):
        return [re.sub(r"\d+", "N", line) for line in text.splitlines()]

    assert skeleton(ours_text) == skeleton(theirs_text)
    IG_BASIC.print_results(ours)


def test_basic_results_count_the_run():
    p, _, engine, calls = run_both(BasicTimeProfiler, IG_BASIC)
    stats = profiling.stats(engine)
    assert stats["process"]["count"] == calls.count("process") == 15
    assert stats["events"]["ITERATION_STARTED"]["count"] == calls.count("started")
    results = p.get_results()
    assert results["processing_stats"]["total"] == pytest.approx(stats["process"]["total"])
    totals = [v["total"] for k, v in results["event_handlers_stats"].items() if k != "total_time"]
    total_time = results["event_handlers_stats"]["total_time"]
    assert total_time.item() == pytest.approx(sum(totals), rel=1e-6)


def test_basic_total_time_is_a_tensor_like_ignites():
    p, q, _, _ = run_both(BasicTimeProfiler, IG_BASIC)
    ours = p.get_results()["event_handlers_stats"]["total_time"]
    theirs = q.get_results()["event_handlers_stats"]["total_time"]
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype and ours.dim() == 0


def test_basic_write_results_has_ignites_columns(tmp_path):
    pytest.importorskip("pandas")
    p, q, _, _ = run_both(BasicTimeProfiler, IG_BASIC)
    p.write_results(tmp_path / "ours.csv")
    q.write_results(tmp_path / "theirs.csv")
    ours, theirs = read_csv(tmp_path / "ours.csv"), read_csv(tmp_path / "theirs.csv")
    assert ours[0] == theirs[0]
    assert len(ours) == len(theirs) == 16
    assert [row[:2] for row in ours[1:]] == [row[:2] for row in theirs[1:]]
    assert all(float(row[2]) > 0 for row in ours[1:])  # every iteration's processing time


def test_handlers_results_have_ignites_rows():
    p, q, _, _ = run_both(HandlersTimeProfiler, IG_HANDLERS)
    ours, theirs = p.get_results(), q.get_results()
    assert [row[:2] for row in ours] == [row[:2] for row in theirs]
    assert [len(row) for row in ours] == [len(row) for row in theirs]
    # (ignite drops calls of filtered handlers under 0.1 ms, so its rows for them vary)
    for row in ours[:-3] + ours[-2:]:
        total, low, high, mean, std = row[2:]
        assert isinstance(total, float) or total == "not triggered"
        assert isinstance(low, tuple) and isinstance(high, tuple) and len(low) == len(high) == 2
        assert isinstance(mean, float) or mean == "None"
        assert isinstance(std, float) or std == "None"
    IG_HANDLERS.print_results([list(r) for r in ours])
    HandlersTimeProfiler.print_results(ours)


def test_handlers_results_count_every_call(tmp_path):
    p, _, engine, _ = run_both(HandlersTimeProfiler, IG_HANDLERS)
    stats = profiling.stats(engine)
    by_name = {name.rsplit(".", 1)[-1]: s for (_, name), s in stats["handlers"].items()}
    assert by_name["log_loss"]["count"] == 15
    assert by_name["every_other"]["count"] == 7  # the filter is applied natively
    assert by_name["on_epoch"]["count"] == 3
    p.write_results(tmp_path / "h.csv")
    rows = read_csv(tmp_path / "h.csv")
    header = rows[0]
    column = header.index("every_other (ITERATION_COMPLETED)")
    assert sum(float(r[column]) > 0 for r in rows[1:]) == 7
    assert sum(float(r[header.index("processing_stats")]) > 0 for r in rows[1:]) == 15


def test_dataflow_counts_one_fetch_per_batch_like_ignite(tmp_path):
    """The fetch that finds a pass's data exhausted (and restarts it) is not a batch: the
    dataflow times hold one fetch per iteration, as ignite's profilers' do."""
    pytest.importorskip("pandas")  # ignite's write_results needs it
    p, q, engine, _ = run_both(HandlersTimeProfiler, IG_HANDLERS, data=(1, 2), max_epochs=3)
    fetch = SPAN_KINDS.index("fetch")
    assert sum(1 for span in engine._core.profile_spans() if span[0] == fetch) == 6
    p.write_results(tmp_path / "ours.csv")
    q.write_results(tmp_path / "theirs.csv")
    assert len(read_csv(tmp_path / "ours.csv")) == len(read_csv(tmp_path / "theirs.csv")) == 7


def test_profiler_times_agree_with_the_wall_clock():
    # The core's clock and perf_counter: handler time fits in its event's time, which fits
    # in the run's (an ordering of measurements, not a speed target).
    engine, _ = build(__import__("oxignite.engine", fromlist=["Engine"]))
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda: sum(range(20_000)))
    profiler = HandlersTimeProfiler()
    profiler.attach(engine)
    t0 = time.perf_counter()
    engine.run([1, 2, 3], max_epochs=2)
    wall = time.perf_counter() - t0
    stats = profiling.stats(engine)
    epoch_handlers = sum(s["total"] for (e, _), s in stats["handlers"].items()
                         if e == "EPOCH_COMPLETED")
    assert 0 < epoch_handlers <= stats["events"]["EPOCH_COMPLETED"]["total"] <= wall
    total_row = next(r for r in profiler.get_results() if r[0] == "Total")
    assert total_row[2] <= round(wall, 5) + 1e-5


def test_profiling_on_and_off_give_the_same_training_results():
    def train(profile):
        engine = Engine(lambda e, b: e.state.iteration * b)
        outputs = []
        engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: outputs.append(e.state.output))
        if profile:
            BasicTimeProfiler().attach(engine)
            HandlersTimeProfiler().attach(engine)
        state = engine.run([1, 2, 3], max_epochs=3)
        return outputs, state.iteration, state.epoch

    assert train(True) == train(False)
