"""MetricsLambda: a metric computed by a function of other metrics' values."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch

from oxignite.metrics.metric import _EPOCH_WISE, Metric, MetricUsage, reinit__is_reduced

if TYPE_CHECKING:
    from oxignite.engine import Engine

__all__ = ["MetricsLambda"]


class MetricsLambda(Metric):
    """Apply ``f`` to the computed values of the metrics (and plain values) in ``args``/``kwargs``.

    Attaching it attaches its source metrics' reset/update handlers, so only the lambda
    itself needs a name. Metric arithmetic (``m1 + m2``, ``m.mean()``, ``m[0]``) builds these.

    Args:
        f: function called with the materialized ``args`` and ``kwargs``.
        *args: metrics or other values passed to ``f``.
        **kwargs: metrics or other values passed to ``f``.

    Example::

        from oxignite.metrics import MetricsLambda, Precision, Recall

        precision = Precision(average=False)
        recall = Recall(average=False)
        f1 = MetricsLambda(lambda p, r: (2 * p * r / (p + r + 1e-20)).mean(), precision, recall)
        f1.attach(evaluator, "f1")
    """

    _state_dict_all_req_keys = ("_updated", "args", "kwargs")

    def __init__(
        self,
        f: Callable,
        *args: Any,
        skip_unrolling: bool = False,
        metrics_result_mode: str = "both",
        **kwargs: Any,
    ) -> None:
        self.function = f
        self.args = list(args)
        self.kwargs = kwargs
        self.engine: Engine | None = None
        self._updated = False
        super().__init__(
            device="cpu", skip_unrolling=skip_unrolling, metrics_result_mode=metrics_result_mode
        )

    def _sources(self) -> Iterator[Any]:
        return itertools.chain(self.args, self.kwargs.values())

    def _nodes(self) -> tuple[list[MetricsLambda], list[Metric]]:
        """All nested lambdas (self included) and the distinct source metrics below them."""
        lambdas: list[MetricsLambda] = []
        leaves: list[Metric] = []
        stack: list[Any] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, MetricsLambda):
                if not any(node is seen for seen in lambdas):
                    lambdas.append(node)
                    stack.extend(node._sources())
            elif isinstance(node, Metric) and not any(node is seen for seen in leaves):
                leaves.append(node)
        return lambdas, leaves

    @reinit__is_reduced
    def reset(self) -> None:
        lambdas, leaves = self._nodes()
        for metric in leaves:
            metric.reset()
        for node in lambdas:
            node._updated = False

    @reinit__is_reduced
    def update(self, output: Any) -> None:
        if self.engine:
            raise ValueError(
                "MetricsLambda is already attached to an engine, and MetricsLambda can't use "
                "update API while it's attached."
            )
        # A metric reached through several paths (``cm.diag() / cm.sum()``) is updated once.
        lambdas, leaves = self._nodes()
        for metric in leaves:
            metric.update(output)
        for node in lambdas:
            node._updated = True

    def compute(self) -> Any:
        args = [_value_on_cpu(a) for a in self.args]
        kwargs = {k: _value_on_cpu(v) for k, v in self.kwargs.items()}
        return self.function(*args, **kwargs)

    def _internal_attach(self, engine: Engine, usage: MetricUsage) -> None:
        self.engine = engine
        for source in self._sources():
            if isinstance(source, MetricsLambda):
                source._internal_attach(engine, usage)
            elif isinstance(source, Metric):
                # A metric shared by several lambdas must be updated only once per event.
                if not engine.has_event_handler(source.started, usage.STARTED):
                    engine.add_event_handler(usage.STARTED, source.started)
                if not engine.has_event_handler(
                    source.iteration_completed, usage.ITERATION_COMPLETED
                ):
                    engine.add_event_handler(usage.ITERATION_COMPLETED, source.iteration_completed)

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = _EPOCH_WISE) -> None:
        if self._updated:
            raise ValueError(
                "The underlying metrics are already updated, can't attach while using "
                "reset/update/compute API."
            )
        usage = self._check_usage(usage)
        self._internal_attach(engine, usage)
        engine.add_event_handler(usage.COMPLETED, self.completed, name)

    def detach(self, engine: Engine, usage: str | MetricUsage = _EPOCH_WISE) -> None:
        usage = self._check_usage(usage)
        super().detach(engine, usage)
        self.engine = None

    def is_attached(self, engine: Engine, usage: str | MetricUsage = _EPOCH_WISE) -> bool:
        usage = self._check_usage(usage)
        return super().is_attached(engine, usage) and self._internal_is_attached(engine, usage)

    def _internal_is_attached(self, engine: Engine, usage: MetricUsage) -> bool:
        if engine is None:
            return False
        for source in self._sources():
            if isinstance(source, MetricsLambda):
                if not source._internal_is_attached(engine, usage):
                    return False
            elif isinstance(source, Metric):
                if not engine.has_event_handler(source.started, usage.STARTED):
                    return False
                if not engine.has_event_handler(
                    source.iteration_completed, usage.ITERATION_COMPLETED
                ):
                    return False
        return True


def _value_on_cpu(value: Any) -> Any:
    if isinstance(value, Metric):
        value = value.compute()
    if isinstance(value, torch.Tensor):
        value = value.cpu()
    return value
