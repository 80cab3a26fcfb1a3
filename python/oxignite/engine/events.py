"""Events, event filters, the engine's State and handler handles.

Same names and behaviour as ``ignite.engine.events``. Filters built with ``every``,
``once``, ``before`` and ``after`` are native :class:`~oxignite._core.EventFilter` objects:
the engine's core evaluates them as integer checks without calling Python.
"""

from __future__ import annotations

import numbers
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from types import DynamicClassAttribute
from typing import TYPE_CHECKING, Any, ClassVar

from oxignite._core import BUILTIN_EVENTS, EventFilter, NativeState
from oxignite.engine.utils import _check_signature

if TYPE_CHECKING:
    from typing_extensions import Self

    from oxignite.engine.engine import Engine

__all__ = [
    "CallableEventWithFilter",
    "EventEnum",
    "Events",
    "EventsList",
    "RemovableEventHandle",
    "State",
]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class CallableEventWithFilter:
    """An event that can be called to attach a filter to it.

    ``Events.ITERATION_COMPLETED(every=10)`` is a new event value whose handlers run on every
    10th iteration only. Exactly one of ``event_filter``, ``once`` or ``every``/``before``/
    ``after`` (which combine) may be given.

    Args:
        value: the event's value.
        event_filter: callable ``(engine, event_count) -> bool``.
        name: the event's name.

    Examples:
        >>> from oxignite.engine import Events
        >>> every_3 = Events.ITERATION_COMPLETED(every=3)
        >>> [n for n in range(1, 10) if every_3.filter(None, n)]
        [3, 6, 9]
        >>> window = Events.EPOCH_COMPLETED(after=2, before=5)
        >>> [n for n in range(1, 8) if window.filter(None, n)]
        [3, 4]
    """

    def __init__(
        self, value: str, event_filter: Callable | None = None, name: str | None = None
    ) -> None:
        self.filter = event_filter
        if not hasattr(self, "_value_"):
            self._value_ = value
        if not hasattr(self, "_name_") and name is not None:
            self._name_ = name

    @DynamicClassAttribute
    def name(self) -> str:
        """The event's name, e.g. ``"ITERATION_COMPLETED"``."""
        return self._name_

    @DynamicClassAttribute
    def value(self) -> str:
        """The event's value, e.g. ``"iteration_completed"``."""
        return self._value_

    def __call__(
        self,
        event_filter: Callable | None = None,
        every: int | None = None,
        once: int | Sequence[int] | None = None,
        before: int | None = None,
        after: int | None = None,
    ) -> CallableEventWithFilter:
        """Returns this event with a filter.

        Args:
            event_filter: a callable ``(engine, event_count) -> bool``.
            every: run on every ``every``-th event (counted from ``after`` when given).
            once: run only when the count equals this integer, or one of this list.
            before: run only while the count is smaller than ``before``.
            after: run only once the count is greater than ``after``.

        Raises:
            ValueError: for a combination that is not allowed or a value that is not a
                positive integer (``before``/``after`` may be 0).
            TypeError: if ``event_filter`` is not callable.
        """
        given = (
            event_filter is not None,
            once is not None,
            every is not None or before is not None or after is not None,
        )
        if sum(given) != 1:
            raise ValueError(
                "Only one of the input arguments should be specified, except before, after and every"
            )
        if event_filter is not None:
            if not callable(event_filter):
                raise TypeError(
                    f"Argument event_filter should be a callable, got {type(event_filter).__name__}"
                )
            _check_signature(event_filter, "event_filter", "engine", "event")
            return CallableEventWithFilter(self.value, event_filter, self.name)
        if every is not None and not (_is_int(every) and every > 0):
            raise ValueError(f"Argument every should be integer and greater than zero, got {every!r}")
        if once is not None:
            once_list = [once] if _is_int(once) else once
            valid = (
                isinstance(once_list, Sequence)
                and not isinstance(once_list, str)
                and len(once_list) > 0
                and all(_is_int(e) and e > 0 for e in once_list)
            )
            if not valid:
                raise ValueError(
                    "Argument once should either be a positive integer or a list of positive "
                    f"integers, got {once!r}"
                )
            return CallableEventWithFilter(self.value, EventFilter(once=list(once_list)), self.name)
        for arg_name, arg in (("before", before), ("after", after)):
            if arg is not None and not (_is_int(arg) and arg >= 0):
                raise ValueError(
                    f"Argument {arg_name} should be integer and greater or equal to zero, "
                    f"got {arg!r}"
                )
        if every == 1 and before is None and after is None:
            return CallableEventWithFilter(self.value, None, self.name)
        native = EventFilter(every=every, before=before, after=after)
        return CallableEventWithFilter(self.value, native, self.name)

    @staticmethod
    def every_event_filter(every: int) -> Callable:
        """A filter ``(engine, count) -> bool`` true on every ``every``-th count."""
        return EventFilter(every=every)

    @staticmethod
    def once_event_filter(once: list) -> Callable:
        """A filter true when the count is one of ``once``."""
        return EventFilter(once=list(once))

    @staticmethod
    def before_and_after_event_filter(
        before: int | None = None, after: int | None = None
    ) -> Callable:
        """A filter true when ``after < count < before``."""
        return EventFilter(before=before, after=after if after is not None else 0)

    @staticmethod
    def every_before_and_after_event_filter(
        every: int, before: int | None = None, after: int | None = None
    ) -> Callable:
        """A filter true on every ``every``-th count (from ``after + 1``) before ``before``."""
        return EventFilter(every=every, before=before, after=after if after is not None else 0)

    @staticmethod
    def default_event_filter(engine: Engine, event: int) -> bool:
        """Deprecated in ignite (and warns as it does); lets every event through."""
        warnings.warn(
            "Events.default_event_filter is deprecated and will be removed. Please, use None instead",
            stacklevel=2,
        )
        return True

    def __repr__(self) -> str:
        out = f"Events.{self.name}"
        if self.filter is not None:
            out += f"(filter={self.filter})"
        return out

    def __eq__(self, other: object) -> bool:
        # ignite compares events by name, and lets a string stand for an event.
        if isinstance(other, CallableEventWithFilter):
            return self.name == other.name
        if isinstance(other, str):
            return self.name == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._name_)

    def __or__(self, other: Any) -> EventsList:
        return EventsList() | self | other


class EventEnum(CallableEventWithFilter, Enum):
    """Base class for custom events.

    Examples:
        >>> from oxignite.engine import Engine, EventEnum
        >>> class BackpropEvents(EventEnum):
        ...     BACKWARD_STARTED = "backward_started"
        ...     BACKWARD_COMPLETED = "backward_completed"
        >>> def step(engine, batch):
        ...     engine.fire_event(BackpropEvents.BACKWARD_STARTED)
        ...     engine.state.backward_count += 1
        ...     engine.fire_event(BackpropEvents.BACKWARD_COMPLETED)
        >>> engine = Engine(step)
        >>> engine.register_events(
        ...     *BackpropEvents,
        ...     event_to_attr={BackpropEvents.BACKWARD_COMPLETED: "backward_count"},
        ... )
        >>> seen = []
        >>> engine.add_event_handler(
        ...     BackpropEvents.BACKWARD_COMPLETED(every=2),
        ...     lambda e: seen.append(e.state.backward_count),
        ... )  # doctest: +ELLIPSIS
        <...RemovableEventHandle object at ...>
        >>> _ = engine.run([0] * 5)
        >>> seen
        [2, 4]
    """

    def __new__(cls, value: str) -> Self:
        obj = CallableEventWithFilter.__new__(cls)
        obj._value_ = value
        return obj


class Events(EventEnum):
    """The events fired by :class:`~oxignite.engine.Engine`.

    In a run: ``STARTED``, then for each epoch ``EPOCH_STARTED``, for each batch
    ``GET_BATCH_STARTED``, ``GET_BATCH_COMPLETED``, ``ITERATION_STARTED``,
    ``ITERATION_COMPLETED``, then ``EPOCH_COMPLETED``; finally ``COMPLETED``.
    ``DATALOADER_STOP_ITERATION`` fires when the data iterator is exhausted and restarted,
    ``TERMINATE`` / ``TERMINATE_SINGLE_EPOCH`` / ``INTERRUPT`` after the matching call, and
    ``EXCEPTION_RAISED`` (with the exception) when the run raises.

    Examples:
        >>> from oxignite.engine import Engine, Events
        >>> engine = Engine(lambda engine, batch: batch * 2)
        >>> @engine.on(Events.ITERATION_COMPLETED(every=2))
        ... def log(engine):
        ...     print(engine.state.iteration, engine.state.output)
        >>> _ = engine.run([1, 2, 3, 4])
        2 4
        4 8
    """

    EPOCH_STARTED = "epoch_started"
    EPOCH_COMPLETED = "epoch_completed"
    STARTED = "started"
    COMPLETED = "completed"
    ITERATION_STARTED = "iteration_started"
    ITERATION_COMPLETED = "iteration_completed"
    EXCEPTION_RAISED = "exception_raised"
    GET_BATCH_STARTED = "get_batch_started"
    GET_BATCH_COMPLETED = "get_batch_completed"
    DATALOADER_STOP_ITERATION = "dataloader_stop_iteration"
    TERMINATE = "terminate"
    TERMINATE_SINGLE_EPOCH = "terminate_single_epoch"
    INTERRUPT = "interrupt"

    def __or__(self, other: Any) -> EventsList:
        return EventsList() | self | other


# The core addresses built-in events by position; keep both tables in one order.
assert [(e.name, e.value) for e in Events] == [(n, v) for n, v, _ in BUILTIN_EVENTS]


class EventsList:
    """A list of events, made with ``|``, that a handler is attached to all at once.

    Examples:
        >>> from oxignite.engine import Engine, Events
        >>> engine = Engine(lambda engine, batch: None)
        >>> calls = []
        >>> @engine.on(Events.STARTED | Events.EPOCH_COMPLETED(every=2) | Events.COMPLETED)
        ... def record(engine):
        ...     calls.append((engine.last_event_name.name, engine.state.epoch))
        >>> _ = engine.run([0], max_epochs=4)
        >>> calls
        [('STARTED', 0), ('EPOCH_COMPLETED', 2), ('EPOCH_COMPLETED', 4), ('COMPLETED', 4)]
    """

    def __init__(self) -> None:
        self._events: list[CallableEventWithFilter] = []

    def _append(self, event: CallableEventWithFilter) -> None:
        if not isinstance(event, CallableEventWithFilter):
            raise TypeError(
                f"Argument event should be Events or CallableEventWithFilter, got: {type(event)}"
            )
        self._events.append(event)

    def __getitem__(self, item: int) -> CallableEventWithFilter:
        return self._events[item]

    def __iter__(self) -> Iterator[CallableEventWithFilter]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def __or__(self, other: CallableEventWithFilter) -> EventsList:
        self._append(event=other)
        return self

    def __repr__(self) -> str:
        return " | ".join(repr(e) for e in self._events)


_NATIVE_COUNTERS = frozenset({"iteration", "epoch"})


class State(NativeState):
    """The state of an engine's run.

    The engine's core writes the counters as native fields; any other attribute can be
    added freely.

    Attributes:
        iteration: iterations done so far, over all epochs (0 before the first).
        epoch: the current epoch (0 before the first).
        epoch_length: iterations per epoch; inferred from ``len(data)`` or from the first
            exhaustion of an iterator without length.
        max_epochs / max_iters: when the run ends (one of them is set).
        batch: the current batch. output: the process function's last return value.
        metrics: a dict filled by attached metrics. dataloader: the data being iterated.
        seed: kept for compatibility with ignite; unused by the engine.
        times: seconds taken by the last epoch (``"EPOCH_COMPLETED"``) and by the run
            (``"COMPLETED"``).

    Examples:
        >>> from oxignite.engine import State
        >>> state = State(iteration=5, my_value=1.5)
        >>> state.iteration, state.epoch, state.my_value
        (5, 0, 1.5)
    """

    event_to_attr: ClassVar[dict[Any, str]] = {
        Events.GET_BATCH_STARTED: "iteration",
        Events.GET_BATCH_COMPLETED: "iteration",
        Events.ITERATION_STARTED: "iteration",
        Events.ITERATION_COMPLETED: "iteration",
        Events.EPOCH_STARTED: "epoch",
        Events.EPOCH_COMPLETED: "epoch",
        Events.STARTED: "epoch",
        Events.COMPLETED: "epoch",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._update_attrs()

    def _update_attrs(self, event_to_attr: dict | None = None) -> None:
        mapping = self.event_to_attr if event_to_attr is None else event_to_attr
        for attr in mapping.values():
            if attr not in _NATIVE_COUNTERS and not hasattr(self, attr):
                setattr(self, attr, 0)

    def get_event_attrib_value(self, event_name: Any) -> int:
        """The counter of ``event_name`` (e.g. ``iteration`` for ITERATION_COMPLETED)."""
        if event_name not in self.event_to_attr:
            raise RuntimeError(f"Unknown event name '{event_name}'")
        return getattr(self, self.event_to_attr[event_name])

    def __repr__(self) -> str:
        fields = {
            "iteration": self.iteration,
            "epoch": self.epoch,
            "epoch_length": self.epoch_length,
            "max_epochs": self.max_epochs,
            "max_iters": self.max_iters,
            "output": self.output,
            "batch": self.batch,
            "metrics": self.metrics,
            "dataloader": self.dataloader,
            "seed": self.seed,
            "times": self.times,
        }
        fields.update(vars(self))
        lines = ["State:"]
        for attr, value in fields.items():
            if not isinstance(value, (numbers.Number, str)):
                value = type(value)
            lines.append(f"\t{attr}: {value}")
        return "\n".join(lines) + "\n"


class RemovableEventHandle:
    """Returned by :meth:`Engine.add_event_handler`; removes the handler again.

    Holds the engine and the handler weakly (strongly only for callables that cannot be
    weakly referenced, such as some builtins), so it keeps neither alive.

    Examples:
        >>> from oxignite.engine import Engine, Events
        >>> engine = Engine(lambda engine, batch: None)
        >>> calls = []
        >>> with engine.add_event_handler(Events.COMPLETED, lambda: calls.append(1)):
        ...     _ = engine.run([0])
        >>> _ = engine.run([0])
        >>> calls
        [1]
    """

    def __init__(self, event_name: Any, handler: Callable, engine: Engine) -> None:
        self.event_name = event_name
        try:
            self.handler: Callable[[], Callable | None] = weakref.ref(handler)
        except TypeError:
            self.handler = lambda: handler
        self.engine = weakref.ref(engine)

    def remove(self) -> None:
        """Removes the handler from the engine (a no-op if it is gone already)."""
        handler = self.handler()
        engine = self.engine()
        if handler is None or engine is None:
            return
        parent = getattr(handler, "_parent", None)
        if parent is not None:  # a filter wrapper: the engine knows the handler it wraps
            handler = parent()
            if handler is None:
                return
        events = self.event_name if isinstance(self.event_name, EventsList) else [self.event_name]
        for event in events:
            if engine.has_event_handler(handler, event):
                engine.remove_event_handler(handler, event)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        self.remove()
