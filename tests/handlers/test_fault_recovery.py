"""Fault suite: training jobs killed with SIGKILL at seeded points resume exactly.

Each job (``_fault_job.train``) runs in a forked child of this process, which has imported
torch once, so jobs start in milliseconds (a fork server would re-import the test runner in
every job; spawning would re-import torch: seconds each). A scenario kills it several times
(after a seeded number of iterations from inside the job; inside ``torch.save`` of a
checkpoint after a seeded number of bytes; or from this process, once the job has reported a
seeded number of iterations, so that the kill lands wherever the job is), resumes it from
its newest checkpoint each time, and finally lets it finish. The final weights must be
``torch.equal`` to an uninterrupted run's, every iteration's loss (also those run twice)
bit-identical to that run's, every checkpoint loadable with ``weights_only=True``, and no
temporary file may be left. Synchronisation is through a pipe and process exit, never
sleeps.
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest
import torch

from . import _fault_job
from ._job_tools import read_trace, run_job

TOTAL_ITERATIONS = 8 * _fault_job.MAX_EPOCHS


def _run_job(workdir: Path, kill: tuple | None = None) -> int:
    """Runs the job until it exits; returns its exit code (-9 when killed)."""
    job_kill = None if kill is None or kill[0] == "parent" else kill
    parent_kill = kill[1] if kill is not None and kill[0] == "parent" else None
    return run_job(
        _fault_job.train,
        (str(workdir), job_kill),
        parent_kill,
        lambda pid: os.kill(pid, signal.SIGKILL),
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("uninterrupted")
    assert _run_job(workdir) == 0
    return workdir


def _plan(seed: int, checkpoint_size: int) -> list[tuple]:
    rng = random.Random(seed)
    # The first kill is inside a save of the fresh job (which saves 5 times); the others
    # are of every kind, in a seeded order, each counted from the resumed job's start.
    first = ("save", rng.randint(1, 3), rng.randint(1, checkpoint_size - 1))
    rest = [
        ("iteration", rng.randint(1, 8)),
        ("parent", rng.randint(1, 8)),
        ("save", 1, rng.randint(1, checkpoint_size - 1)),
        ("parent", rng.randint(1, 8)),
    ]
    rng.shuffle(rest)
    return [first, *rest]


@pytest.mark.parametrize("seed", [0, 1])
def test_killed_job_resumes_bit_exactly(reference: Path, tmp_path: Path, seed: int) -> None:
    ckpt_dir = reference / "ckpt"
    checkpoint_size = (ckpt_dir / "checkpoint_30.pt").stat().st_size
    kills_inside_save = 0
    for kill in _plan(seed, checkpoint_size):
        code = _run_job(tmp_path, kill)
        if code == 0:
            break  # the job finished before the planned point
        assert code == -signal.SIGKILL, kill
        if kill[0] == "save":
            # The kill left the partial temporary file of that save behind.
            assert any(name.endswith(".tmp") for name in os.listdir(tmp_path / "ckpt")), kill
            kills_inside_save += 1
        # Every checkpoint on disk is whole and loads as Checkpoint.load_objects loads it.
        for path in (tmp_path / "ckpt").glob("*.pt"):
            torch.load(path, weights_only=True)
    else:
        assert _run_job(tmp_path) == 0
    assert kills_inside_save >= 1

    final = torch.load(tmp_path / "final.pt", weights_only=True)
    expected = torch.load(reference / "final.pt", weights_only=True)
    assert final.keys() == expected.keys()
    for name, value in expected.items():
        assert torch.equal(final[name], value), name

    expected_trace = dict(read_trace(reference))
    assert sorted(expected_trace) == list(range(1, TOTAL_ITERATIONS + 1))
    trace = read_trace(tmp_path)
    assert len(trace) > TOTAL_ITERATIONS  # some iterations ran again after a resume
    for iteration, loss in trace:
        assert loss == expected_trace[iteration], iteration
    assert {it for it, _ in trace} == set(expected_trace)

    # The saves killed mid-write left temporary files; the resumed jobs removed them.
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert names == sorted(os.listdir(ckpt_dir)) == ["checkpoint_24.pt", "checkpoint_30.pt"]
    for name in names:
        saved = torch.load(tmp_path / "ckpt" / name, weights_only=True)
        reference_saved = torch.load(ckpt_dir / name, weights_only=True)
        assert _same_tree(saved, reference_saved), name


def _same_tree(a: object, b: object) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            _same_tree(a[k], b[k]) for k in a
        )
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_same_tree(x, y) for x, y in zip(a, b))
        )
    return a == b
