"""Metrics in 2 gloo processes equal one process over the whole data set."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import oxignite.distributed as idist
import pytest
import torch
import torch.distributed as dist

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed gloo"
)

WORKER = Path(__file__).with_name("_dist_worker.py")


def _load_worker():
    spec = importlib.util.spec_from_file_location("_oxignite_metrics_dist_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist_metrics")
    env = dict(os.environ)
    package_root = str(Path(idist.__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_PORT"):
        env.pop(key, None)
    proc = subprocess.run(
        [sys.executable, str(WORKER), str(out)],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


def _close(a, b):
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == pytest.approx(b, rel=1e-6)


def test_reduced_metrics_equal_single_process(rank_results):
    worker = _load_worker()
    y_pred, y = worker.make_data()
    expected = worker.evaluate(y_pred, y)
    for result in rank_results:
        for name, value in expected.items():
            assert _close(result[name], value), name


def test_local_state_is_not_reduced(rank_results):
    # 101 samples split in 51 + 50; compute() reduces a copy only.
    assert [r["local_examples_after_compute"] for r in rank_results] == [51, 50]


def test_running_average_averages_processes(rank_results):
    # Rank r feeds r, r + 1, r + 2: the process mean is 0.5, 1.5, 2.5.
    expected = 0.5
    for v in (1.5, 2.5):
        expected = 0.5 * expected + 0.5 * v
    assert [r["running"] for r in rank_results] == pytest.approx([expected, expected])


def test_state_dict_holds_every_rank(rank_results):
    assert [r["state_dict_ranks"] for r in rank_results] == [2, 2]


def test_same_confusion_matrix_on_every_rank(rank_results):
    worker = _load_worker()
    y_pred, y = worker.make_data()
    total = torch.zeros(4, 4, dtype=torch.int64)
    for t, p in zip(y, y_pred.argmax(1)):
        total[t, p] += 1
    assert rank_results[0]["confusion"] == rank_results[1]["confusion"] == total.tolist()
