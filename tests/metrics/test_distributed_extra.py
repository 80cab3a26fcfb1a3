"""The metrics of issue 11 in 2 gloo processes over uneven shards equal one process over the
whole data set: nothing is padded or counted twice."""

from __future__ import annotations

import pytest
import torch.distributed as dist
from _spawn import load_worker, run_worker

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed gloo"
)
pytest.importorskip("sklearn")

WORKER = "_dist_worker_extra.py"


def _load_worker():
    return load_worker(WORKER)


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    return run_worker(WORKER, tmp_path_factory.mktemp("dist_metrics_extra"), timeout=300)


@pytest.fixture(scope="module")
def single_process():
    worker = _load_worker()
    return worker.evaluate(worker.make_batches())


def _close(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == pytest.approx(b, rel=1e-6, abs=1e-9)


def test_shards_are_uneven(rank_results):
    assert [r["samples"] for r in rank_results] == [39 * 13, 38 * 13]


@pytest.mark.parametrize("name", sorted(_load_worker().make_metrics()))
def test_equals_single_process(rank_results, single_process, name):
    for result in rank_results:
        assert _close(result[name], single_process[name]), name


def test_frequency_reduces_without_deadlock(rank_results):
    assert all(r["frequency_positive"] for r in rank_results)
