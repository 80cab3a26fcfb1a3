"""The distributed job of the preemption suite, run by :func:`scenario` in each of two
processes forked by the test (torch is imported once), joined in a gloo process group.

The two processes train a DDP model with a shuffling DistributedSampler
and ``create_supervised_trainer(..., deterministic=True)`` three times, with fresh objects
each time, as three starts of a script would: uninterrupted (the reference); then with
TerminateOnSignal and a Checkpoint (rank 0 writes) every few iterations and at TERMINATE,
where rank 1 alone sends itself SIGTERM; then started again, resuming with
``resume_from_latest``. Each rank writes what it saw to ``OUT_DIR/rank{r}.json``.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import oxignite.distributed as idist
import torch
from oxignite.engine import Events, create_supervised_trainer
from oxignite.handlers import Checkpoint, DiskSaver, TerminateOnSignal, resume_from_latest
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

SIGNAL_AT = 7  # rank 1 gets SIGTERM during this iteration
SYNC_EVERY = 4  # so both ranks stop after iteration 8
MAX_EPOCHS = 3  # 8 iterations per epoch and rank


def _train(workdir: Path, preemptible: bool) -> dict[str, Any]:
    rank = idist.get_rank()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 16, generator=g)
    y = x[:, :4].argmax(dim=1)
    sampler = DistributedSampler(TensorDataset(x, y), shuffle=True, seed=3)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, sampler=sampler)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 4))
    ddp = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.2, momentum=0.9)
    trainer = create_supervised_trainer(ddp, optimizer, nn.CrossEntropyLoss(), deterministic=True)
    trace: list[list] = []
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED,
        lambda e: trace.append([e.state.iteration, float(e.state.output).hex()]),
    )
    stop = None
    if preemptible:
        stop = TerminateOnSignal(sync_every=SYNC_EVERY)
        trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
        to_save = {"model": ddp, "optimizer": optimizer, "trainer": trainer}
        saver = DiskSaver(workdir / "ckpt", require_empty=False)
        checkpoint = Checkpoint(to_save, saver, n_saved=2, include_self=True)
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=5), checkpoint)
        trainer.add_event_handler(Events.TERMINATE, checkpoint)
        if resume_from_latest(checkpoint) is None and rank == 1:
            trainer.add_event_handler(
                Events.ITERATION_STARTED(once=SIGNAL_AT),
                lambda: os.kill(os.getpid(), signal.SIGTERM),
            )
    trainer.run(loader, max_epochs=MAX_EPOCHS)
    return {
        "iteration": trainer.state.iteration,
        "trace": trace,
        "weights": [p.detach().flatten().tolist() for p in model.parameters()],
        "stopped": None if stop is None else stop.stopped,
        "received": None
        if stop is None or stop.received_signal is None
        else stop.received_signal.name,
    }


def scenario(rank: int, out_dir: str) -> None:
    """Rank ``rank`` of 2: joins the group through a file store in ``out_dir``, runs the three
    trainings, writes ``rank{rank}.json``."""
    os.environ.update(LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2")
    torch.set_num_threads(1)
    store = Path(out_dir, "store")
    torch.distributed.init_process_group(
        "gloo", init_method=f"file://{store}", rank=rank, world_size=2
    )
    try:
        _scenario(out_dir)
    finally:
        torch.distributed.destroy_process_group()


def _scenario(out_dir: str) -> None:
    out = Path(out_dir)
    reference = _train(out / "reference", preemptible=False)
    stopped = _train(out / "run", preemptible=True)
    resumed = _train(out / "run", preemptible=True)
    result = {"reference": reference, "stopped": stopped, "resumed": resumed}
    Path(out, f"rank{idist.get_rank()}.json").write_text(json.dumps(result))
