"""Run by ``test_accelerate_children.py``, plain and under ``python -m oxignite.accelerate``:
each kind of child process reports which code serves ``ignite`` in it.

    python children_script.py KIND[,KIND...] OUT_DIR   # spawn, subprocess, dataloader, torchrun

Every report is one JSON line per process in ``OUT_DIR``: ignite's Engine's and Accuracy's
module, the accelerate mode and a value computed in the child (the same on both sides).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import torch


def report(out_dir: str, name: str, value: object) -> None:
    import ignite.engine
    import ignite.metrics

    mode = None
    if "oxignite.accelerate" in sys.modules:
        mode = sys.modules["oxignite.accelerate"].mode()
    with open(os.path.join(out_dir, name + ".json"), "w") as file:
        json.dump({
            "engine": ignite.engine.Engine.__module__,
            "accuracy": ignite.metrics.Accuracy.__module__,
            "mode": mode,
            "value": value,
        }, file)


def parallel_job(local_rank: int, out_dir: str) -> None:
    import ignite.distributed as idist

    total = idist.all_reduce(torch.tensor(float(idist.get_rank() + 1))).item()
    report(out_dir, f"rank{idist.get_rank()}", [idist.get_world_size(), total])


class Squares(torch.utils.data.Dataset):
    """A dataset whose items say which code serves ignite in the worker that loads them."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> int:
        info = torch.utils.data.get_worker_info()
        report(self.out_dir, f"worker{info.id}", info.num_workers)
        return index * index


def main(kinds: str, out_dir: str) -> None:
    if kinds != "torchrun_worker":
        report(out_dir, "parent", kinds)
    for kind in kinds.split(","):
        start(kind, out_dir)


def start(kind: str, out_dir: str) -> None:
    if kind == "spawn":
        import ignite.distributed as idist

        with idist.Parallel(backend="gloo", nproc_per_node=2) as parallel:
            parallel.run(parallel_job, out_dir)
    elif kind == "subprocess":
        code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
                f"import children_script as c; c.report({out_dir!r}, 'child', 2 + 2)")
        subprocess.run([sys.executable, "-c", code], check=True)
        off = {**os.environ, "OXIGNITE_ACCELERATE": "0"}
        subprocess.run([sys.executable, "-c", code.replace("'child'", "'child_off'")],
                       check=True, env=off)
    elif kind == "torchrun":
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc-per-node", "2", __file__, "torchrun_worker", out_dir],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif kind == "torchrun_worker":  # in each of torchrun's workers
        report(out_dir, f"torchrun{os.environ['RANK']}", os.environ["WORLD_SIZE"])
    elif kind == "dataloader":
        loader = torch.utils.data.DataLoader(
            Squares(out_dir), batch_size=2, num_workers=2, multiprocessing_context="spawn"
        )
        report(out_dir, "batches", [batch.tolist() for batch in loader])
    else:
        raise SystemExit(f"unknown kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
