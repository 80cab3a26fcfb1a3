"""Preemption suite: jobs stopped by SIGTERM to their whole process group continue exactly
when started again.

Each job (``_preemption_job.train``) runs in a forked child of this process (torch is imported
once; see test_fault_recovery.py) that leads its own process group with its DataLoader workers.
A scenario signals it several times at seeded moments — at the fetch of a seeded batch (the
workers are loading then), inside a seeded checkpoint write after a seeded number of bytes,
and from this process once the job has reported a seeded number of iterations — and starts it
again after each stop until it finishes. Every stop must be graceful (the job's own exit code,
never a death by the signal), leave a checkpoint of exactly the last iteration it ran and no
temporary file; the final weights must be ``torch.equal`` to an uninterrupted run's, and every
iteration must run exactly once with the uninterrupted run's loss. The same with
``DiskSaver(async_save=True)``. Synchronisation is through a pipe and process exit, never sleeps.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from pathlib import Path

import pytest
import torch

from . import _preemption_dist_job, _preemption_job
from ._job_tools import CONTEXT, JOB_TIMEOUT, read_trace, run_job

TOTAL_ITERATIONS = 8 * _preemption_job.MAX_EPOCHS


def _run_job(workdir: Path, async_save: bool, signal_at: tuple | None = None) -> int:
    """Runs the job until it exits; returns its exit code."""
    job_signal = None if signal_at is None or signal_at[0] == "parent" else signal_at
    parent_signal = signal_at[1] if signal_at is not None and signal_at[0] == "parent" else None
    return run_job(
        _preemption_job.train,
        (str(workdir), async_save, job_signal),
        parent_signal,
        lambda pid: os.killpg(pid, signal.SIGTERM),  # the job leads its process group
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("uninterrupted")
    assert _run_job(workdir, async_save=False) == 0
    return workdir


def _plan(seed: int, checkpoint_size: int) -> list[tuple]:
    rng = random.Random(seed)
    plan = [
        ("loading", rng.randint(2, 8)),
        ("save", rng.randint(1, 2), rng.randint(1, checkpoint_size - 1)),
        ("parent", rng.randint(1, 6)),
    ]
    rng.shuffle(plan)
    return plan


@pytest.mark.parametrize(("seed", "async_save"), [(0, False), (1, True)])
def test_signalled_job_continues_exactly(
    reference: Path, tmp_path: Path, seed: int, async_save: bool
) -> None:
    ckpt_dir = tmp_path / "ckpt"
    checkpoint_size = min(p.stat().st_size for p in (reference / "ckpt").glob("*.pt"))
    for signal_at in _plan(seed, checkpoint_size):
        code = _run_job(tmp_path, async_save, signal_at)
        assert code == _preemption_job.STOPPED, (signal_at, code)  # stopped, not killed
        # The stop saved exactly the last iteration that ran; no temporary file is left.
        last_iteration = read_trace(tmp_path)[-1][0]
        assert (ckpt_dir / f"checkpoint_{last_iteration}.pt").exists(), signal_at
        assert not [n for n in os.listdir(ckpt_dir) if n.endswith(".tmp")], signal_at
        for path in ckpt_dir.glob("*.pt"):
            torch.load(path, weights_only=True)
    assert _run_job(tmp_path, async_save) == 0

    final = torch.load(tmp_path / "final.pt", weights_only=True)
    expected = torch.load(reference / "final.pt", weights_only=True)
    assert final.keys() == expected.keys()
    for name, value in expected.items():
        assert torch.equal(final[name], value), name

    # Every iteration ran exactly once, with the uninterrupted run's loss.
    assert read_trace(tmp_path) == read_trace(reference)
    assert [it for it, _ in read_trace(reference)] == list(range(1, TOTAL_ITERATIONS + 1))
    assert len(list(ckpt_dir.glob("*.pt"))) == 2  # n_saved kept pruning across restarts


def test_distributed_signal_to_one_rank_stops_both_at_the_same_iteration(tmp_path: Path) -> None:
    """2 gloo processes; SIGTERM to rank 1 only, during iteration 7: both ranks stop after
    iteration 8 (the next all-reduce, every 4 iterations), and started again they finish with
    the uninterrupted run's losses and weights (``_preemption_dist_job``)."""
    dist = pytest.importorskip("torch.distributed")
    if not (dist.is_available() and dist.is_gloo_available()):
        pytest.skip("needs torch.distributed gloo")
    procs = [
        CONTEXT.Process(target=_preemption_dist_job.scenario, args=(rank, str(tmp_path)))
        for rank in range(2)
    ]
    for proc in procs:
        proc.start()
    watchdog = threading.Timer(JOB_TIMEOUT, lambda: [p.kill() for p in procs])
    watchdog.start()
    for proc in procs:
        proc.join()
    watchdog.cancel()
    assert [proc.exitcode for proc in procs] == [0, 0]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for rank, result in enumerate(ranks):
        stopped, resumed, reference = result["stopped"], result["resumed"], result["reference"]
        assert stopped["iteration"] == 8 and stopped["stopped"], rank
        assert stopped["received"] == ("SIGTERM" if rank == 1 else None)
        assert resumed["iteration"] == reference["iteration"] == 24
        assert not resumed["stopped"]
        # Every iteration ran once, with the uninterrupted run's loss, and the same weights.
        assert stopped["trace"] + resumed["trace"] == reference["trace"], rank
        assert resumed["weights"] == reference["weights"], rank
    assert ranks[0]["reference"]["trace"] != ranks[1]["reference"]["trace"]  # own batches
