"""Bare Python vs pytorch-ignite vs oxignite on the scenarios of ``scenarios.py``.

    python benches/compare.py [--iters N] [--repeat R]

Runs every scenario on the three, interleaved, in one process; prints a markdown table of the
median time per iteration (per construction + 1-iteration run for scenario 8), the overhead
over bare Python, and the targets. Then the real-loop rows of ``handlers.py`` (built-in
handlers, hand-written loop vs ignite vs oxignite; ``--skip-handlers`` leaves them out).
Exits non-zero if the engines' handler call counts differ from each other or from the bare
loop, or if the real loops observe different values. ``OXIGNITE_BENCH_QUICK=1`` runs a smoke
version (one repeat, about one epoch per scenario) for CI; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenarios import SCENARIOS, Scenario, runner

ENGINES = ("bare", "ignite", "oxignite")
QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"
CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}


def units_for(scenario: Scenario, iters: int) -> int:
    return max(1, iters // (scenario.iters_per_unit * scenario.slowdown))


def measure(scenario: Scenario, iters: int, repeat: int, clock) -> tuple[dict, dict]:
    """Medians and spread of the ns per iteration, and the (handler calls, iterations) seen."""
    units = units_for(scenario, iters)
    runners = {engine: runner(scenario, engine) for engine in ENGINES}
    if not QUICK:
        for run in runners.values():
            run(1)  # warm-up
    times: dict = {engine: [] for engine in ENGINES}
    counts: dict = {}
    for r in range(repeat):
        for engine in ENGINES[r % 3 :] + ENGINES[: r % 3]:  # rotate the order between repeats
            gc.collect()
            gc.disable()
            start = clock()
            count = runners[engine](units)
            elapsed = clock() - start
            gc.enable()
            times[engine].append(elapsed / (units * scenario.iters_per_unit))
            counts.setdefault(engine, set()).add(count)
    result = {engine: statistics.median(ts) for engine, ts in times.items()}
    # Paired by repeat, so that a slow patch of a busy machine hits both sides of the ratio.
    result["ox/bare"] = statistics.median(
        ox / bare for ox, bare in zip(times["oxignite"], times["bare"])
    )
    result["spread"] = max((max(ts) - min(ts)) / statistics.median(ts) for ts in times.values())
    return result, counts


def check(ok: bool, text: str) -> str:
    return f"{text}: {'pass' if ok else '**MISS**'}"


def target(key: str, res: dict) -> str:
    """The issue's target for a scenario, checked against the measured medians ``res``."""
    if QUICK:
        return "not judged in quick mode"
    t = res[key]
    ox_over, ig_over = t["oxignite"] - t["bare"], t["ignite"] - t["bare"]
    if key in ("no_handlers", "every", "once"):
        ok = ox_over <= 150 and ig_over >= 50 * max(ox_over, 0)
        return check(ok, "ox overhead <= 150 ns and >= 50x less than ignite")
    if key == "filter":
        limit = t["bare"] - res["no_handlers"]["bare"] + 100
        return check(ox_over <= limit, f"ox overhead <= filter calls + 100 = {limit:.0f} ns")
    if key == "four_events":
        base = res["no_handlers"]
        engine_cost = (t["oxignite"] - base["oxignite"]) / 4
        direct_cost = (t["bare"] - base["bare"]) / 4
        return check(
            engine_cost <= 1.5 * direct_cost,
            f"per handler {engine_cost:.0f} ns <= 1.5 x direct call {direct_cost:.0f} ns",
        )
    if key == "torch":
        ratio = t["ox/bare"]
        return check(ratio <= 1.02, f"ox / bare = {ratio:.3f} (paired median) <= 1.02")
    if key == "construct":
        return check(t["oxignite"] <= 20_000, "ox <= 20 us")
    return "-"


def machine() -> str:
    import ignite
    import torch

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now} | {cpu}, {os.cpu_count()} cores | Python {platform.python_version()} | "
        f"torch {torch.__version__} | pytorch-ignite {ignite.__version__}"
    )


def load_handlers_bench():
    """``handlers.py`` of this folder, under a name no test package can shadow."""
    name = "oxignite_bench_handlers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).resolve().with_name("handlers.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
    return sys.modules[name]


def handler_tables(repeat: int, clock_name: str, records: dict | None = None) -> list:
    """Print the real-loop tables of ``handlers.py``; return what the loops saw differently.

    ``records``, when given, receives their figures under "stacks" and "metrics" (``--json``).
    """
    bench = load_handlers_bench()
    clock = bench.CLOCKS[clock_name]
    iters, epochs = (100, 1) if QUICK else (1000, 3)
    print(
        f"\nReal training loops (benches/handlers.py): {iters} iterations x {epochs} epochs, "
        "median µs per iteration\n"
    )
    stacks, metrics = ([], []) if records is None else (records["stacks"], records["metrics"])
    _, problems = bench.handler_rows(iters, epochs, repeat, clock, records=stacks)  # prints rows
    print()
    rows, more = bench.metric_rows(50 if QUICK else 400, repeat, clock, metrics)
    print("\n".join(rows))
    return problems + more


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=300 if QUICK else 100_000)
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 5)
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default="wall",
        help="wall: perf_counter; cpu: this thread's CPU time, steadier on a busy machine",
    )
    parser.add_argument(
        "--skip-handlers", action="store_true", help="leave out the real-loop rows (handlers.py)"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures to PATH (read by scripts/charts.py)"
    )
    args = parser.parse_args()

    print(machine())
    if QUICK:
        print(
            "\nSMOKE RUN (OXIGNITE_BENCH_QUICK=1): one short repeat, to check that every scenario"
            " runs and that the engines do the same work. Its timings are not measurements"
            " (no spread can be computed from one repeat; the machine may be busy): for figures,"
            " run `python benches/compare.py --repeat 7` on a quiet machine."
        )
    print(
        f"\n--iters {args.iters} --repeat {args.repeat} --clock {args.clock}"
        f"{' (quick)' if QUICK else ''}; "
        "median ns per iteration (scenario 8: us per construction + 1-iteration run)\n"
    )
    results, counts = {}, {}
    for scenario in SCENARIOS:
        results[scenario.key], counts[scenario.key] = measure(
            scenario, args.iters, args.repeat, CLOCKS[args.clock]
        )

    print(
        "| scenario | bare | ignite | oxignite | ignite overhead | oxignite overhead "
        "| ignite/oxignite overhead | spread | calls match | target |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|---|---|")
    mismatches, scenario_records = [], []
    for scenario in SCENARIOS:
        t, c = results[scenario.key], counts[scenario.key]
        scale = 1000 if scenario.key == "construct" else 1  # ns -> us
        bare, ig, ox = (t[engine] / scale for engine in ENGINES)
        ratio = f"{(ig - bare) / (ox - bare):,.1f}x" if ox > bare and ig > bare else "n/a"
        match = len(c["bare"]) == 1 and c["bare"] == c["ignite"] == c["oxignite"]
        if not match:
            mismatches.append(f"{scenario.title}: {c}")
        calls = f"yes ({next(iter(c['bare']))[0]:,})" if match else "**NO**"
        spread = "n/a (1 repeat)" if args.repeat < 2 else f"{t['spread']:.0%}"
        print(
            f"| {scenario.title} | {bare:,.1f} | {ig:,.1f} | {ox:,.1f} | {ig - bare:,.1f} "
            f"| {ox - bare:,.1f} | {ratio} | {spread} | {calls} | {target(scenario.key, results)} |"
        )
        scenario_records.append({
            "key": scenario.key,
            "title": scenario.title,
            "unit": "us" if scale == 1000 else "ns",
            **dict(zip(ENGINES, (bare, ig, ox))),
            "spread": t["spread"] if args.repeat > 1 else None,
            "calls_match": match,
        })
    handlers = {"stacks": [], "metrics": []}
    if not args.skip_handlers:
        mismatches += handler_tables(args.repeat, args.clock, handlers)
    if args.json:
        bench = load_handlers_bench()
        bench.write_json(args.json, {
            "bench": "compare",
            "machine": bench.machine_info(),
            "args": {**vars(args), "quick": QUICK},
            "unit": "per iteration, median: scenarios in their unit, handlers in us",
            "scenarios": scenario_records,
            **handlers,
            "mismatches": mismatches,
        })
    for line in mismatches:
        print(f"\nhandler calls / iterations / values differ: {line}", file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
