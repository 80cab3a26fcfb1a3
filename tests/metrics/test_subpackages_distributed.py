"""Every metric of the metric subpackages in 2 gloo processes over uneven shards equals one
process over the whole data set (one spawned run for all of them)."""

from __future__ import annotations

import math

import pytest
import torch.distributed as dist
from _spawn import load_worker, run_worker

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed gloo"
)

WORKER = "_subpackages_dist_worker.py"


def _load_worker():
    return load_worker(WORKER)


@pytest.fixture(scope="module")
def worker():
    return _load_worker()


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    return run_worker(WORKER, tmp_path_factory.mktemp("dist_subpackages"), timeout=300)


@pytest.fixture(scope="module")
def single_process(worker):
    return worker.evaluate(worker.make_data())


def _close(a, b):
    if isinstance(a, dict):
        return list(a) == list(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == pytest.approx(b, rel=1e-6, abs=1e-9)


def test_every_subpackage_metric_is_covered(worker):
    names = set(worker.make_metrics())
    from oxignite.metrics import regression

    assert {f"regression.{n}" for n in regression.__all__} <= names
    assert len(names) == len(regression.__all__) + 19


def test_shards_are_uneven(worker):
    data = worker.make_data()
    sizes = [len(worker.shard(data, r)["reg"][0]) for r in range(2)]
    assert sizes == [501, 500]


def test_two_processes_equal_one(rank_results, single_process):
    mismatches = [
        (rank, name)
        for rank, result in enumerate(rank_results)
        for name, value in single_process.items()
        if not _close(result[name], value)
    ]
    assert not mismatches, [
        (r, n, rank_results[r][n], single_process[n]) for r, n in mismatches[:5]
    ]


def test_values_are_not_trivial(single_process):
    # Guard against a data set that makes every metric 0 or NaN.
    assert 0 < single_process["bleu_macro"] < 1
    assert 0 < single_process["detection"][0] < 1
    assert single_process["fid"] > 0.1
    assert 0 < single_process["silhouette"] < 1
