"""MetricGroup: several metrics updated together and computed as one dict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from oxignite.metrics.metric import Metric, _identity

__all__ = ["MetricGroup"]


class MetricGroup(Metric):
    """Updates every metric of ``metrics`` with the same output (each through its own
    ``output_transform``) and computes ``{name: metric.compute()}``.

    Args:
        metrics: name -> metric.
        output_transform: applied to the engine output before the metrics' own transforms.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics import Accuracy, MetricGroup, Precision

        group = MetricGroup({"acc": Accuracy(), "precision": Precision()})
        group.attach(evaluator, "eval")  # state.metrics["acc"], ["precision"] and ["eval"]
    """

    _state_dict_all_req_keys: tuple[str, ...] = ("metrics",)

    def __init__(
        self,
        metrics: dict[str, Metric],
        output_transform: Callable = _identity,
        skip_unrolling: bool = False,
    ) -> None:
        self.metrics = metrics
        super().__init__(output_transform=output_transform, skip_unrolling=skip_unrolling)

    def reset(self) -> None:
        for metric in self.metrics.values():
            metric.reset()

    def update(self, output: Sequence[torch.Tensor]) -> None:
        for metric in self.metrics.values():
            metric.update(metric._output_transform(output))

    def compute(self) -> dict[str, Any]:
        return {name: metric.compute() for name, metric in self.metrics.items()}
