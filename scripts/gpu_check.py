#!/usr/bin/env python
"""GPU checks of oxignite's typical handler stacks, in one command.

    python scripts/gpu_check.py              # on a CUDA machine; prints one table
    python scripts/gpu_check.py --cpu        # the same checks on the CPU (tests the script)

Checks, each isolated (a failing one does not stop the others; the exit status is 1 if any
failed), about a minute in all on one GPU:

- host syncs of the default stack (RunningAverage of the loss, ProgressBar showing it,
  TerminateOnNan, Timer) under ``torch.cuda.set_sync_debug_mode("warn")``: at most one read
  of the loss per iteration between the bar's redraws (ignite's count is shown beside);
- the non-syncing stack (``RunningAverage(keep_on_device=True)``, TerminateOnNan on
  ``ITERATION_COMPLETED(every=epoch_length)``, the bar, Timer) with a CUDA loss under
  ``set_sync_debug_mode("error")`` on every iteration between the bar's redraws, natives on
  (and off, where ``oxignite.natives`` has the switch);
- an evaluator with ``Accuracy`` and ``Loss`` kept on the device, under ``"error"`` for the
  whole pass, with ignite's values;
- a reused CUDA loss tensor written through ``.data`` (no ``_version`` bump), then NaN:
  RunningAverage's values and TerminateOnNan's stopping iteration against ignite's;
- AMP: ``create_supervised_trainer(..., amp_mode="amp", scaler=True)`` (a GradScaler) with the
  stack, its losses against ignite's;
- GpuInfo's metrics (needs ``pynvml<12``);
- with two GPUs, a 2-process ``nccl`` run (``idist.Parallel``) of the stack and an evaluator,
  in a subprocess with a time limit.

Without CUDA it says so and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

EPOCH_LENGTH = 20
MAX_EPOCHS = 2
BATCH = 64
NCCL_TIMEOUT_S = 150


class Skip(Exception):
    """A check that does not apply here (the reason is its message)."""


# -- helpers ---------------------------------------------------------------------------------


def _torch() -> Any:
    import torch

    return torch


def _ignite() -> Any:
    """pytorch-ignite's modules, or None when it is not installed."""
    try:
        import ignite.engine
        import ignite.handlers
        import ignite.metrics
    except ImportError:
        return None
    return ignite


def _oxignite() -> Any:
    import oxignite.engine
    import oxignite.handlers
    import oxignite.metrics

    return oxignite


@contextlib.contextmanager
def sync_debug(mode: str, device: Any) -> Iterator[None]:
    """``torch.cuda.set_sync_debug_mode(mode)`` for the body (nothing on the CPU)."""
    torch = _torch()
    if device.type != "cuda":
        yield
        return
    old = torch.cuda.get_sync_debug_mode()
    torch.cuda.set_sync_debug_mode(mode)
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode(old)


def _set_sync_mode(device: Any, mode: str) -> None:
    if device.type == "cuda":
        _torch().cuda.set_sync_debug_mode(mode)


def data(device: Any, seed: int = 0) -> list:
    """``EPOCH_LENGTH`` batches of a 4-class problem, already on ``device`` (a copy from the
    host would itself be a synchronizing operation)."""
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(16, 4, generator=g)
    batches = []
    for _ in range(EPOCH_LENGTH):
        x = torch.randn(BATCH, 16, generator=g)
        batches.append((x.to(device), (x @ w).argmax(dim=1).to(device)))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batches


def model_and_optimizer(device: Any, seed: int = 0) -> tuple:
    torch = _torch()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)
    ).to(device)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def _loss_tensor(x: Any, y: Any, y_pred: Any, loss: Any) -> Any:
    """The trainer's output: the loss as a tensor on its device (no ``.item()``)."""
    return loss.detach()


def trainer_of(lib: Any, device: Any) -> Any:
    """A trainer whose output is the loss tensor. Its model step (torch's, the same in both
    libraries) runs outside any sync-debug mode: what is checked is the handlers' reads."""
    torch = _torch()
    model, optimizer = model_and_optimizer(device)
    step = lib.engine.supervised_training_step(
        model, optimizer, torch.nn.CrossEntropyLoss(), device=device, output_transform=_loss_tensor
    )

    def model_step(engine: Any, batch: Any) -> Any:
        if device.type != "cuda":
            return step(engine, batch)
        mode = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("default")
        try:
            return step(engine, batch)
        finally:
            torch.cuda.set_sync_debug_mode(mode)

    return lib.engine.Engine(model_step)


def attach_stack(
    lib: Any,
    trainer: Any,
    file: io.StringIO,
    *,
    keep_on_device: bool = False,
    nan_every: int | None = None,
) -> tuple:
    """The typical stack: RunningAverage of the loss, a ProgressBar showing it and the loss,
    TerminateOnNan, a Timer per iteration. The bar redraws only on each epoch's first and
    last iteration (a long ``mininterval``), so the iterations in between show what the
    handlers themselves read."""
    Events = lib.engine.Events
    kwargs = {"keep_on_device": True} if keep_on_device else {}
    lib.metrics.RunningAverage(output_transform=lambda x: x, **kwargs).attach(trainer, "avg")
    lib.handlers.ProgressBar(persist=True, file=file, mininterval=3600).attach(
        trainer, metric_names="all", output_transform=lambda x: {"loss": x}
    )
    event = Events.ITERATION_COMPLETED
    if nan_every is not None:
        event = Events.ITERATION_COMPLETED(every=nan_every)
    trainer.add_event_handler(event, lib.handlers.TerminateOnNan())
    timer = lib.handlers.Timer(average=True).attach(
        trainer,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )
    return (timer,)


def _steady(engine: Any) -> bool:
    """An iteration between the epoch's first and last (where the bar does not redraw)."""
    step = (engine.state.iteration - 1) % EPOCH_LENGTH + 1
    return 1 < step < EPOCH_LENGTH


class SyncCounter:
    """Counts the synchronizing operations (``set_sync_debug_mode("warn")``'s warnings) of
    each steady iteration: ``start`` on ITERATION_STARTED before the handlers, ``end`` on
    ITERATION_COMPLETED after them, the run inside ``recording``."""

    def __init__(self) -> None:
        self.caught: list = []
        self.counts: list = []
        self._at_start = 0

    def _syncs(self) -> int:
        return sum("synchroniz" in str(message) for message in self.caught)

    def start(self, engine: Any) -> None:
        self._at_start = self._syncs()

    def end(self, engine: Any) -> None:
        if _steady(engine):
            self.counts.append(self._syncs() - self._at_start)

    @contextlib.contextmanager
    def recording(self, device: Any) -> Iterator[None]:
        with warnings.catch_warnings(), sync_debug("warn", device):
            warnings.simplefilter("always")
            warnings.showwarning = lambda message, *args, **kwargs: self.caught.append(message)
            yield


def errors_on_sync(lib: Any, engine: Any, device: Any, steady_only: bool = True) -> None:
    """Puts ``engine``'s iterations under ``set_sync_debug_mode("error")`` (the steady ones
    only, or all); call after attaching the handlers to check."""
    Events = lib.engine.Events
    engine.add_event_handler(
        Events.ITERATION_STARTED,
        lambda e: _set_sync_mode(device, "error") if not steady_only or _steady(e) else None,
    )
    engine.add_event_handler(
        Events.ITERATION_COMPLETED, lambda e: _set_sync_mode(device, "default")
    )


def _natives_modes() -> list:
    """``[(name, context)]``: natives on (even under OXIGNITE_NATIVES=0) and off, where
    oxignite has the switch; else the one mode there is."""
    try:
        from oxignite import natives
    except ImportError:
        return [("natives on", contextlib.nullcontext)]

    @contextlib.contextmanager
    def switched(flag: bool) -> Iterator[None]:
        before = natives.enabled()
        natives.set_enabled(flag)
        try:
            yield
        finally:
            natives.set_enabled(before)

    return [("natives on", lambda: switched(True)), ("natives off", lambda: switched(False))]


# -- the checks ------------------------------------------------------------------------------


def check_default_stack_syncs(device: Any) -> str:
    """The default stack with a tensor loss: at most one synchronizing read per iteration."""
    ox = _oxignite()
    ig = _ignite()
    results = []
    for name, lib in [("oxignite", ox)] + ([("ignite", ig)] if ig else []):
        trainer = trainer_of(lib, device)
        counter = SyncCounter()
        trainer.add_event_handler(lib.engine.Events.ITERATION_STARTED, counter.start)
        attach_stack(lib, trainer, io.StringIO())
        trainer.add_event_handler(lib.engine.Events.ITERATION_COMPLETED, counter.end)
        with counter.recording(device):
            trainer.run(data(device), max_epochs=MAX_EPOCHS)
        results.append((name, sum(counter.counts) / max(len(counter.counts), 1)))
    ours = results[0][1]
    detail = ", ".join(f"{name} {per:.2f}" for name, per in results)
    if ours > 1:
        raise AssertionError(f"more than one sync per iteration: {detail}")
    return f"syncs per iteration: {detail}"


def check_non_syncing_stack(device: Any) -> str:
    """keep_on_device, TerminateOnNan every epoch, the bar, Timer: no sync between redraws."""
    ox = _oxignite()
    torch = _torch()
    done = []
    for mode, context in _natives_modes():
        trainer = trainer_of(ox, device)
        attach_stack(ox, trainer, io.StringIO(), keep_on_device=True, nan_every=EPOCH_LENGTH)
        errors_on_sync(ox, trainer, device)
        with context():
            state = trainer.run(data(device), max_epochs=MAX_EPOCHS)
        average = state.metrics["avg"]
        if not (isinstance(average, torch.Tensor) and average.device.type == device.type):
            raise AssertionError(f"{mode}: the running average is {average!r}, not on {device}")
        if state.iteration != EPOCH_LENGTH * MAX_EPOCHS:
            raise AssertionError(f"{mode}: stopped at iteration {state.iteration}")
        done.append(mode)
    return f"no sync between redraws ({', '.join(done)})"


def check_evaluator(device: Any) -> str:
    """Accuracy and Loss kept on the device: no sync in the pass; ignite's values."""
    torch = _torch()
    values = {}
    for name, lib in [("oxignite", _oxignite()), ("ignite", _ignite())]:
        if lib is None:
            continue
        model, _ = model_and_optimizer(device)
        criterion = torch.nn.CrossEntropyLoss()
        evaluator = lib.engine.create_supervised_evaluator(model, device=device)
        lib.metrics.Accuracy(device=device).attach(evaluator, "accuracy")
        lib.metrics.Loss(criterion, device=device).attach(evaluator, "loss")
        if name == "oxignite":
            errors_on_sync(lib, evaluator, device, steady_only=False)
        values[name] = dict(evaluator.run(data(device, seed=1)).metrics)
    ours = values["oxignite"]
    if "ignite" in values:
        theirs = values["ignite"]
        for key in ("accuracy", "loss"):
            if not math.isclose(ours[key], theirs[key], rel_tol=1e-6, abs_tol=1e-9):
                raise AssertionError(f"{key}: oxignite {ours[key]} vs ignite {theirs[key]}")
    same = " (= ignite)" if "ignite" in values else " (ignite not installed)"
    return f"accuracy {ours['accuracy']:.4f}, loss {ours['loss']:.4f}{same}"


def check_reused_loss_tensor(device: Any) -> str:
    """One CUDA loss tensor written through ``.data`` each iteration (no version bump), NaN
    at the 4th: RunningAverage's values and the stopping iteration as in ignite."""
    torch = _torch()
    sequence = [1.0, 2.0, 3.0, math.nan, 5.0, 6.0]
    expected_stop = 4
    observed = {}
    libs = [(mode, _oxignite(), context) for mode, context in _natives_modes()]
    if _ignite() is not None:
        libs.append(("ignite", _ignite(), contextlib.nullcontext))
    for name, lib, context in libs:
        loss = torch.zeros((), device=device)

        def step(engine: Any, batch: Any, loss: Any = loss) -> Any:
            loss.data.copy_(torch.tensor(sequence[engine.state.iteration - 1], device=device))
            return loss

        engine = lib.engine.Engine(step)
        lib.metrics.RunningAverage(output_transform=lambda x: x, alpha=0.5).attach(engine, "avg")
        engine.add_event_handler(
            lib.engine.Events.ITERATION_COMPLETED, lib.handlers.TerminateOnNan()
        )
        averages: list = []
        engine.add_event_handler(
            lib.engine.Events.ITERATION_COMPLETED,
            lambda e, seen=averages: seen.append(e.state.metrics["avg"]),
        )
        with context():
            engine.run(range(len(sequence)), max_epochs=1)
        observed[name] = (engine.state.iteration, [repr(float(v)) for v in averages])
    for name, (stop, averages) in observed.items():
        if stop != expected_stop or averages[:3] != ["1.0", "1.5", "2.25"]:
            raise AssertionError(f"{name}: stopped at {stop}, averages {averages}")
    return f"stopped at {expected_stop}, averages 1, 1.5, 2.25 ({', '.join(observed)})"


def check_amp(device: Any) -> str:
    """create_supervised_trainer(amp_mode="amp", scaler=True) with the stack."""
    torch = _torch()
    if device.type != "cuda":
        raise Skip("AMP with a GradScaler is checked on CUDA")
    losses = {}
    scaler_kind = None
    for name, lib in [("oxignite", _oxignite()), ("ignite", _ignite())]:
        if lib is None:
            continue
        model, optimizer = model_and_optimizer(device)
        trainer = lib.engine.create_supervised_trainer(
            model,
            optimizer,
            torch.nn.CrossEntropyLoss(),
            device=device,
            amp_mode="amp",
            scaler=True,
        )
        attach_stack(lib, trainer, io.StringIO())
        seen: list = []
        trainer.add_event_handler(
            lib.engine.Events.ITERATION_COMPLETED, lambda e, seen=seen: seen.append(e.state.output)
        )
        state = trainer.run(data(device), max_epochs=MAX_EPOCHS)
        if name == "oxignite":
            scaler_kind = type(getattr(state, "scaler", None)).__name__
            if scaler_kind != "GradScaler":
                raise AssertionError(f"trainer.state.scaler is a {scaler_kind}")
        losses[name] = seen
    ours = losses["oxignite"]
    if len(ours) != EPOCH_LENGTH * MAX_EPOCHS or not all(math.isfinite(v) for v in ours):
        raise AssertionError(f"losses: {ours}")
    if "ignite" in losses:
        worst = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, losses["ignite"]))
        if worst > 1e-3 or len(ours) != len(losses["ignite"]):
            raise AssertionError(f"losses differ from ignite's (relative {worst:.2e})")
        return f"{scaler_kind}; losses {ours[0]:.4f} -> {ours[-1]:.4f}, = ignite (rel {worst:.1e})"
    return f"{scaler_kind}; losses {ours[0]:.4f} -> {ours[-1]:.4f}"


def check_gpu_info(device: Any) -> str:
    if device.type != "cuda":
        raise Skip("GpuInfo needs CUDA")
    try:
        import pynvml  # noqa: F401
    except ImportError:
        raise Skip("pynvml is not installed (pip install 'pynvml<12')") from None
    ox = _oxignite()
    engine = ox.engine.Engine(lambda e, b: None)
    ox.metrics.GpuInfo().attach(engine, name="gpu")
    state = engine.run(range(3), max_epochs=1)
    figures = {k: v for k, v in state.metrics.items() if k.startswith("gpu:")}
    if "gpu:0 mem(%)" not in figures:
        raise AssertionError(f"no memory figure in {state.metrics}")
    bad = {k: v for k, v in figures.items() if not (isinstance(v, int) and 0 <= v <= 100)}
    if bad:
        raise AssertionError(f"figures out of range: {bad}")
    return ", ".join(f"{k} = {v}" for k, v in sorted(figures.items()))


def check_two_process(device: Any) -> str:
    """A 2-process run (nccl on two GPUs; gloo with --cpu), in a subprocess with a limit."""
    torch = _torch()
    if device.type == "cuda" and torch.cuda.device_count() < 2:
        raise Skip(f"{torch.cuda.device_count()} GPU (needs 2)")
    backend = "nccl" if device.type == "cuda" else "gloo"
    command = [sys.executable, os.path.abspath(__file__), "--worker", backend]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=NCCL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"no result in {NCCL_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise AssertionError(f"exit {done.returncode}: {(done.stderr or done.stdout)[-1500:]}")
    return f"{backend}: " + done.stdout.strip().splitlines()[-1]


def _distributed_training(local_rank: int, backend: str) -> None:
    """Each process: the stack on its own shard, an evaluator with Accuracy, and checks that
    the ranks agree."""
    import oxignite.distributed as idist

    torch = _torch()
    ox = _oxignite()
    device = idist.device()
    model, optimizer = model_and_optimizer(device)
    model = idist.auto_model(model)
    optimizer = idist.auto_optim(optimizer)
    batches = data(torch.device("cpu"))
    dataset = torch.utils.data.TensorDataset(
        torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches])
    )
    loader = idist.auto_dataloader(dataset, batch_size=BATCH, shuffle=False)
    trainer = ox.engine.create_supervised_trainer(
        model, optimizer, torch.nn.CrossEntropyLoss(), device=device
    )
    attach_stack(ox, trainer, io.StringIO())
    evaluator = ox.engine.create_supervised_evaluator(
        model, metrics={"accuracy": ox.metrics.Accuracy()}, device=device
    )
    trainer.add_event_handler(ox.engine.Events.COMPLETED, lambda e: evaluator.run(loader))
    trainer.run(loader, max_epochs=MAX_EPOCHS)
    total = idist.all_reduce(torch.tensor(float(idist.get_rank() + 1), device=device))
    if float(total) != 3.0:
        raise AssertionError(f"all_reduce gave {float(total)}")
    accuracy = evaluator.state.metrics["accuracy"]
    accuracies = idist.all_gather(accuracy)
    if len(set(accuracies)) != 1:
        raise AssertionError(f"ranks disagree on the accuracy: {accuracies}")
    if idist.get_rank() == 0:
        print(f"world size {idist.get_world_size()}, accuracy {accuracy:.4f} on every rank")


def worker(backend: str) -> int:
    import oxignite.distributed as idist

    with idist.Parallel(backend=backend, nproc_per_node=2) as parallel:
        parallel.run(_distributed_training, backend)
    return 0


CHECKS: list[tuple[str, Callable[[Any], str]]] = [
    ("default stack: host syncs", check_default_stack_syncs),
    ('non-syncing stack, sync_debug_mode("error")', check_non_syncing_stack),
    ('evaluator Accuracy+Loss, "error"', check_evaluator),
    ("reused loss tensor, .data writes, NaN", check_reused_loss_tensor),
    ('AMP (amp_mode="amp", GradScaler)', check_amp),
    ("GpuInfo", check_gpu_info),
    ("2 processes", check_two_process),
]


def run_checks(device: Any, only: list[str] | None = None) -> list[tuple[str, str, float, bool]]:
    """Each check in turn: ``(name, result, seconds, failed)``; a failure's traceback goes
    to stderr."""
    torch = _torch()
    rows = []
    for name, check in CHECKS:
        if only and not any(word in name for word in only):
            continue
        start = time.perf_counter()
        failed = False
        try:
            result = "ok: " + check(device)
        except Skip as e:
            result = f"skipped: {e}"
        except Exception as e:  # noqa: BLE001 - one failing check must not stop the others
            failed = True
            first_line = (str(e).strip().splitlines() or [""])[0][:160]
            result = f"FAILED: {type(e).__name__}: {first_line}"
            print(f"--- {name} ---", file=sys.stderr)
            traceback.print_exc()
        finally:
            if device.type == "cuda":
                torch.cuda.set_sync_debug_mode("default")
                with contextlib.suppress(Exception):
                    torch.cuda.synchronize()
        rows.append((name, result, time.perf_counter() - start, failed))
    return rows


def print_table(rows: list, header: str) -> None:
    width = max(len(name) for name, *_ in rows)
    print(header)
    print(f"{'check':<{width}}  {'time':>6}  result")
    for name, result, seconds, _ in rows:
        print(f"{name:<{width}}  {seconds:5.1f}s  {result}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cpu", action="store_true", help="run the checks on the CPU (tests this script)"
    )
    parser.add_argument("--only", nargs="*", help="run the checks whose names contain a word")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # the 2-process check's child
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    torch = _torch()
    if args.cpu:
        device = torch.device("cpu")
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    else:
        print("CUDA is not available (torch.cuda.is_available() is False): no GPU check to run.")
        return 0
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    header = (
        f"oxignite GPU checks on {name} (torch {torch.__version__}, "
        f"{torch.cuda.device_count() if device.type == 'cuda' else 0} GPU(s))"
    )
    rows = run_checks(device, args.only)
    print_table(rows, header)
    return 1 if any(failed for *_, failed in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
