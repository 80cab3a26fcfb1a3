"""The real-loop stacks of ``handlers.py``: the hand-written loop, pytorch-ignite and oxignite
see the same thing (iterations, averages, the bar's text at each epoch's end, evaluation
values, checkpoint files, TensorBoard writes, timer steps). No timings are asserted.

    pytest benches/test_bench_handlers.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _bench():
    name = "oxignite_bench_handlers"  # not "handlers": tests/handlers is a package too
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("handlers.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


bench = _bench()
CASES = [(stack, kind) for stack in bench.STACKS for kind in stack.kinds]


@pytest.mark.parametrize("stack, kind", CASES, ids=[f"{s.key}-{k}" for s, k in CASES])
def test_same_observations(stack, kind):
    # 2 epochs of 120 iterations: per-epoch work (evaluation, checkpoints) and TB every 100
    seen = {lib: bench.runner(stack, kind, lib, 120)(2) for lib in bench.LIBS}
    assert seen["hand"]["iterations"] == 240
    assert bench.same(seen["ignite"], seen["hand"]), (seen["ignite"], seen["hand"])
    assert bench.same(seen["oxignite"], seen["hand"]), (seen["oxignite"], seen["hand"])
    if "bar" in seen["hand"]:
        assert seen["oxignite"]["bar"] == seen["ignite"]["bar"]
        assert len(seen["hand"]["bar"]) == 2


@pytest.mark.parametrize("name", ["Accuracy", "Loss", "ConfusionMatrix"])
def test_metric_updates_match_hand_written(name):
    batches = bench.metric_batches(5)
    values = [
        bench.hand_updates(name)(batches),
        bench.metric_updates(name, "ignite")(batches),
        bench.metric_updates(name, "oxignite")(batches),
    ]
    plain = [bench._plain(v) for v in values]
    assert bench.same(plain[1], plain[0]) and bench.same(plain[2], plain[0])
