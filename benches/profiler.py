"""What profiling costs: the loop with a time profiler attached, against no profiler, for
oxignite (timing in the core) and pytorch-ignite (Python wrappers around every handler).

    python benches/profiler.py [--iters N] [--repeat R] [--handlers H]

Each configuration runs H handlers on ITERATION_COMPLETED (plain functions) over a list of
ints with ``process = lambda engine, batch: batch``, interleaved with the others in one
process; prints a markdown table of the median ns per iteration, the overhead over the same
engine without a profiler, and that overhead per handler call (the profiler also times the
process function, the data fetch and every event firing, so this is an upper bound).
``OXIGNITE_BENCH_QUICK=1`` runs a smoke version for CI; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable

QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"
PROFILERS = ("none", "BasicTimeProfiler", "HandlersTimeProfiler")


def build(lib: str, profiler: str, handlers: int, data: list) -> Callable[[], int]:
    """A runner: one run over ``data``; returns the handler calls it made."""
    engine_mod = importlib.import_module(f"{lib}.engine")
    engine = engine_mod.Engine(lambda engine, batch: batch)
    calls = [0]

    def handler(engine):
        calls[0] += 1

    for _ in range(handlers):
        engine.add_event_handler(engine_mod.Events.ITERATION_COMPLETED, handler)
    if profiler != "none":
        module = "ignite.handlers.time_profilers" if lib == "ignite" else "oxignite.handlers"
        getattr(importlib.import_module(module), profiler)().attach(engine)

    def run() -> int:
        calls[0] = 0
        engine.run(data, max_epochs=1)
        return calls[0]

    return run


def measure(iters: int, repeat: int, handlers: int) -> dict:
    data = list(range(iters))
    libs = ["oxignite"] + (["ignite"] if importlib.util.find_spec("ignite") else [])
    runners = {(lib, p): build(lib, p, handlers, data) for lib in libs for p in PROFILERS}
    for run in runners.values():
        assert run() == handlers * iters  # warm-up, and the same calls everywhere
    times: dict = {key: [] for key in runners}
    keys = list(runners)
    for r in range(repeat):
        for key in keys[r % len(keys):] + keys[: r % len(keys)]:
            gc.collect()
            gc.disable()
            start = time.perf_counter_ns()
            runners[key]()
            times[key].append((time.perf_counter_ns() - start) / iters)
            gc.enable()
    return {key: statistics.median(ts) for key, ts in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=200 if QUICK else 20_000)
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 7)
    parser.add_argument("--handlers", type=int, default=10)
    args = parser.parse_args()
    result = measure(args.iters, args.repeat, args.handlers)
    print(
        f"{args.handlers} handlers on ITERATION_COMPLETED, {args.iters} iterations, "
        f"median of {args.repeat}{' (quick)' if QUICK else ''}; ns per iteration\n"
    )
    print("| engine | profiler | ns/iteration | overhead | overhead per handler call |")
    print("|---|---|--:|--:|--:|")
    for (lib, profiler), ns in result.items():
        base = result[(lib, "none")]
        over = ns - base
        per_call = "—" if profiler == "none" else f"{over / args.handlers:,.0f}"
        overhead = "—" if profiler == "none" else f"{over:,.0f}"
        print(f"| {lib} | {profiler} | {ns:,.0f} | {overhead} | {per_call} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
