"""pytest-benchmark suite over ``metrics_update.py``: per-batch metric updates of the issue-11
metrics, hand-written torch vs pytorch-ignite vs oxignite.

    pytest benches -k metrics_update                                    # timings
    OXIGNITE_BENCH_QUICK=1 pytest benches --benchmark-disable           # CI: behaviour only

One benchmark is one pass over 300 batches of 32 (30 when quick); each test also checks the
value equals the hand-written one. No test asserts on timings.
"""

from __future__ import annotations

import functools

import pytest
from metrics_update import HAND, QUICK, _same, make_batches, metric_run


@functools.cache
def batches() -> dict:
    return make_batches(30 if QUICK else 300)


@pytest.mark.parametrize("lib", ["hand", "ignite", "oxignite"])
@pytest.mark.parametrize("name", sorted(HAND))
def test_metric_update(benchmark, name, lib):
    kind, hand = HAND[name]
    data = batches()[kind]
    run = hand if lib == "hand" else metric_run(lib, name)
    benchmark.group = f"metric update: {name}"
    value = benchmark(run, data)
    assert _same(value, hand(data))
