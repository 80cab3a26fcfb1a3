"""An unchanged ignite training script: plain pytorch-ignite vs ``python -m oxignite.accelerate``.

    python benches/accelerate.py [--repeat R] [--iters N]

The script is the one of ``tests/test_drop_in.py``: ``create_supervised_trainer``,
RunningAverage, TerminateOnNan, a Timer, a handler every 6 iterations and one per epoch,
all imported from ``ignite``. It runs in fresh interpreters, alternately plain (ignite's
engine) and under ``oxignite.accelerate`` (ignite's handlers on oxignite's engine). Three
measurements per run, in µs per iteration (medians over the repeats):

- ``engine alone, ready loss``: an Engine with no handlers and a process function that
  returns a precomputed loss (a float, as create_supervised_trainer's output): the engine's
  own cost;
- ``handlers, ready loss``: the trainer with all its handlers, but a process function that
  returns a precomputed loss: the engine's and the handlers' cost alone;
- ``script, real step``: the script's trainer as written (an MLP step on a DataLoader).

Both are also run as a bare Python loop (the step called for each batch, no engine, no
handlers) so that the overhead over it can be read off. ``OXIGNITE_BENCH_QUICK=1`` runs a
smoke version; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"


def worker(iters: int) -> dict:
    """Runs in the measured interpreter; prints µs per iteration for each measurement."""
    import torch
    from ignite.engine import Engine, Events, create_supervised_trainer
    from ignite.handlers import TerminateOnNan, Timer
    from ignite.metrics import RunningAverage
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = torch.randn(192, 8)
    y = (x[:, 0] + x[:, 1] > 0).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=False)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()

    def attach_script_handlers(trainer: Engine) -> None:
        RunningAverage(output_transform=lambda out: out).attach(trainer, "avg_loss")
        trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
        Timer(average=True).attach(trainer, step=Events.ITERATION_COMPLETED)
        log = []
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED(every=6),
            lambda e: log.append(e.state.metrics["avg_loss"]),
        )
        trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda e: log.append(e.state.epoch))

    def per_iteration(run, count: int) -> float:
        start = time.perf_counter()
        run()
        return (time.perf_counter() - start) / count * 1e6

    results = {}
    # create_supervised_trainer's output is loss.item(): a float.
    loss = criterion(model(x[:16]), y[:16]).item()
    batches = [0] * 1000
    epochs = max(1, iters // len(batches))
    bare_engine = Engine(lambda engine, batch: loss)
    results["engine alone, ready loss"] = per_iteration(
        lambda: bare_engine.run(batches, max_epochs=epochs), epochs * len(batches)
    )
    def ready_step(engine: Any, batch: Any) -> Any:
        return loss

    ready = Engine(ready_step)
    attach_script_handlers(ready)
    results["handlers, ready loss"] = per_iteration(
        lambda: ready.run(batches, max_epochs=epochs), epochs * len(batches)
    )

    def bare_ready() -> None:
        for _ in range(epochs):
            for batch in batches:
                ready_step(None, batch)

    results["handlers, ready loss (bare loop)"] = per_iteration(bare_ready, epochs * len(batches))
    results["engine alone, ready loss (bare loop)"] = results["handlers, ready loss (bare loop)"]

    script_epochs = max(1, iters // (10 * len(loader)))
    trainer = create_supervised_trainer(model, optimizer, criterion)
    attach_script_handlers(trainer)
    results["script, real step"] = per_iteration(
        lambda: trainer.run(loader, max_epochs=script_epochs), script_epochs * len(loader)
    )

    def bare_script() -> None:
        for _ in range(script_epochs):
            for xb, yb in loader:
                model.train()
                optimizer.zero_grad()
                criterion(model(xb), yb).backward()
                optimizer.step()

    results["script, real step (bare loop)"] = per_iteration(
        bare_script, script_epochs * len(loader)
    )
    return results


def measure(accelerated: bool, iters: int) -> dict:
    prefix = ["-m", "oxignite.accelerate"] if accelerated else []
    out = subprocess.run(
        [sys.executable, *prefix, __file__, "--worker", "--iters", str(iters)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 5)
    parser.add_argument("--iters", type=int, default=1000 if QUICK else 20000)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat < 1 or args.iters < 1:
        parser.error("--repeat and --iters must be positive")
    if args.worker:
        print(json.dumps(worker(args.iters)))
        return
    runs: dict = {"ignite": [], "accelerate": []}
    for r in range(args.repeat):
        # Alternate which goes first, so a slow patch of a busy machine hits both.
        for accelerated in (r % 2 == 1, r % 2 == 0):
            runs["accelerate" if accelerated else "ignite"].append(measure(accelerated, args.iters))
    median = {
        side: {key: statistics.median(run[key] for run in rs) for key in rs[0]}
        for side, rs in runs.items()
    }
    print(f"µs per iteration, medians of {args.repeat} runs of each ({args.iters} iterations)\n")
    print("| measurement | bare loop | ignite | accelerate | ignite overhead "
          "| accelerate overhead | ratio of overheads |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for key in ("engine alone, ready loss", "handlers, ready loss", "script, real step"):
        bare = statistics.median(
            [median["ignite"][f"{key} (bare loop)"], median["accelerate"][f"{key} (bare loop)"]]
        )
        ign, acc = median["ignite"][key], median["accelerate"][key]
        # An overhead at or below zero is the machine's noise, not a measurement.
        ratio = f"{(ign - bare) / (acc - bare):.1f}x" if min(ign, acc) > bare else "noise"
        print(f"| {key} | {bare:.2f} | {ign:.2f} | {acc:.2f} | {ign - bare:.2f} "
              f"| {acc - bare:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
