"""GpuInfo: GPU memory use and utilization (through pynvml) as metrics."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from oxignite.engine import Engine, Events
from oxignite.metrics.metric import Metric

__all__ = ["GpuInfo"]


class GpuInfo(Metric):
    """Writes ``f"{name}:{i} mem(%)"`` and ``f"{name}:{i} util(%)"`` for every GPU ``i`` to
    ``engine.state.metrics`` (needs ``pynvml<12`` and a CUDA GPU).

    Example::

        from oxignite.metrics import GpuInfo

        GpuInfo().attach(trainer, name="gpu")  # state.metrics["gpu:0 mem(%)"], ...
    """

    def __init__(self) -> None:
        try:
            from pynvml.smi import nvidia_smi
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires pynvml to be installed. "
                "Please install it with command: \n pip install 'pynvml<12'"
            ) from None
        if not torch.cuda.is_available():
            raise RuntimeError("This contrib module requires available GPU")
        # Fails here if the NVIDIA driver / NVML library is missing.
        self.nvsmi = nvidia_smi.getInstance()
        super().__init__()

    def reset(self) -> None:
        pass

    def update(self, output: Any) -> None:
        pass

    def compute(self) -> list[dict[str, Any]]:
        data = self.nvsmi.DeviceQuery("memory.used, memory.total, utilization.gpu")
        if len(data) == 0 or ("gpu" not in data):
            warnings.warn("No GPU information available", stacklevel=2)
            return []
        return data["gpu"]

    def completed(self, engine: Engine, name: str) -> None:
        data = self.compute()
        if len(data) < 1:
            warnings.warn("No GPU information available", stacklevel=2)
            return
        metrics = engine.state.metrics
        for i, gpu in enumerate(data):
            memory = _memory_percent(gpu)
            if memory is not None:
                metrics[f"{name}:{i} mem(%)"] = memory
        for i, gpu in enumerate(data):
            util = _utilization(gpu)
            if util is not None:
                metrics[f"{name}:{i} util(%)"] = util

    def attach(  # type: ignore[override]
        self, engine: Engine, name: str = "gpu", event_name: Any = Events.ITERATION_COMPLETED
    ) -> None:
        """Write the GPU figures at every ``event_name``."""
        engine.add_event_handler(event_name, self.completed, name)


def _memory_percent(gpu: dict[str, Any]) -> int | None:
    if "fb_memory_usage" not in gpu:
        warnings.warn(f"No GPU memory usage information available in {gpu}", stacklevel=3)
        return None
    report = gpu["fb_memory_usage"]
    if not ("used" in report and "total" in report):
        warnings.warn(
            "GPU memory usage information does not provide used/total "
            f"memory consumption information in {report}",
            stacklevel=3,
        )
        return None
    return int(report["used"] * 100.0 / report["total"])


def _utilization(gpu: dict[str, Any]) -> int | None:
    if "utilization" not in gpu:
        warnings.warn(f"No GPU utilization information available in {gpu}", stacklevel=3)
        return None
    report = gpu["utilization"]
    if "gpu_util" not in report:
        warnings.warn(
            f"GPU utilization information does not provide 'gpu_util' information in {report}",
            stacklevel=3,
        )
        return None
    try:
        return int(report["gpu_util"])
    except ValueError:  # e.g. "N/A"
        return None
