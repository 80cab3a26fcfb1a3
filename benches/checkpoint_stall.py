"""Checkpoint stall: what a Checkpoint save costs the training loop, with DiskSaver writing
synchronously (ignite's way) and with ``async_save=True``, for a ~200 MB model.

    python benches/checkpoint_stall.py [--mb 200] [--iters 45] [--every 10] [--repeat 3]
                                       [--threads 1] [--dir DIR]

A training loop (an oxignite Engine; an MLP of 3 square Linear layers sized to ``--mb``
megabytes of float32 weights, SGD, a fixed batch of 8) runs ``--iters`` iterations with a
Checkpoint (model, optimizer, trainer; ``n_saved=1``) every ``--every`` iterations, in three
configurations interleaved ``--repeat`` times: no checkpoint, sync, async. Columns (medians):

- blocking: time the loop spends inside one Checkpoint call (sync: serialize + write + fsync;
  async: the in-memory snapshot, and waiting for the previous write if it is still going);
- stall: (loop time with checkpoints - loop time without) / checkpoints, up to the last
  iteration: blocking plus whatever the background write slows the iterations around it
  (CPU, memory bandwidth, the GIL);
- end wait: the run's end waiting for the last write (async only; once per run).

The files go to ``--dir`` (default: a temporary folder; use the disk you train on). The last
checkpoint of sync and async must hold the same tensors (checked). Target: async stall at most
20% of sync. ``OXIGNITE_BENCH_QUICK=1``: a 4 MB model, a smoke run; no timing is asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import Checkpoint, DiskSaver
from torch import nn

QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"
CONFIGS = ("none", "sync", "async")


class _TimedCheckpoint(Checkpoint):
    """Checkpoint recording how long each call keeps the loop waiting."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.blocking: list[float] = []

    def __call__(self, engine: Engine, *args, **kwargs) -> None:
        start = time.perf_counter()
        super().__call__(engine, *args, **kwargs)
        self.blocking.append(time.perf_counter() - start)


def build_model(mb: float) -> nn.Module:
    """3 square Linear layers holding about ``mb`` megabytes of float32 weights."""
    width = max(8, int(math.sqrt(mb * 2**20 / 4 / 3)))
    torch.manual_seed(0)
    return nn.Sequential(*(nn.Linear(width, width) for _ in range(3)))


def run_once(config: str, model: nn.Module, iters: int, every: int, dirname: Path) -> dict:
    """One run of ``iters`` iterations; timings in seconds and the last checkpoint's path."""
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    width = model[0].in_features
    x = torch.randn(8, width, generator=torch.Generator().manual_seed(1))

    def step(engine: Engine, batch: object) -> float:
        optimizer.zero_grad()
        loss = model(x).square().mean()
        loss.backward()
        optimizer.step()
        return loss.item()

    trainer = Engine(step)
    checkpoint = None
    if config != "none":
        shutil.rmtree(dirname, ignore_errors=True)
        saver = DiskSaver(dirname, async_save=config == "async")
        to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
        checkpoint = _TimedCheckpoint(to_save, saver, n_saved=1)
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=every), checkpoint)
    marks = {}
    trainer.add_event_handler(
        Events.STARTED, lambda: marks.setdefault("start", time.perf_counter())
    )
    trainer.add_event_handler(
        Events.COMPLETED, lambda: marks.setdefault("end", time.perf_counter())
    )
    trainer.run(range(iters))
    returned = time.perf_counter()
    return {
        "loop": marks["end"] - marks["start"],
        "end_wait": returned - marks["end"],
        "blocking": checkpoint.blocking if checkpoint else [],
        "last": checkpoint.last_checkpoint if checkpoint else None,
    }


def measure(mb: float, iters: int, every: int, repeat: int, dirname: Path) -> dict:
    """Interleaved runs of every configuration; per configuration the lists of timings."""
    models = {c: build_model(mb) for c in CONFIGS}  # same weights, trained the same way
    size = sum(p.numel() * p.element_size() for p in models["none"].parameters())
    results: dict = {c: {"loop": [], "end_wait": [], "blocking": []} for c in CONFIGS}
    last = {}
    run_once("none", build_model(min(mb, 1.0)), 2, every, dirname / "warmup")  # imports, caches
    for r in range(repeat):
        order = CONFIGS[r % 3 :] + CONFIGS[: r % 3]
        for config in order:
            out = run_once(config, models[config], iters, every, dirname / config)
            results[config]["loop"].append(out["loop"])
            results[config]["end_wait"].append(out["end_wait"])
            results[config]["blocking"].extend(out["blocking"])
            last[config] = out["last"]
    sync_state = torch.load(last["sync"], weights_only=True)
    async_state = torch.load(last["async"], weights_only=True)
    same = all(
        torch.equal(sync_state["model"][k], async_state["model"][k]) for k in sync_state["model"]
    )
    return {"results": results, "saves": iters // every, "bytes": size, "same_files": same}


def table(measured: dict) -> str:
    res, saves = measured["results"], measured["saves"]
    base = statistics.median(res["none"]["loop"])
    rows = {}
    for config in ("sync", "async"):
        stall = (statistics.median(res[config]["loop"]) - base) / saves
        rows[config] = (
            statistics.median(res[config]["blocking"]),
            stall,
            statistics.median(res[config]["end_wait"]),
        )
    lines = [
        "| DiskSaver | blocking per save (ms) | stall per save (ms) | end wait (ms) |",
        "| --- | --: | --: | --: |",
    ]
    for config, (blocking, stall, end_wait) in rows.items():
        lines.append(
            f"| {config} | {blocking * 1e3:.0f} | {stall * 1e3:.0f} | {end_wait * 1e3:.0f} |"
        )
    ratio_blocking = rows["async"][0] / rows["sync"][0]
    ratio_stall = rows["async"][1] / rows["sync"][1] if rows["sync"][1] > 0 else float("nan")
    lines.append("")
    lines.append(
        f"async / sync: blocking {ratio_blocking:.0%}, stall {ratio_stall:.0%} "
        f"(target: stall <= 20%: {'pass' if ratio_stall <= 0.2 else 'miss'})"
    )
    lines.append(f"loop without checkpoints: {base:.2f} s (median)")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--mb", type=float, default=4.0 if QUICK else 200.0)
    p.add_argument("--iters", type=int, default=6 if QUICK else 45)
    p.add_argument("--every", type=int, default=3 if QUICK else 10)
    p.add_argument("--repeat", type=int, default=1 if QUICK else 3)
    p.add_argument("--threads", type=int, default=1, help="torch threads of the training loop")
    p.add_argument("--dir", default=None, help="where the checkpoints go (default: a temp dir)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="oxignite-stall-"))
    try:
        measured = measure(args.mb, args.iters, args.every, args.repeat, base / "bench")
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    print(
        f"{platform.node()} · {os.cpu_count()} CPUs · torch {torch.__version__} · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · checkpoint of "
        f"{measured['bytes'] / 2**20:.0f} MB of weights · {args.iters} iterations, a save every "
        f"{args.every}, {args.repeat} repeats, torch threads {args.threads}\n"
    )
    print(table(measured))
    if not measured["same_files"]:
        raise SystemExit("sync and async checkpoints differ")


if __name__ == "__main__":
    main()
