"""Frequency (items per second) and GpuInfo (GPU memory/utilization through pynvml)."""

from __future__ import annotations

import sys

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import ignite_metrics
from oxignite.metrics.gpu_info import _memory_percent, _utilization


def _writes(engine_module, metrics_module, data, epochs, **attach):
    engine = engine_module.Engine(lambda e, batch: batch)
    frequency = metrics_module.Frequency(output_transform=lambda out: out)
    frequency.attach(engine, "wps", **attach)
    seen = []

    def record(e):
        seen.append((e.state.iteration, frequency._n, "wps" in e.state.metrics))

    engine.add_event_handler(engine_module.Events.ITERATION_COMPLETED, record)
    engine.run(data, max_epochs=epochs)
    return engine, frequency, seen


@pytest.mark.parametrize("per_epoch", [False, True])
def test_frequency_counts_like_ignite(per_epoch):
    import ignite.engine as ignite_engine
    import oxignite.engine as ox_engine

    attach = {"event_name": ox_engine.Events.EPOCH_COMPLETED} if per_epoch else {}
    data = [3, 5, 7]
    engine, frequency, ours = _writes(ox_engine, ox, data, 2, **attach)
    attach = {"event_name": ignite_engine.Events.EPOCH_COMPLETED} if per_epoch else {}
    _, _, theirs = _writes(ignite_engine, ignite_metrics, data, 2, **attach)
    # Counts restart every epoch; the value is written at the same events.
    assert ours == theirs
    value = engine.state.metrics["wps"]
    assert isinstance(value, int) and value > 0
    assert value == int(frequency._n / frequency._elapsed)


def test_frequency_compute():
    frequency = ox.Frequency()
    frequency.update(10)
    frequency.update(5)
    assert frequency._n == 15
    assert frequency.compute() == pytest.approx(15 / frequency._elapsed)


def test_gpu_info_needs_pynvml_and_a_gpu(monkeypatch):
    pytest.importorskip("pynvml")
    if not torch.cuda.is_available():
        for module in (ox, ignite_metrics):
            with pytest.raises(RuntimeError, match="requires available GPU"):
                module.GpuInfo()
    # Without pynvml: the same error as ignite, naming the package to install.
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setitem(sys.modules, "pynvml.smi", None)
    for module in (ox, ignite_metrics):
        with pytest.raises(ModuleNotFoundError, match="pip install 'pynvml<12'"):
            module.GpuInfo()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_info_on_a_gpu(echo_engine):  # pragma: no cover - runs on GPU machines only
    pytest.importorskip("pynvml")
    engine = echo_engine()
    ox.GpuInfo().attach(engine, name="gpu")
    metrics = engine.run([0]).metrics
    assert 0 <= metrics["gpu:0 mem(%)"] <= 100
    assert 0 <= metrics.get("gpu:0 util(%)", 0) <= 100


def test_gpu_report_parsing():
    # The dictionaries pynvml's nvidia_smi.DeviceQuery returns per GPU.
    gpu = {"fb_memory_usage": {"used": 512.0, "total": 2048.0}, "utilization": {"gpu_util": 37}}
    assert _memory_percent(gpu) == 25
    assert _utilization(gpu) == 37
    with pytest.warns(UserWarning, match="No GPU memory usage information"):
        assert _memory_percent({}) is None
    with pytest.warns(UserWarning, match="does not provide used/total"):
        assert _memory_percent({"fb_memory_usage": {"used": 1}}) is None
    with pytest.warns(UserWarning, match="No GPU utilization information"):
        assert _utilization({}) is None
    with pytest.warns(UserWarning, match="does not provide 'gpu_util'"):
        assert _utilization({"utilization": {}}) is None
    assert _utilization({"utilization": {"gpu_util": "N/A"}}) is None
