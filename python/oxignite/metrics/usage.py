"""Metric usages: which engine events start, update and complete a metric.

Events are looked up lazily so that importing the metrics package does not load the
engine's native core until a metric is actually attached.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BatchFiltered",
    "BatchWise",
    "EpochWise",
    "MetricUsage",
    "RunningBatchWise",
    "RunningEpochWise",
    "SingleEpochRunningBatchWise",
]


def _event(value: Any) -> Any:
    # Subclasses name events as strings ("EPOCH_STARTED"); public users may pass Events.
    if isinstance(value, str):
        from oxignite.engine import Events

        return getattr(Events, value)
    return value


class MetricUsage:
    """Base class of metric usages.

    A usage names the events on which a metric is reset (``STARTED``), updated
    (``ITERATION_COMPLETED``) and computed into ``engine.state.metrics`` (``COMPLETED``).

    Example::

        from oxignite.engine import Events
        from oxignite.metrics import Accuracy, MetricUsage

        every_epoch_from_start = MetricUsage(
            Events.STARTED, Events.EPOCH_COMPLETED, Events.ITERATION_COMPLETED
        )
        Accuracy().attach(engine, "acc", usage=every_epoch_from_start)
    """

    usage_name: str

    def __init__(self, started: Any, completed: Any, iteration_completed: Any) -> None:
        self.__started = started
        self.__completed = completed
        self.__iteration_completed = iteration_completed

    @property
    def STARTED(self) -> Any:
        return _event(self.__started)

    @property
    def COMPLETED(self) -> Any:
        return _event(self.__completed)

    @property
    def ITERATION_COMPLETED(self) -> Any:
        return _event(self.__iteration_completed)


class EpochWise(MetricUsage):
    """Default usage: reset on ``EPOCH_STARTED``, update on every ``ITERATION_COMPLETED``,
    compute on ``EPOCH_COMPLETED``.

    Example::

        Accuracy().attach(engine, "acc", usage=EpochWise())  # same as usage="epoch_wise"
    """

    usage_name: str = "epoch_wise"

    def __init__(self) -> None:
        super().__init__("EPOCH_STARTED", "EPOCH_COMPLETED", "ITERATION_COMPLETED")


class RunningEpochWise(EpochWise):
    """Reset once on ``STARTED``, update and compute on every ``EPOCH_COMPLETED``
    (typically for a running average of an epoch-wise metric).

    Example::

        RunningAverage(Accuracy()).attach(engine, "acc", usage="running_epoch_wise")
    """

    usage_name: str = "running_epoch_wise"

    def __init__(self) -> None:
        MetricUsage.__init__(self, "STARTED", "EPOCH_COMPLETED", "EPOCH_COMPLETED")


class BatchWise(MetricUsage):
    """Reset on ``ITERATION_STARTED``, update and compute on ``ITERATION_COMPLETED``:
    the metric holds the value of the current batch only.

    Example::

        Accuracy().attach(engine, "batch_acc", usage="batch_wise")
    """

    usage_name: str = "batch_wise"

    def __init__(self) -> None:
        super().__init__("ITERATION_STARTED", "ITERATION_COMPLETED", "ITERATION_COMPLETED")


class RunningBatchWise(BatchWise):
    """Reset once on ``STARTED``, update and compute on every ``ITERATION_COMPLETED``:
    the metric accumulates over the whole run.

    Example::

        Accuracy().attach(engine, "acc_so_far", usage="running_batch_wise")
    """

    usage_name: str = "running_batch_wise"

    def __init__(self) -> None:
        MetricUsage.__init__(self, "STARTED", "ITERATION_COMPLETED", "ITERATION_COMPLETED")


class SingleEpochRunningBatchWise(BatchWise):
    """Like :class:`RunningBatchWise` but reset at every ``EPOCH_STARTED``.

    Example::

        Accuracy().attach(engine, "acc_this_epoch", usage="single_epoch_running_batch_wise")
    """

    usage_name: str = "single_epoch_running_batch_wise"

    def __init__(self) -> None:
        MetricUsage.__init__(self, "EPOCH_STARTED", "ITERATION_COMPLETED", "ITERATION_COMPLETED")


class BatchFiltered(MetricUsage):
    """Epoch-wise usage whose updates only happen on filtered iterations; the arguments are
    those of ``Events.ITERATION_COMPLETED(...)`` (``every=``, ``once=``, ``event_filter=``).

    Example::

        Accuracy().attach(engine, "acc_every_2nd_batch", usage=BatchFiltered(every=2))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("EPOCH_STARTED", "EPOCH_COMPLETED", None)
        self._filter_args = (args, kwargs)
        self._filtered_event: Any = None

    @property
    def ITERATION_COMPLETED(self) -> Any:
        # Build the filtered event once so attach/detach see the same object.
        if self._filtered_event is None:
            args, kwargs = self._filter_args
            self._filtered_event = _event("ITERATION_COMPLETED")(*args, **kwargs)
        return self._filtered_event


_USAGES_BY_NAME = {
    cls.usage_name: cls
    for cls in (
        EpochWise,
        RunningEpochWise,
        BatchWise,
        RunningBatchWise,
        SingleEpochRunningBatchWise,
    )
}


def check_usage(usage: str | MetricUsage) -> MetricUsage:
    """Turn a usage name into a usage instance, or validate a usage instance."""
    if isinstance(usage, str):
        if usage not in _USAGES_BY_NAME:
            raise ValueError(
                "Argument usage should be '(Running)EpochWise.usage_name' or "
                f"'((SingleEpoch)Running)BatchWise.usage_name', got {usage!r}"
            )
        return _USAGES_BY_NAME[usage]()
    if not isinstance(usage, MetricUsage):
        raise TypeError(f"Unhandled usage type {type(usage)}")
    return usage
