"""Per-batch ``update`` cost of metrics (issue 11's, and Accuracy): hand-written torch vs
pytorch-ignite vs oxignite.

    python benches/metrics_update.py [--batches N] [--repeat R] [--clock wall|cpu]
    python benches/metrics_update.py --instructions     # the same ratios, counted by callgrind
    OXIGNITE_BENCH_QUICK=1 python benches/metrics_update.py     # smoke run, a few seconds

Each metric is fed batches of 32 samples through the evaluator's call path
(``metric.iteration_completed(engine)``: output transform, unrolling check, ``update``; the
last column calls ``update`` alone, the metric's own cost), and
the hand-written column does the same torch operations in a plain loop with plain
accumulators. All run interleaved (rotating their order) with the garbage collector
off; the table gives median µs per batch and the median of the per-repeat oxignite/hand
ratios, with the issue's target (<= 1.2x). The script exits non-zero if a metric's value
differs from the hand-written one. No timing is asserted.

Wall and CPU time move by 50% between runs on a shared machine; ``--instructions`` reruns this
script under ``valgrind --tool=callgrind`` (a few minutes: torch's import is slow there) and
counts the instructions per batch instead, which repeat to the last digit. Each run is counted
over two lengths and differenced, so ``reset``, ``compute`` and the final concatenation cancel.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F

QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"
LIBS = ("hand", "ignite", "oxignite", "oxignite_update")
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
B, C = 32, 10

torch.set_num_threads(1)


def make_batches(n: int) -> dict:
    g = torch.Generator().manual_seed(5)

    def many(fn: Callable[[], tuple]) -> list:
        return [fn() for _ in range(n)]

    return {
        "logits": many(lambda: (torch.randn(B, C, generator=g), torch.randn(B, C, generator=g))),
        "images": many(
            lambda: (torch.rand(B, 3, 16, 16, generator=g), torch.rand(B, 3, 16, 16, generator=g))
        ),
        "multilabel": many(
            lambda: (
                torch.randint(0, 2, (B, C), generator=g),
                torch.randint(0, 2, (B, C), generator=g),
            )
        ),
        "scores": many(
            lambda: (torch.rand(B, C, generator=g), torch.randint(0, C, (B,), generator=g))
        ),
        "binary": many(
            lambda: (torch.rand(B, generator=g), torch.randint(0, 2, (B,), generator=g))
        ),
    }


# -- the same operations, by hand -----------------------------------------------------------


def hand_accuracy(batches: list) -> float:
    # ignite's operations for multiclass scores (its flattening view included).
    correct, n = torch.tensor(0), 0
    for y_pred, y in batches:
        correct += torch.eq(torch.argmax(y_pred, dim=1), y).view(-1).sum()
        n += y.shape[0]
    return correct.item() / n


def hand_cosine(batches: list) -> float:
    total, n = torch.tensor(0.0), 0
    for y_pred, y in batches:
        total += F.cosine_similarity(y_pred, y, dim=1, eps=1e-8).sum()
        n += y.shape[0]
    return total.item() / n


def hand_entropy(batches: list) -> float:
    total, n = torch.tensor(0.0), 0
    for y_pred, _ in batches:
        total += -torch.sum(F.softmax(y_pred, dim=1) * F.log_softmax(y_pred, dim=1))
        n += y_pred.shape[0]
    return total.item() / n


def hand_kl(batches: list) -> float:
    total, n = torch.tensor(0.0), 0
    for y_pred, y in batches:
        p, q = F.log_softmax(y_pred, dim=1), F.log_softmax(y, dim=1)
        total += F.kl_div(p, q, log_target=True, reduction="sum")
        n += y_pred.shape[0]
    return total.item() / n


def hand_psnr(batches: list) -> float:
    total, n = torch.tensor(0.0, dtype=torch.float64), 0
    for y_pred, y in batches:
        mse = (y_pred.double() - y.double()).pow(2).mean(dim=(1, 2, 3))
        total += torch.sum(10.0 * torch.log10(1.0 / (mse + 1e-10)))
        n += y.shape[0]
    return (total / n).item()


def hand_multilabel_cm(batches: list) -> torch.Tensor:
    cm = torch.zeros(C, 2, 2, dtype=torch.int64)
    for y_pred, y in batches:
        # ignite's update rejects any value but 0/1 in every batch: the cheapest such check.
        both = y_pred | y
        if not torch.equal(both.clamp(0, 1), both):
            raise ValueError("not binary")
        yt, yp = y.t(), y_pred.t()
        tp = (yt * yp).sum(dim=1)
        fp = yp.sum(dim=1) - tp
        fn = yt.sum(dim=1) - tp
        tn = yt.shape[1] - tp - fp - fn
        cm += torch.stack([tn, fp, fn, tp], dim=1).reshape(-1, 2, 2)
    return cm


def hand_store_checked(batches: list) -> float:
    # EpochMetric's update, by hand: ignite's makes per batch its checks (shape, the stored
    # dtype), detach(), clone() and to(device). Written carefully, the last two become the
    # checks that make them no-ops (no graph, already on the CPU), around a plain copy.
    preds: list = []
    targets: list = []
    for y_pred, y in batches:
        for x, kept in ((y_pred, preds), (y, targets)):
            if x.ndim not in (1, 2) or (kept and kept[-1].dtype != x.dtype):
                raise ValueError("bad batch")
            if x.requires_grad or not x.is_cpu:
                raise ValueError("not handled by hand")
        preds.append(y_pred.clone())
        targets.append(y.clone())
    return float(torch.cat(preds).sum() + torch.cat(targets).sum())


def hand_store(batches: list) -> float:
    # The copies alone, no checks: what EpochMetric's checks cost on top (not judged).
    preds, targets = [], []
    for y_pred, y in batches:
        preds.append(y_pred.clone())
        targets.append(y.clone())
    return float(torch.cat(preds).sum() + torch.cat(targets).sum())


HAND = {
    "Accuracy": ("scores", hand_accuracy),
    "CosineSimilarity": ("logits", hand_cosine),
    "Entropy": ("logits", hand_entropy),
    "KLDivergence": ("logits", hand_kl),
    "PSNR": ("images", hand_psnr),
    "MultiLabelConfusionMatrix": ("multilabel", hand_multilabel_cm),
    "EpochMetric": ("binary", hand_store_checked),
    # Rows named "..., not judged" are context: they compare with less work than the metric's.
    "EpochMetric, vs bare clones, not judged": ("binary", hand_store),
}


def _store_sum(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    return float(y_pred.sum() + y.sum())


def make_metric(lib: str, name: str) -> Any:
    M = importlib.import_module(f"{lib}.metrics")
    name = name.split(",")[0]
    return {
        "Accuracy": lambda: M.Accuracy(),
        "CosineSimilarity": lambda: M.CosineSimilarity(),
        "Entropy": lambda: M.Entropy(),
        "KLDivergence": lambda: M.KLDivergence(),
        "PSNR": lambda: M.PSNR(data_range=1.0),
        "MultiLabelConfusionMatrix": lambda: M.MultiLabelConfusionMatrix(num_classes=C),
        "EpochMetric": lambda: M.EpochMetric(_store_sum, check_compute_fn=False),
    }[name]()


def metric_run(lib: str, name: str, direct: bool = False) -> Callable[[list], Any]:
    metric = make_metric(lib, name)
    engine = SimpleNamespace(state=SimpleNamespace(output=None))

    def run_update(batches: list) -> Any:
        # metric.update alone: the metric's own cost, without the base class's call path.
        metric.reset()
        for batch in batches:
            metric.update(batch)
        return metric.compute()

    def run(batches: list) -> Any:
        metric.reset()
        for batch in batches:
            engine.state.output = batch
            metric.iteration_completed(engine)
        return metric.compute()

    return run_update if direct else run


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.allclose(a.double(), b.double())
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


# -- instruction counts ----------------------------------------------------------------------

# callgrind dumps its counts at every call of this libc function (--dump-before), so each
# os.getppid() below closes one counted part.
_MARK_FN = "getppid"
SHORT, LONG = 20, 100  # batches per counted run; their difference is what is reported
COUNTED = ("hand", "oxignite", "oxignite_update")


def _counted_runs(labels_path: str) -> None:
    """Under callgrind: run every metric and the hand-written loop for SHORT and LONG
    batches, each closed by a dump, and write the label of every part to ``labels_path``."""
    data = make_batches(LONG)
    labels: list = []  # the first part, up to the first mark, is the start-up
    for name, (kind, hand) in HAND.items():
        batches = data[kind]
        for lib in COUNTED:
            run = hand if lib == "hand" else metric_run("oxignite", name, direct=lib != "oxignite")
            run(batches[:SHORT])  # warm-up: first-call caches, the stored dtypes
            for n in (SHORT, LONG):
                os.getppid()
                labels.append("between")
                run(batches[:n])
                os.getppid()
                labels.append(f"{name}|{lib}|{n}")
    with open(labels_path, "w") as f:
        json.dump(labels, f)


def count_instructions() -> int:
    out = tempfile.mkdtemp(prefix="oxignite-cg-")
    labels_path = os.path.join(out, "labels.json")
    cmd = [
        "valgrind", "--tool=callgrind", f"--dump-before={_MARK_FN}",
        f"--callgrind-out-file={out}/cg", sys.executable, __file__, "--_counted", labels_path,
    ]  # fmt: skip
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    with open(labels_path) as f:
        labels = json.load(f)
    if os.path.exists(f"{out}/cg.{len(labels) + 1}"):
        raise RuntimeError(f"{_MARK_FN} was called outside the marks; the parts are misaligned")
    counts: dict = {}
    for i, label in enumerate(labels, start=1):
        with open(f"{out}/cg.{i}") as f:
            total = next(int(line.split()[1]) for line in f if line.startswith("totals:"))
        if label.count("|") == 2:
            name, lib, n = label.split("|")
            counts.setdefault(name, {}).setdefault(lib, {})[int(n)] = total
    print(f"torch {torch.__version__}; instructions per batch of {B} (callgrind, runs of")
    print(f"{LONG} minus runs of {SHORT} batches)\n")
    print("| metric | hand-written torch | oxignite | oxignite / hand | update() alone / hand |")
    print("|---|--:|--:|--:|--:|")
    for name, by_lib in counts.items():
        per = {lib: (c[LONG] - c[SHORT]) / (LONG - SHORT) for lib, c in by_lib.items()}
        print(
            f"| {name} | {per['hand']:,.0f} | {per['oxignite']:,.0f} "
            f"| {per['oxignite'] / per['hand']:.2f} | {per['oxignite_update'] / per['hand']:.2f} |"
        )
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--_counted"]:
        _counted_runs(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30 if QUICK else 300)
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 7)
    parser.add_argument("--clock", choices=CLOCKS, default="wall")
    parser.add_argument("--instructions", action="store_true", help="count, under callgrind")
    args = parser.parse_args()
    if args.instructions:
        return count_instructions()
    clock = CLOCKS[args.clock]
    data = make_batches(args.batches)
    print(
        f"--batches {args.batches} --repeat {args.repeat} --clock {args.clock}"
        f"{' (quick)' if QUICK else ''}; torch {torch.__version__}; median µs per batch of {B}\n"
    )
    print(
        "| metric | hand-written torch | ignite | oxignite | oxignite / hand | target "
        "| oxignite update() alone / hand |"
    )
    print("|---|--:|--:|--:|--:|---|--:|")
    problems = []
    for name, (kind, hand) in HAND.items():
        batches = data[kind]
        runs = {
            "hand": hand,
            "ignite": metric_run("ignite", name),
            "oxignite": metric_run("oxignite", name),
            "oxignite_update": metric_run("oxignite", name, direct=True),
        }
        values = {lib: run(batches) for lib, run in runs.items()}  # also the warm-up
        for lib in LIBS[1:]:
            if not _same(values[lib], values["hand"]):
                problems.append(f"{name}: {lib} gives {values[lib]}, hand-written {values['hand']}")
        times: dict = {lib: [] for lib in LIBS}
        gc.disable()
        try:
            for r in range(args.repeat):
                for lib in LIBS[r % 4 :] + LIBS[: r % 4]:
                    start = clock()
                    runs[lib](batches)
                    times[lib].append((clock() - start) / len(batches) * 1e6)
        finally:
            gc.enable()
        t = {lib: statistics.median(ts) for lib, ts in times.items()}
        ratio = statistics.median(o / h for o, h in zip(times["oxignite"], times["hand"]))
        own = statistics.median(o / h for o, h in zip(times["oxignite_update"], times["hand"]))
        verdict = (
            "not judged"
            if QUICK or name.endswith("not judged")
            else f"<= 1.2x: {'pass' if ratio <= 1.2 else '**MISS**'}"
        )
        print(
            f"| {name} | {t['hand']:.1f} | {t['ignite']:.1f} | {t['oxignite']:.1f} | {ratio:.2f} | {verdict} "
            f"| {own:.2f} |"
        )
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
