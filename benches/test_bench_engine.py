"""pytest-benchmark suite over the scenarios of ``scenarios.py``.

    pytest benches                                               # timings
    OXIGNITE_BENCH_QUICK=1 pytest benches --benchmark-disable    # CI: behaviour only

One benchmark is one epoch of 1,000 iterations (300 when quick) (scenario 8: one construction + 1-iteration
run). Each test also checks that the engine called handlers as often, and ran as many
iterations, as the bare Python loop doing the same work; no test asserts on timings.
"""

from __future__ import annotations

import functools

import pytest
from scenarios import SCENARIOS, runner


@functools.cache
def bare_count(key: str) -> tuple[int, int]:
    scenario = next(s for s in SCENARIOS if s.key == key)
    return runner(scenario, "bare")(1)


@pytest.mark.parametrize("engine", ["bare", "ignite", "oxignite"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_engine(benchmark, scenario, engine):
    benchmark.group = scenario.title
    count = benchmark(runner(scenario, engine), 1)
    assert count == bare_count(scenario.key)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_handler_calls_match(scenario):
    """Over several epochs, so that per-epoch state (once=k, evaluator runs) is exercised."""
    units = 1 if scenario.slowdown > 1 else 3
    counts = [runner(scenario, engine)(units) for engine in ("bare", "ignite", "oxignite")]
    assert counts[0] == counts[1] == counts[2]
    assert counts[0][1] == units * scenario.iters_per_unit


def test_profiler_bench_runs():
    """benches/profiler.py in miniature: every configuration makes the same handler calls
    (measure() asserts it) and gives a time; no assertion on the times themselves."""
    import profiler

    result = profiler.measure(iters=50, repeat=1, handlers=3)
    assert {profile for _, profile in result} == set(profiler.PROFILERS)
    assert all(ns > 0 for ns in result.values())
