"""The digits demo's training: data, model, the handlers, and the summary of a run.

The command line (``python -m oxignite.examples.digits``) lives in
:mod:`oxignite.examples.digits`, which imports this module (and so torch) only once its
arguments are parsed and its run folder is checked.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset
from torch.utils.data.distributed import DistributedSampler

import oxignite.distributed as idist
from oxignite import profiling
from oxignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from oxignite.examples.digits import (
    CHECKPOINT_DIR,
    SUMMARY_FILE,
    TENSORBOARD_DIR,
    continue_command,
    last_checkpoint,
    tensorboard_command,
    train_further_hint,
)
from oxignite.handlers import (
    Checkpoint,
    DiskSaver,
    EarlyStopping,
    ProgressBar,
    TensorboardLogger,
    TerminateOnSignal,
    global_step_from_engine,
)
from oxignite.metrics import Accuracy, Loss


def load_data(seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """Digits as (train, validation) TensorDatasets: 1,438 and 359 samples, pixels in [0, 1].

    Example::

        train_set, val_set = load_data()
        x, y = train_set[0]  # x: float tensor of 64 pixels, y: class index
    """
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32) / 16.0
    y = torch.tensor(y, dtype=torch.long)
    # Fixed split; 359 validation samples do not divide by 2: exact sharding matters.
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_val = 359
    val, train = order[:n_val], order[n_val:]
    return TensorDataset(x[train], y[train]), TensorDataset(x[val], y[val])


def build_model() -> nn.Module:
    """The MLP: 64 pixels -> 128 hidden units -> 10 classes.

    Example::

        logits = build_model()(torch.zeros(1, 64))  # shape (1, 10)
    """
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


class History:
    """Validation metrics of every epoch; saved in the "last" checkpoint so the summary of a
    resumed run covers all epochs.

    Example::

        h = History()
        h.add(1, {"accuracy": 0.9})
        h.best()  # {"epoch": 1, "accuracy": 0.9}
    """

    def __init__(self) -> None:
        self.records: list[dict] = []

    def add(self, epoch: int, metrics: dict) -> None:
        self.records.append({"epoch": epoch, **{k: float(v) for k, v in metrics.items()}})

    def best(self) -> dict | None:
        return max(self.records, key=lambda r: r["accuracy"], default=None)

    def state_dict(self) -> dict:
        return {"records": self.records}

    def load_state_dict(self, state: dict) -> None:
        self.records = [dict(r) for r in state["records"]]


def checkpoint_progress(path: str | Path) -> tuple[int, int]:
    """(epochs trained, early stopping's counter) stored in a "last" checkpoint."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    trainer = state["trainer"]
    epoch = trainer.get("epoch", trainer.get("iteration", 0) // trainer["epoch_length"])
    return int(epoch), int(state["early_stopping"]["counter"])


def training(local_rank: int, config: dict) -> None:
    """Train and evaluate in this process (one of ``world_size`` processes, or the only one).

    Example::

        with idist.Parallel(backend="gloo", nproc_per_node=2) as p:
            p.run(training, vars(parse_args([])))
    """
    rank, world_size = idist.get_rank(), idist.get_world_size()
    device = idist.device()
    out = Path(config["output_dir"])
    ckpt_dir, tb_dir = out / CHECKPOINT_DIR, out / TENSORBOARD_DIR
    torch.manual_seed(config["seed"])
    if "OMP_NUM_THREADS" not in os.environ:
        # This MLP is too small to gain from intra-op threads, which slow down badly (10x
        # measured) when the cores are shared with other processes.
        torch.set_num_threads(1)

    train_set, val_set = load_data(config["seed"])
    # An explicit DistributedSampler, also with one process: every process count then walks the
    # same shuffled order, rank r taking every world_size-th sample, so global batches are equal.
    train_sampler = DistributedSampler(
        train_set, num_replicas=world_size, rank=rank, shuffle=True, seed=config["seed"]
    )
    train_loader = idist.auto_dataloader(
        train_set, batch_size=config["batch_size"], sampler=train_sampler, drop_last=True
    )
    # shuffle=False: sharded without padding, so distributed metrics are exact.
    val_loader = idist.auto_dataloader(val_set, batch_size=256, shuffle=False)

    model = idist.auto_model(build_model())
    optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9))
    loss_fn = nn.CrossEntropyLoss()
    # deterministic: a run stopped in the middle of an epoch continues with the same batches.
    trainer = create_supervised_trainer(
        model, optimizer, loss_fn, device=device, deterministic=True
    )
    evaluator = create_supervised_evaluator(
        model, metrics={"accuracy": Accuracy(), "loss": Loss(loss_fn)}, device=device
    )
    history = History()
    pbar = None
    tb_logger = None
    if rank == 0:
        if not config["no_progress"]:
            pbar = ProgressBar(persist=False)
            pbar.attach(trainer, output_transform=lambda loss: {"loss": loss})
        tb_logger = TensorboardLogger(log_dir=str(tb_dir))
        tb_logger.attach_output_handler(
            trainer,
            event_name=Events.ITERATION_COMPLETED(every=5),
            tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
        tb_logger.attach_output_handler(
            evaluator,
            event_name=Events.COMPLETED,
            tag="validation",
            metric_names=["accuracy", "loss"],
            global_step_transform=global_step_from_engine(trainer),
        )

    @trainer.on(Events.EPOCH_STARTED)
    def reshuffle(engine: Engine) -> None:
        # A new order each epoch, the same on every rank. oxignite's Engine already does this
        # for a loader's sampler; ignite's does not, so the script stays portable.
        train_sampler.set_epoch(engine.state.epoch - 1)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        metrics = evaluator.run(val_loader).metrics
        history.add(engine.state.epoch, metrics)
        if rank == 0:
            message = (
                f"epoch {engine.state.epoch:3d}  val accuracy {metrics['accuracy']:.4f}"
                f"  val loss {metrics['loss']:.4f}"
            )
            if pbar is not None:
                pbar.log_message(message)
            else:
                print(message, flush=True)

    best = Checkpoint(
        {"model": model},
        DiskSaver(str(ckpt_dir), require_empty=False),
        filename_prefix="best",
        score_function=Checkpoint.get_default_score_fn("accuracy"),
        score_name="val_accuracy",
        n_saved=2,
        global_step_transform=global_step_from_engine(trainer),
    )
    evaluator.add_event_handler(Events.COMPLETED, best)
    early_stopping = EarlyStopping(
        patience=config["patience"],
        score_function=Checkpoint.get_default_score_fn("accuracy"),
        trainer=trainer,
    )
    evaluator.add_event_handler(Events.COMPLETED, early_stopping)
    # Registered after `validate`, so it stores the states this epoch's evaluation updated.
    to_resume = {
        "trainer": trainer,
        "model": model,
        "optimizer": optimizer,
        "best_checkpoint": best,
        "early_stopping": early_stopping,
        "history": history,
    }
    # include_self: the file also lists itself, so a resumed run deletes it when superseded.
    last = Checkpoint(
        to_resume,
        DiskSaver(str(ckpt_dir), require_empty=False),
        filename_prefix="last",
        n_saved=1,
        include_self=True,
    )
    trainer.add_event_handler(Events.EPOCH_COMPLETED, last)
    # SIGTERM (a cluster's notice), SIGUSR1 or Ctrl-C: finish the iteration, save, stop.
    stop = TerminateOnSignal(signals=(signal.SIGTERM, signal.SIGUSR1, signal.SIGINT))
    trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
    trainer.add_event_handler(Events.TERMINATE, last)

    start_epoch = 0
    if config["resume_from"]:
        path = config["resume_from"]
        state = torch.load(path, map_location=device, weights_only=True)
        Checkpoint.load_objects(to_load={**to_resume, "checkpointer": last}, checkpoint=state)
        start_epoch = trainer.state.epoch
        if rank == 0:
            print(f"Resumed from {path} at epoch {start_epoch}", flush=True)

    profile = config.get("profile") and rank == 0
    if profile:
        for engine in (trainer, evaluator):
            profiling.start(engine, capacity=1 << 20)
    started = time.perf_counter()
    # The command line only resumes unfinished runs (see digits.finished_run_message).
    trainer.run(train_loader, max_epochs=config["epochs"])
    elapsed = time.perf_counter() - started
    if profile:
        _write_profile(Path(config["profile"]), trainer, evaluator)
    if tb_logger is not None:
        tb_logger.close()

    idist.barrier()  # the files of rank 0 are all written
    if rank == 0 and stop.stopped:
        _write_stopped(config, out, trainer, stop, last)
    elif rank == 0:
        _write_summary(config, out, trainer, history, start_epoch, world_size, elapsed)


def _write_stopped(
    config: dict, out: Path, trainer: Engine, stop: TerminateOnSignal, last: Checkpoint
) -> None:
    """After a stop by a signal: the summary file says so, and one line says how to go on."""
    reason = stop.received_signal.name if stop.received_signal else "a signal to another process"
    state = trainer.state
    (out / SUMMARY_FILE).write_text(
        json.dumps(
            {
                "stopped_by_signal": reason,
                "epoch": state.epoch,
                "iteration": state.iteration,
                "checkpoint": str(last.last_checkpoint),
                "max_epochs": config["epochs"],
            },
            indent=2,
        )
    )
    print(
        f"Stopped by {reason} at epoch {state.epoch}, iteration {state.iteration}; saved "
        f"{last.last_checkpoint}. To continue: {continue_command(config)}",
        flush=True,
    )


def _write_profile(folder: Path, trainer: Engine, evaluator: Engine) -> None:
    """The run's Perfetto trace, and a timeline picture of its first two epochs."""
    engines = {"trainer": trainer, "evaluator": evaluator}
    trace = profiling.write_chrome_trace(folder / "trace.json", engines)
    spans = profiling.spans(trainer)
    ends = [s.end for s in spans if s.kind == "event" and s.name == "EPOCH_COMPLETED"]
    window = (0.0, ends[1] - spans[0].start) if len(ends) >= 2 else None
    picture = profiling.draw_timeline(folder / "timeline.png", engines, window=window)
    print(f"Profile: {trace} (open in ui.perfetto.dev) and {picture}", flush=True)


def _write_summary(
    config: dict,
    out: Path,
    trainer: Engine,
    history: History,
    start_epoch: int,
    world_size: int,
    elapsed: float,
) -> None:
    top = history.best()
    ckpt_dir, tb_dir = out / CHECKPOINT_DIR, out / TENSORBOARD_DIR
    early_stopped = trainer.state.epoch < config["epochs"]
    summary = {
        "best_val_accuracy": top["accuracy"] if top else None,
        "best_epoch": top["epoch"] if top else None,
        "final_val_accuracy": history.records[-1]["accuracy"] if history.records else None,
        "epochs": trainer.state.epoch,
        "start_epoch": start_epoch,
        "max_epochs": config["epochs"],
        "early_stopped": early_stopped,
        "world_size": world_size,
        "train_seconds": round(elapsed, 2),
        "best_checkpoints": sorted(p.name for p in ckpt_dir.glob("best_*.pt")),
        "last_checkpoint": str(last_checkpoint(ckpt_dir)),
        "checkpoint_dir": str(ckpt_dir),
        "tensorboard_dir": str(tb_dir),
        "history": history.records,
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    stopped = f"  stopped early (patience {config['patience']})" if early_stopped else ""
    lines = [
        "",
        "Digits MLP: summary",
        f"  processes            {world_size}",
        f"  epochs               {summary['epochs']} (from {start_epoch}, max {config['epochs']})"
        + stopped,
        f"  best val accuracy    {summary['best_val_accuracy']:.4f} (epoch {summary['best_epoch']})"
        if top
        else "  best val accuracy    n/a",
        f"  training time        {elapsed:.1f} s",
        f"  best checkpoints     {', '.join(summary['best_checkpoints'])}",
        f"  last checkpoint      {summary['last_checkpoint']}",
        f"  to train further     {train_further_hint(config, early_stopped)}",
        f"  summary              {out / SUMMARY_FILE}",
        f"  TensorBoard          {tensorboard_command(tb_dir)}",
    ]
    print("\n".join(lines), flush=True)
