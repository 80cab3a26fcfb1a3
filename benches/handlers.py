"""Real training loops: the built-in handlers, hand-written vs pytorch-ignite vs oxignite.

    python benches/handlers.py [--epochs E] [--iters N] [--repeat R] [--clock wall|cpu]
    OXIGNITE_BENCH_QUICK=1 python benches/handlers.py     # CI smoke run, a few seconds

Stacks (issue 8), each with the process function returning a ready 0-d CPU tensor loss and a
Python float (g: the trainer returns ``loss.item()``, as ignite's does):

a. TerminateOnNan; b. Timer(average=True) on the iteration events; c. RunningAverage of the
output; d. ProgressBar; e. ProgressBar showing the RunningAverage and the output; f. a typical
trainer: (e) + TerminateOnNan + Timer + an evaluator run each epoch with Accuracy and Loss,
ModelCheckpoint and EarlyStopping on its accuracy, a TensorBoard OutputHandler every 100
iterations; g. (f) around ``create_supervised_trainer`` on Linear 32->2 (batch 8) and on a
small MLP.

The hand-written loop does the same work directly (a float running average, ``isfinite``,
``perf_counter`` pairs, a tqdm bar updated every iteration and formatted when it redraws,
the evaluation, checkpoint files written atomically and flushed to disk as ModelCheckpoint
writes them, and TensorBoard scalars by hand). All three run interleaved in
one process; the table gives the median µs per iteration. Each run returns what it observed
(iterations, averages, the bar's text at each epoch's end, evaluation values, checkpoint
files, TensorBoard writes, timer steps) and the script exits non-zero if the three differ.

A second table times per-batch metric updates on an evaluator (Accuracy, Loss,
ConfusionMatrix) against the same torch operations written by hand.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import io
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import torch
from metrics_update import hand_accuracy  # the same loop measures Accuracy in both benches

QUICK = os.environ.get("OXIGNITE_BENCH_QUICK") == "1"
LIBS = ("hand", "ignite", "oxignite")
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
ALPHA = 0.98
# No elapsed/rate fields: the text is deterministic and comparable between the three.
BAR_FORMAT = "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix}"
TB_EVERY = 100
N_SAVED = 2
PATIENCE = 5

torch.set_num_threads(1)


def libs(name: str) -> SimpleNamespace:
    """The engine, handlers, metrics and TensorBoard modules of ``ignite`` or ``oxignite``."""
    if name == "ignite":
        import ignite.handlers.tensorboard_logger as tb
        from ignite import engine, handlers, metrics
    else:
        import oxignite.handlers.tensorboard_logger as tb
        from oxignite import engine, handlers, metrics
    return SimpleNamespace(E=engine, H=handlers, M=metrics, TB=tb)


def make_losses(n: int, kind: str) -> list:
    g = torch.Generator().manual_seed(0)
    values = (torch.rand(n, generator=g) + 0.5).tolist()
    return [torch.tensor(v) for v in values] if kind == "tensor" else values


# -- the stacks, on the engines --------------------------------------------------------------


@dataclass
class Setup:
    """What a stack needs: the trainer's process function and what it ran on."""

    process: Callable
    data: list
    model: torch.nn.Module | None = None
    reset: Callable[[], None] = lambda: None


class Observed(dict):
    """What a run saw; compared between the three."""


def eval_setup() -> tuple[torch.nn.Module, list]:
    g = torch.Generator().manual_seed(1)
    model = torch.nn.Linear(32, 2)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    data = [
        (torch.randn(8, 32, generator=g), torch.randint(0, 2, (8,), generator=g)) for _ in range(10)
    ]
    return model, data


def attach_stack(
    key: str, lib: SimpleNamespace, trainer: Any, obs: Observed, tmp: str, eval_model, eval_data
) -> Callable[[], None]:
    """Attach stack ``key`` to ``trainer``; returns ``finish()`` that fills ``obs``."""
    E, H, M = lib.E, lib.H, lib.M
    parts = {"a": "n", "b": "t", "c": "r", "d": "p", "e": "rp", "f": "nrptx", "g": "nrptx"}[key[0]]
    finish = []
    if "n" in parts:
        trainer.add_event_handler(E.Events.ITERATION_COMPLETED, H.TerminateOnNan())
    if "t" in parts:
        timer = H.Timer(average=True)
        timer.attach(
            trainer,
            start=E.Events.EPOCH_STARTED,
            resume=E.Events.ITERATION_STARTED,
            pause=E.Events.ITERATION_COMPLETED,
            step=E.Events.ITERATION_COMPLETED,
        )
        finish.append(lambda: obs.__setitem__("timer_steps", timer.step_count))
    if "r" in parts:
        M.RunningAverage(output_transform=lambda x: x, alpha=ALPHA).attach(trainer, "loss")
        finish.append(lambda: obs.__setitem__("avg", trainer.state.metrics["loss"]))
    if "p" in parts:
        stream = io.StringIO()
        pbar = H.ProgressBar(persist=True, bar_format=BAR_FORMAT, file=stream)
        if "r" in parts:
            pbar.attach(trainer, metric_names=["loss"], output_transform=lambda x: {"out": x})
        else:
            pbar.attach(trainer)
        finish.append(lambda: obs.__setitem__("bar", bar_texts(stream)))
    if "x" in parts:
        evaluator = E.create_supervised_evaluator(
            eval_model,
            metrics={"accuracy": M.Accuracy(), "loss": M.Loss(torch.nn.CrossEntropyLoss())},
        )
        evals = []

        @trainer.on(E.Events.EPOCH_COMPLETED)
        def run_evaluation(engine: Any) -> None:
            evaluator.run(eval_data)
            evals.append((evaluator.state.metrics["accuracy"], evaluator.state.metrics["loss"]))

        def score(engine: Any) -> float:
            return engine.state.metrics["accuracy"]

        checkpoint = H.ModelCheckpoint(
            tmp,
            "best",
            n_saved=N_SAVED,
            score_function=score,
            score_name="acc",
            require_empty=False,
        )
        evaluator.add_event_handler(E.Events.COMPLETED, checkpoint, {"model": eval_model})
        stopper = H.EarlyStopping(patience=PATIENCE, score_function=score, trainer=trainer)
        evaluator.add_event_handler(E.Events.COMPLETED, stopper)
        tb_logger = lib.TB.TensorboardLogger(log_dir=os.path.join(tmp, "tb"))
        writes = count_scalars(tb_logger.writer)
        tb_logger.attach_output_handler(
            trainer,
            event_name=E.Events.ITERATION_COMPLETED(every=TB_EVERY),
            tag="training",
            output_transform=lambda loss: {"loss": loss},
        )

        def done() -> None:
            tb_logger.close()
            obs["eval"] = evals
            obs["saved"] = sorted(f for f in os.listdir(tmp) if f.endswith(".pt"))
            obs["tb_writes"] = writes[0]
            obs["es_counter"] = stopper.counter

        finish.append(done)

    def finish_all() -> None:
        for f in finish:
            f()

    return finish_all


def count_scalars(writer: Any) -> list:
    """Count ``writer.add_scalar`` calls (the same wrapper on all three)."""
    calls = [0]
    add_scalar = writer.add_scalar

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return add_scalar(*args, **kwargs)

    writer.add_scalar = counted
    return calls


def bar_texts(stream: io.StringIO) -> list:
    """The text each epoch's bar closed with (persist=True leaves it on its line)."""
    return [line.split("\r")[-1].rstrip() for line in stream.getvalue().split("\n") if line]


def supervised_setup(model_kind: str, n: int) -> tuple[Callable, torch.nn.Module, Callable, list]:
    """(model, optimizer, loss) for g, the data, and a reset to the initial weights."""
    torch.manual_seed(0)
    if model_kind == "linear":
        model = torch.nn.Linear(32, 2)
    else:
        model = torch.nn.Sequential(
            torch.nn.Linear(32, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 2),
        )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(2)
    data = [
        (torch.randn(8, 32, generator=g), torch.randint(0, 2, (8,), generator=g)) for _ in range(n)
    ]

    def reset() -> None:
        model.load_state_dict(initial)
        optimizer.state.clear()

    return model, optimizer, reset, data


def build_engine(key: str, kind: str, lib_name: str, n: int) -> Callable[[int], Observed]:
    lib = libs(lib_name)
    eval_model, eval_data = eval_setup()
    if key.startswith("g"):
        model, optimizer, reset, data = supervised_setup(kind, n)
        eval_model = model
        trainer_factory = lambda: lib.E.create_supervised_trainer(
            model, optimizer, torch.nn.CrossEntropyLoss()
        )
    else:
        losses = make_losses(n, kind)
        data, reset = list(range(n)), lambda: None
        trainer_factory = lambda: lib.E.Engine(lambda engine, i: losses[i])

    def run(epochs: int) -> Observed:
        reset()
        obs = Observed()
        tmp = tempfile.mkdtemp(prefix="oxbench-")
        try:
            trainer = trainer_factory()
            finish = attach_stack(key, lib, trainer, obs, tmp, eval_model, eval_data)
            trainer.run(data, max_epochs=epochs)
            obs["iterations"] = trainer.state.iteration
            finish()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return obs

    return run


# -- the same work, hand-written ---------------------------------------------------------------


def build_hand(key: str, kind: str, lib_name: str, n: int) -> Callable[[int], Observed]:
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    parts = {"a": "n", "b": "t", "c": "r", "d": "p", "e": "rp", "f": "nrptx", "g": "nrptx"}[key[0]]
    check_nan, timed, averaged, bar, extras = (
        "n" in parts,
        "t" in parts,
        "r" in parts,
        "p" in parts,
        "x" in parts,
    )
    eval_model, eval_data = eval_setup()
    criterion = torch.nn.CrossEntropyLoss()
    if key.startswith("g"):
        model, optimizer, reset, data = supervised_setup(kind, n)
        eval_model = model

        def step(batch: Any) -> float:
            model.train()
            optimizer.zero_grad()
            x, y = batch
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            return loss.item()

    else:
        losses = make_losses(n, kind)
        data, reset = list(range(n)), lambda: None

        def step(batch: Any) -> Any:
            return losses[batch]

    def evaluate() -> tuple[float, float]:
        eval_model.eval()
        correct, seen, loss_sum = 0, 0, 0.0
        with torch.no_grad():
            for x, y in eval_data:
                y_pred = eval_model(x)
                correct += int(torch.eq(torch.argmax(y_pred, dim=1), y).sum())
                loss_sum += criterion(y_pred, y).item() * y.shape[0]
                seen += y.shape[0]
        return correct / seen, loss_sum / seen

    def run(epochs: int) -> Observed:
        reset()
        obs = Observed()
        tmp = tempfile.mkdtemp(prefix="oxbench-")
        stream = io.StringIO()
        writer = SummaryWriter(log_dir=os.path.join(tmp, "tb")) if extras else None
        writes = count_scalars(writer) if extras else [0]
        avg = None
        iteration = 0
        steps = 0.0
        evals: list = []
        saved: list = []  # (score, path), best last
        best, counter = None, 0
        stop = False
        try:
            for epoch in range(1, epochs + 1):
                total_time, steps = 0.0, 0.0  # the Timer restarts on EPOCH_STARTED
                pbar = None
                for i, batch in enumerate(data, 1):
                    iteration += 1
                    if timed:
                        t_start = time.perf_counter()
                    out = step(batch)
                    value = None
                    if check_nan or averaged:
                        value = out.item() if isinstance(out, torch.Tensor) else out
                    if check_nan and not math.isfinite(value):
                        stop = True
                    if timed:
                        total_time += time.perf_counter() - t_start
                        steps += 1
                    if averaged:
                        avg = value if avg is None else avg * ALPHA + (1.0 - ALPHA) * value
                    if bar:
                        if pbar is None:
                            pbar = tqdm(
                                total=n, leave=True, bar_format=BAR_FORMAT, initial=1, file=stream
                            )
                        elif _will_redraw(pbar, i) or i == n:
                            desc = "Iteration" if epochs == 1 else f"Epoch [{epoch}/{epochs}]"
                            pbar.set_description(desc, refresh=False)
                            if averaged:
                                shown = out.item() if isinstance(out, torch.Tensor) else out
                                pbar.set_postfix(OrderedDict(loss=avg, out=shown), refresh=False)
                            pbar.update(1)
                        else:
                            pbar.n = i
                    if extras and iteration % TB_EVERY == 0:
                        shown = out.item() if isinstance(out, torch.Tensor) else out
                        writer.add_scalar("training/loss", shown, iteration)
                    if stop:
                        break
                if stop:
                    break
                if pbar is not None:
                    pbar.n = pbar.total
                    pbar.close()
                if extras:
                    acc, loss = evaluate()
                    evals.append((acc, loss))
                    if len(saved) < N_SAVED or acc > saved[0][0]:
                        path = os.path.join(tmp, f"best_model_acc={acc:.4f}.pt")
                        same_name = [s for s in saved if s[1] == path]
                        # replaces a file of the same name, or else the worst when full
                        drop = (
                            same_name[0]
                            if same_name
                            else saved[0]
                            if len(saved) >= N_SAVED
                            else None
                        )
                        if drop is not None:
                            saved.remove(drop)
                            os.remove(drop[1])
                        saved.append((acc, path))
                        saved.sort(key=lambda s: s[0])
                        save_atomically(eval_model.state_dict(), path)
                    if best is None or acc > best:
                        best, counter = acc, 0
                    else:
                        counter += 1
                        if counter >= PATIENCE:
                            break
            obs["iterations"] = iteration
            if timed:
                obs["timer_steps"] = steps
            if averaged:
                obs["avg"] = avg
            if bar:
                obs["bar"] = bar_texts(stream)
            if extras:
                writer.close()
                obs["eval"] = evals
                obs["saved"] = sorted(f for f in os.listdir(tmp) if f.endswith(".pt"))
                obs["tb_writes"] = writes[0]
                obs["es_counter"] = counter
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return obs

    return run


def save_atomically(obj: Any, path: str) -> None:
    """The hand-written loop's checkpoint write, as careful as ModelCheckpoint's (a crash
    mid-write loses no checkpoint): a temporary file, flushed to disk, renamed over the
    target, and the folder's entry flushed too."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _will_redraw(pbar: Any, n: int) -> bool:
    """tqdm's own test in ``update``: will moving the counter to ``n`` redraw the bar?"""
    if n - pbar.last_print_n < pbar.miniters:
        return False
    now = pbar._time()
    return now - pbar.last_print_t >= pbar.mininterval and now >= pbar.start_t + pbar.delay


# -- the table ------------------------------------------------------------------------------


@dataclass
class Stack:
    key: str
    title: str
    kinds: tuple


STACKS = [
    Stack("a", "a. TerminateOnNan", ("tensor", "float")),
    Stack("b", "b. Timer(average=True), iteration events", ("tensor", "float")),
    Stack("c", "c. RunningAverage of the output", ("tensor", "float")),
    Stack("d", "d. ProgressBar", ("tensor", "float")),
    Stack("e", "e. ProgressBar + RunningAverage + output", ("tensor", "float")),
    Stack(
        "f",
        "f. typical trainer (e + NaN + Timer + eval, checkpoint, early stop, TB)",
        ("tensor", "float"),
    ),
    Stack("g", "g. (f) + create_supervised_trainer", ("linear", "mlp")),
]


def runner(stack: Stack, kind: str, lib: str, n: int) -> Callable[[int], Observed]:
    build = build_hand if lib == "hand" else build_engine
    return build(stack.key, kind, lib, n)


def same(a: Any, b: Any) -> bool:
    """Equal, floats to float tolerance."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        # float32 (ignite's tensor arithmetic) against float64 (by hand)
        return math.isclose(float(a), float(b), rel_tol=1e-5, abs_tol=1e-9)
    return a == b


def measure(
    stack: Stack, kind: str, n: int, epochs: int, repeat: int, clock: Callable
) -> tuple[dict, list]:
    """Median µs per iteration per lib, and the mismatches between what they observed."""
    runners = {lib: runner(stack, kind, lib, n) for lib in LIBS}
    seen = {} if QUICK else {lib: runners[lib](1) for lib in LIBS}  # warm-up
    times: dict = {lib: [] for lib in LIBS}
    for r in range(repeat):
        for lib in LIBS[r % 3 :] + LIBS[: r % 3]:
            gc.collect()
            gc.disable()
            start = clock()
            obs = runners[lib](epochs)
            elapsed = clock() - start
            gc.enable()
            times[lib].append(elapsed / obs["iterations"] * 1e6)
            seen[lib] = obs
    problems = [
        f"{stack.title} [{kind}]: {lib} saw {seen[lib]!r}, hand-written saw {seen['hand']!r}"
        for lib in ("ignite", "oxignite")
        if not same(seen[lib], seen["hand"])
    ]
    result = {lib: statistics.median(ts) for lib, ts in times.items()}
    result["ox/hand"] = statistics.median(o / h for o, h in zip(times["oxignite"], times["hand"]))
    return result, problems


def target(stack: Stack, t: dict) -> str:
    if QUICK:
        return "not judged in quick mode"
    hand, ig, ox = t["hand"], t["ignite"], t["oxignite"]
    if stack.key == "g":
        ok = t["ox/hand"] <= 1.05
        return f"ox/hand {t['ox/hand']:.3f} <= 1.05: {'pass' if ok else '**MISS**'}"
    ratio_ok = t["ox/hand"] <= 1.5
    over_ok = (ig - hand) >= 10 * max(ox - hand, 0)
    return (
        f"<= 1.5x hand: {'pass' if ratio_ok else '**MISS**'}; "
        f">= 10x less overhead: {'pass' if over_ok else '**MISS**'}"
    )


def handler_rows(
    n: int,
    epochs: int,
    repeat: int,
    clock: Callable,
    stacks: str = "abcdefg",
    records: list | None = None,
) -> tuple[list, list]:
    """The markdown rows (printed as they are measured) and the mismatches seen.

    ``records``, when given, receives one dict per row (the figures of ``--json``).
    """
    rows, problems = [], []
    header = (
        "| stack | output | hand-written | ignite | oxignite | oxignite / hand | "
        "ignite overhead | oxignite overhead | ignite/oxignite overhead | target |"
    )
    rows += [header, "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    print("\n".join(rows), flush=True)
    for stack in STACKS:
        if stack.key not in stacks:
            continue
        for kind in stack.kinds:
            t, bad = measure(stack, kind, n, epochs, repeat, clock)
            problems += bad
            hand, ig, ox = t["hand"], t["ignite"], t["oxignite"]
            ig_over, ox_over = ig - hand, ox - hand
            ratio = (
                f"{ig_over / ox_over:,.0f}x" if ox_over > 0 and ig_over > 0 else "n/a (ox <= hand)"
            )
            rows.append(
                f"| {stack.title} | {kind} | {hand:,.2f} | {ig:,.2f} | {ox:,.2f} | {t['ox/hand']:.2f} "
                f"| {ig_over:,.2f} | {ox_over:,.2f} | {ratio} | {target(stack, t)} |"
            )
            print(rows[-1], flush=True)
            if records is not None:
                records.append(_record(t, key=stack.key, title=stack.title, output=kind))
    return rows, problems


# -- per-batch metric updates on an evaluator ---------------------------------------------------


def metric_batches(n: int) -> list:
    g = torch.Generator().manual_seed(3)
    return [
        (torch.randn(32, 10, generator=g), torch.randint(0, 10, (32,), generator=g))
        for _ in range(n)
    ]


def hand_updates(name: str) -> Callable[[list], Any]:
    """The torch operations of each metric's update, written by hand."""
    criterion = torch.nn.CrossEntropyLoss()

    def loss(batches: list) -> float:
        total, seen = torch.tensor(0.0), 0
        for y_pred, y in batches:
            total += criterion(y_pred, y).detach() * y.shape[0]
            seen += y.shape[0]
        return total.item() / seen

    def confusion(batches: list) -> Any:
        cm = torch.zeros(10, 10, dtype=torch.int64)
        for y_pred, y in batches:
            indices = torch.argmax(y_pred, dim=1).flatten()
            y = y.flatten()
            valid = (y >= 0) & (y < 10)  # labels out of range are ignored
            y, indices = y[valid], indices[valid]
            cm += torch.bincount(10 * y + indices, minlength=100).reshape(10, 10)
        return cm

    return {"Accuracy": hand_accuracy, "Loss": loss, "ConfusionMatrix": confusion}[name]


def metric_updates(name: str, lib_name: str) -> Callable[[list], Any]:
    """``metric.update`` per batch through the evaluator's call path (iteration_completed)."""
    M = libs(lib_name).M
    metric = {
        "Accuracy": lambda: M.Accuracy(),
        "Loss": lambda: M.Loss(torch.nn.CrossEntropyLoss()),
        "ConfusionMatrix": lambda: M.ConfusionMatrix(num_classes=10),
    }[name]()
    engine = SimpleNamespace(state=SimpleNamespace(output=None))

    def run(batches: list) -> Any:
        metric.reset()
        for batch in batches:
            engine.state.output = batch
            metric.iteration_completed(engine)
        return metric.compute()

    return run


def metric_rows(
    n: int, repeat: int, clock: Callable, records: list | None = None
) -> tuple[list, list]:
    rows = [
        "| metric update per batch (32x10) | hand-written torch | ignite | oxignite | oxignite / hand | target |",
        "|---|--:|--:|--:|--:|---|",
    ]
    problems = []
    batches = metric_batches(n)
    for name in ("Accuracy", "Loss", "ConfusionMatrix"):
        runs = {
            "hand": hand_updates(name),
            "ignite": metric_updates(name, "ignite"),
            "oxignite": metric_updates(name, "oxignite"),
        }
        values = {lib: run(batches) for lib, run in runs.items()}
        if not all(same(_plain(values[lib]), _plain(values["hand"])) for lib in LIBS):
            problems.append(f"{name}: values differ: {values}")
        times: dict = {lib: [] for lib in LIBS}
        for r in range(repeat):
            for lib in LIBS[r % 3 :] + LIBS[: r % 3]:
                start = clock()
                runs[lib](batches)
                times[lib].append((clock() - start) / n * 1e6)
        t = {lib: statistics.median(ts) for lib, ts in times.items()}
        ratio = statistics.median(o / h for o, h in zip(times["oxignite"], times["hand"]))
        verdict = (
            "not judged in quick mode"
            if QUICK
            else f"<= 1.2x: {'pass' if ratio <= 1.2 else '**MISS**'}"
        )
        rows.append(
            f"| {name} | {t['hand']:.2f} | {t['ignite']:.2f} | {t['oxignite']:.2f} | {ratio:.2f} | {verdict} |"
        )
        if records is not None:
            records.append(_record({**t, "ox/hand": ratio}, name=name))
    return rows, problems


def _record(t: dict, **labels: str) -> dict:
    """One measured row for ``--json``: median µs per iteration (or batch) of each lib."""
    return {**labels, **{lib: t[lib] for lib in LIBS}, "ox_over_hand": t["ox/hand"]}


def machine_info() -> dict:
    """Where and when the figures were taken (the header of ``--json`` files)."""
    import ignite

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pytorch_ignite": ignite.__version__,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def write_json(path: str, doc: dict) -> None:
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def _plain(x: Any) -> Any:
    return x.tolist() if isinstance(x, torch.Tensor) else x


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--iters", type=int, default=100 if QUICK else 1000, help="iterations per epoch"
    )
    parser.add_argument("--epochs", type=int, default=1 if QUICK else 3)
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 5)
    parser.add_argument("--clock", choices=CLOCKS, default="wall")
    parser.add_argument("--stacks", default="abcdefg", help="which stacks, e.g. 'ace'")
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures to PATH (read by scripts/charts.py)"
    )
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    stack_records: list = []
    metric_records: list = []
    print(
        f"--iters {args.iters} --epochs {args.epochs} --repeat {args.repeat} --clock {args.clock}"
        f"{' (quick)' if QUICK else ''}; median µs per iteration\n"
    )
    rows, problems = handler_rows(
        args.iters, args.epochs, args.repeat, clock, args.stacks, stack_records
    )
    print()
    rows, more = metric_rows(50 if QUICK else 400, args.repeat, clock, metric_records)
    print("\n".join(rows))
    if args.json:
        write_json(args.json, {
            "bench": "handlers",
            "machine": machine_info(),
            "args": {**vars(args), "quick": QUICK},
            "unit": "us per iteration (metrics: per batch), median",
            "stacks": stack_records,
            "metrics": metric_records,
            "mismatches": problems + more,
        })
    for p in problems + more:
        print(f"\nMISMATCH {p}", file=sys.stderr)
    return 1 if problems or more else 0


if __name__ == "__main__":
    sys.exit(main())
