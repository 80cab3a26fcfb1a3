"""Smoke run of ``checkpoint_stall.py`` (a small model): sync and async saves write the same
checkpoint and every configuration runs its iterations. No timings are asserted.

    pytest benches/test_bench_checkpoint_stall.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _bench():
    name = "oxignite_bench_checkpoint_stall"
    if name not in sys.modules:
        path = Path(__file__).with_name("checkpoint_stall.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_sync_and_async_save_the_same_checkpoints(tmp_path):
    bench = _bench()
    measured = bench.measure(mb=1.0, iters=6, every=3, repeat=1, dirname=tmp_path)
    assert measured["same_files"]
    assert measured["saves"] == 2
    for config in ("sync", "async"):
        assert len(measured["results"][config]["blocking"]) == 2
    assert "| async |" in bench.table(measured)
