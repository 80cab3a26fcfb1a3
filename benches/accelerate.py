"""An unchanged ignite training stack: pytorch-ignite vs ``python -m oxignite.accelerate``
(the default, and ``--engine-only``) vs the same code importing ``oxignite``.

    python benches/accelerate.py [--repeat R] [--iters N] [--clock wall|cpu]
    OXIGNITE_BENCH_QUICK=1 python benches/accelerate.py     # smoke run, seconds

The typical stack (issue 29): a trainer whose step returns a ready loss (a float, as
``create_supervised_trainer``'s ``loss.item()``), RunningAverage of the loss, a ProgressBar
showing it, TerminateOnNan, Timer(average=True) on the iterations, and an evaluator run at
each epoch's end (8 batches of ready ``(y_pred, y)`` tensors) with Accuracy and Loss. A second
measurement is the engine alone (no handlers). Four sides, each in fresh interpreters,
round-robin so that a slow patch of a busy machine hits every side:

- ``ignite``: plain ``python``, pytorch-ignite's code throughout;
- ``accelerate``: ``python -m oxignite.accelerate``: every ignite module oxignite has is
  oxignite's;
- ``engine-only``: ``python -m oxignite.accelerate --engine-only``: ignite's handlers and
  metrics on oxignite's engine;
- ``oxignite``: plain ``python``, the same code with ``import oxignite...`` instead.

The bare loop does the same work by hand (the step, and the evaluation's argmax/compare and
loss on each batch); each side's overhead is its time minus the bare loop's, in µs per
trainer iteration (medians of the repeats). Every side must end with the same metrics (the
script exits non-zero otherwise). ``--clock cpu`` times with ``time.thread_time`` (the
measuring thread's CPU time), steadier than the wall clock on a busy machine. Nothing here
asserts on timings.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time

QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"
# side -> (the interpreter's prefix, the package the script imports)
SIDES = {
    "ignite": ([], "ignite"),
    "accelerate": (["-m", "oxignite.accelerate"], "ignite"),
    "engine-only": (["-m", "oxignite.accelerate", "--engine-only"], "ignite"),
    "oxignite": ([], "oxignite"),
}
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
EPOCH_LENGTH = 500
EVAL_BATCHES = 8


def worker(iters: int, package: str, clock_name: str) -> dict:
    """Runs in the measured interpreter: µs per trainer iteration for each measurement."""
    import torch
    from torch import nn

    def load(name: str):
        return importlib.import_module(f"{package}.{name}")

    engine, handlers, metrics = load("engine"), load("handlers"), load("metrics")
    Engine, Events = engine.Engine, engine.Events

    torch.manual_seed(0)
    torch.set_num_threads(1)
    loss = 0.25
    batches = list(range(EPOCH_LENGTH))
    epochs = max(1, iters // EPOCH_LENGTH)
    eval_data = [(torch.randn(64, 10), torch.randint(0, 10, (64,))) for _ in range(EVAL_BATCHES)]
    criterion = nn.CrossEntropyLoss()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - the bars' stream, for the whole run

    def step(engine, batch):
        return loss

    def typical() -> tuple:
        trainer = Engine(step)
        metrics.RunningAverage(output_transform=lambda out: out).attach(trainer, "loss")
        handlers.ProgressBar(file=devnull).attach(trainer, metric_names=["loss"])
        trainer.add_event_handler(Events.ITERATION_COMPLETED, handlers.TerminateOnNan())
        timer = handlers.Timer(average=True)
        timer.attach(trainer, step=Events.ITERATION_COMPLETED)
        evaluator = Engine(lambda engine, batch: batch)
        metrics.Accuracy().attach(evaluator, "accuracy")
        metrics.Loss(criterion).attach(evaluator, "loss")
        trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(eval_data))
        return trainer, evaluator

    clock = CLOCKS[clock_name]

    def timed(run) -> float:
        start = clock()
        run()
        return (clock() - start) / (epochs * EPOCH_LENGTH) * 1e6

    def bare() -> None:
        for _ in range(epochs):
            for batch in batches:
                step(None, batch)
            for y_pred, y in eval_data:
                (y_pred.argmax(dim=1) == y).sum().item()
                criterion(y_pred, y).item()

    results: dict = {}
    alone = Engine(step)
    results["engine alone"] = timed(lambda: alone.run(batches, max_epochs=epochs))
    trainer, evaluator = typical()
    results["typical stack"] = timed(lambda: trainer.run(batches, max_epochs=epochs))
    results["bare loop"] = timed(bare)
    results["observed"] = [
        trainer.state.iteration, trainer.state.metrics["loss"],
        round(evaluator.state.metrics["accuracy"], 12), round(evaluator.state.metrics["loss"], 6),
        type(trainer).__module__,
    ]
    return results


def measure(side: str, iters: int, clock: str) -> dict:
    prefix, package = SIDES[side]
    env = {k: v for k, v in os.environ.items() if k != "OXIGNITE_ACCELERATE"}
    out = subprocess.run(
        [sys.executable, *prefix, __file__, "--worker", package, "--iters", str(iters),
         "--clock", clock],
        capture_output=True, text=True, check=True, env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 5)
    parser.add_argument("--iters", type=int, default=1000 if QUICK else 20000)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--worker", choices=("ignite", "oxignite"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat < 1 or args.iters < 1:
        parser.error("--repeat and --iters must be positive")
    if args.worker:
        print(json.dumps(worker(args.iters, args.worker, args.clock)))
        return
    runs: dict = {side: [] for side in SIDES}
    order = list(SIDES)
    for r in range(args.repeat):
        for side in order[r % len(order):] + order[: r % len(order)]:
            runs[side].append(measure(side, args.iters, args.clock))
    observed = {side: [o for o in rs[0]["observed"][:-1]] for side, rs in runs.items()}
    if len({json.dumps(o) for o in observed.values()}) != 1:
        sys.exit(f"the sides observed different results: {observed}")
    median = {side: {key: statistics.median(run[key] for run in rs)
                     for key in ("engine alone", "typical stack", "bare loop")}
              for side, rs in runs.items()}
    bare = statistics.median(m["bare loop"] for m in median.values())
    print(f"µs per trainer iteration ({args.clock} clock), medians of {args.repeat} runs of "
          f"each side ({args.iters} iterations; bare loop {bare:.2f} µs)\n")
    print("| measurement | " + " | ".join(f"{side} overhead" for side in SIDES)
          + " | ignite / accelerate | accelerate / oxignite |")
    print("|---|" + "--:|" * (len(SIDES) + 2))
    for key in ("engine alone", "typical stack"):
        base = 0.0 if key == "engine alone" else bare  # the alone step is a return
        over = {side: median[side][key] - base for side in SIDES}
        cells = " | ".join(f"{over[side]:.2f}" for side in SIDES)
        print(f"| {key} | {cells} | {_ratio(over['ignite'], over['accelerate'])} "
              f"| {_ratio(over['accelerate'], over['oxignite'])} |")


def _ratio(a: float, b: float) -> str:
    # An overhead at or below zero is the machine's noise, not a measurement.
    return f"{a / b:.2f}x" if min(a, b) > 0 else "noise"


if __name__ == "__main__":
    main()
