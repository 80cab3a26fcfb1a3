"""Metrics in 2 gloo processes equal one process over the whole data set."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
from _spawn import load_worker, run_worker

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed gloo"
)

WORKER = "_dist_worker.py"


def _load_worker():
    return load_worker(WORKER)


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    return run_worker(WORKER, tmp_path_factory.mktemp("dist_metrics"), timeout=180)


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
