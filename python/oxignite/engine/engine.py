"""The Engine: ignite's API, with handler tables, filters, dispatch and the loop in Rust.

This module checks arguments and keeps the API; the per-iteration work happens in
:class:`oxignite._core.EngineCore`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import numbers
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, MutableSequence
from typing import Any

from oxignite._core import BUILTIN_EVENTS, EngineCore, NativeState
from oxignite.engine.events import (
    CallableEventWithFilter,
    EventEnum,
    Events,
    EventsList,
    RemovableEventHandle,
    State,
)
from oxignite.engine.natives import overrides
from oxignite.engine.utils import _check_signature, _signature_binds, _to_hours_mins_secs

__all__ = ["Engine"]

_BUILTIN_IDS = {name: index for index, (name, _, _) in enumerate(BUILTIN_EVENTS)}
_BUILTIN_EVENTS = list(Events)  # indexed by id, like BUILTIN_EVENTS
_TERMINATE_VALUES = {0: False, 1: True, 2: "skip_completed"}
_TERMINATE_EPOCH_VALUES = {0: False, 1: True, 2: "skip_epoch_completed"}


_LOGGERS: weakref.WeakKeyDictionary[type, logging.Logger] = weakref.WeakKeyDictionary()
_MAX_COUNTER = 2**63 - 1  # State's counters are 64-bit integers in the core


def _logger_for(cls: type) -> logging.Logger:
    """ignite's logger name for an engine class (cached: getLogger takes a lock)."""
    logger = _LOGGERS.get(cls)
    if logger is None:
        logger = _LOGGERS[cls] = logging.getLogger(f"{__name__}.{cls.__name__}")
    return logger


def _is_iterable(data: Any) -> bool:
    """``isinstance(data, collections.abc.Iterable)``, without the ABC machinery's cost."""
    return getattr(type(data), "__iter__", None) is not None


def _event_key(event: Any) -> Any:
    """Events are identified by name, as in ignite; a string stands for itself."""
    if isinstance(event, CallableEventWithFilter):
        return event.name
    return event


def _flag_code(value: Any, skip_value: str) -> int:
    if value == skip_value:
        return 2
    return 1 if value else 0


def _check_positive_int(name: str, value: Any) -> None:
    """A run limit as ignite takes it: an int, or a float (NumPy's too) such as ``2.0``; a
    fraction only for ``max_epochs``, which ignite runs while ``epoch < max_epochs``."""
    if value is None:
        return
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"Argument {name} should be a positive integer, got {value!r}")
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"Argument {name} should be a finite number, got {value!r}")
    if value < 1:
        raise ValueError(
            f"Argument {name} is invalid. Please, set a correct {name} positive value, "
            f"got {value!r}"
        )
    if value > _MAX_COUNTER:
        # The core counts in 64 bits; refuse here rather than fail deep inside.
        raise ValueError(f"Argument {name} should be smaller than 2**63, got {value!r}")
    if name != "max_epochs" and not _is_whole(value):
        # ignite compares these with ==: a fraction would never be reached.
        raise ValueError(f"Argument {name} should be a whole number, got {value!r}")


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) or float(value).is_integer()


class Engine:
    """Runs a process function over data, firing events that handlers attach to.

    Same API and behaviour as ``ignite.engine.Engine``.

    Args:
        process_function: ``(engine, batch) -> output``, called once per iteration; its
            return value is stored in ``engine.state.output``.

    Handlers changed during a dispatch: a handler added while an event is being dispatched is
    first called at the next firing of that event; a handler removed during a dispatch is not
    called again, not even later in that same dispatch. Handlers may fire events, terminate
    or interrupt the engine, and run other engines. Calling ``run()`` on an engine from one of
    its own handlers raises RuntimeError.

    Examples:
        >>> from oxignite.engine import Engine, Events
        >>> def train_step(engine, batch):
        ...     return batch * 10
        >>> trainer = Engine(train_step)
        >>> @trainer.on(Events.EPOCH_COMPLETED)
        ... def log(engine):
        ...     print(f"epoch {engine.state.epoch}: last output {engine.state.output}")
        >>> state = trainer.run([1, 2, 3], max_epochs=2)
        epoch 1: last output 30
        epoch 2: last output 30
        >>> state.iteration
        6
    """

    #: Opt-in, not in ignite: before each pass over the data, call
    #: ``state.dataloader.sampler.set_epoch(epoch - 1)`` (0-based, as a ``DistributedSampler``
    #: expects) when the sampler has one. ignite never does; with ignite you attach a handler
    #: (``contrib.engines.common.setup_common_training_handlers(train_sampler=...)`` does).
    #: Set it before ``run()``; leave it off when a handler already calls ``set_epoch``.
    set_sampler_epoch: bool = False

    _state_dict_all_req_keys: tuple[str, ...] = ("epoch_length", "iteration")
    _state_dict_one_of_opt_keys: tuple[tuple[str, ...], ...] = (("max_epochs", "max_iters"),)
    interrupt_resume_enabled = True

    def __init__(self, process_function: Callable[[Engine, Any], Any]) -> None:
        if process_function is None:
            raise ValueError("Engine must be given a processing function in order to run.")
        if not callable(process_function):
            raise TypeError(
                "Argument process_function should be a callable (engine, batch) -> output, "
                f"got {type(process_function).__name__}"
            )
        # Set through __dict__: these need none of __setattr__'s checks, and construction
        # is part of every evaluation loop's cost.
        self.__dict__.update(
            _core=EngineCore(),
            logger=_logger_for(type(self)),
            _process_function=process_function,
            # The core registers the built-in events itself, with these ids.
            _event_ids=dict(_BUILTIN_IDS),
            _events_by_id=list(_BUILTIN_EVENTS),
            _allowed_events=list(_BUILTIN_EVENTS),
            _event_to_attr=dict(State.event_to_attr),
            _state_dict_user_keys=[],
            # A plain attribute (not a property): handlers read it on every call.
            state=State(),
        )
        _check_signature(process_function, "process_function", self, None)

    # -- state ------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        # `state` stays a plain attribute, so handlers read it at attribute speed; only
        # assigning it is checked.
        if name == "state":
            if not isinstance(value, NativeState):
                raise TypeError(f"engine.state must be a State, got {type(value).__name__}")
            core = self.__dict__.get("_core")
            if core is not None:
                if core.is_running:
                    raise RuntimeError("engine.state cannot be replaced while the engine is running")
                if core.is_suspended:
                    core.set_data_iter(None)  # the paused run is abandoned with its data
                core.reset_run()
        object.__setattr__(self, name, value)

    @property
    def should_terminate(self) -> Any:
        """False, True, or ``"skip_completed"`` after ``terminate(skip_completed=True)``."""
        return _TERMINATE_VALUES[self._core.should_terminate]

    @should_terminate.setter
    def should_terminate(self, value: Any) -> None:
        self._core.should_terminate = _flag_code(value, "skip_completed")

    @property
    def should_terminate_single_epoch(self) -> Any:
        """False, True, or ``"skip_epoch_completed"``."""
        return _TERMINATE_EPOCH_VALUES[self._core.should_terminate_single_epoch]

    @should_terminate_single_epoch.setter
    def should_terminate_single_epoch(self, value: Any) -> None:
        self._core.should_terminate_single_epoch = _flag_code(value, "skip_epoch_completed")

    @property
    def should_interrupt(self) -> bool:
        return self._core.should_interrupt

    @should_interrupt.setter
    def should_interrupt(self, value: bool) -> None:
        self._core.should_interrupt = bool(value)

    @property
    def last_event_name(self) -> Any | None:
        """The event fired last (None before the first)."""
        event_id = self._core.last_event
        return None if event_id is None else self._events_by_id[event_id]

    @last_event_name.setter
    def last_event_name(self, event: Any | None) -> None:
        self._core.last_event = None if event is None else self._event_id(event)

    @property
    def state_dict_user_keys(self) -> list:
        """Names of State attributes that ``state_dict()`` saves besides the counters."""
        return self._state_dict_user_keys

    # -- events -----------------------------------------------------------------------

    def register_events(
        self, *event_names: Any, event_to_attr: dict | None = None
    ) -> None:
        """Adds custom events that handlers may attach to and ``fire_event`` may fire.

        Args:
            event_names: EventEnum members or strings.
            event_to_attr: maps events to the State attribute their filters count; the
                attribute is created (as 0) if missing and is updated by the user.

        Examples:
            >>> from oxignite.engine import Engine
            >>> engine = Engine(lambda engine, batch: engine.fire_event("custom"))
            >>> engine.register_events("custom")
            >>> calls = []
            >>> _ = engine.add_event_handler("custom", lambda: calls.append(1))
            >>> _ = engine.run([0, 0])
            >>> len(calls)
            2
        """
        if not (event_to_attr is None or isinstance(event_to_attr, dict)):
            raise ValueError(f"Expected event_to_attr to be dictionary. Got {type(event_to_attr)}.")
        for index, event in enumerate(event_names):
            if not isinstance(event, (str, EventEnum)):
                raise TypeError(
                    f"Value at {index} of event_names should be a str or EventEnum, "
                    f"but given {event!r}"
                )
            key = _event_key(event)
            if event_to_attr and event in event_to_attr:
                self._event_to_attr[event] = event_to_attr[event]
            counter = self._event_to_attr.get(event)
            if key in self._event_ids:
                if event_to_attr and event in event_to_attr:
                    self._core.set_event_counter(self._event_ids[key], counter)
                continue
            if key in _BUILTIN_IDS and isinstance(event, Events):
                event_id = _BUILTIN_IDS[key]
            else:
                event_id = self._core.register_event(counter)
                self._events_by_id.append(None)
            self._event_ids[key] = event_id
            self._events_by_id[event_id] = event
            self._allowed_events.append(event)
        self.state._update_attrs(self._event_to_attr)

    def has_registered_events(self, event: Any) -> bool:
        """Whether ``event`` is registered on this engine."""
        return _event_key(event) in self._event_ids

    def _event_id(self, event: Any) -> int:
        try:
            return self._event_ids[_event_key(event)]
        except (KeyError, TypeError):
            self.logger.error(f"attempt to add event handler to an invalid event {event}")
            raise ValueError(
                f"Event {event} is not a valid event for this {self.__class__.__name__}."
            ) from None

    def _assert_allowed_event(self, event_name: Any) -> None:
        self._event_id(event_name)

    # -- handlers ---------------------------------------------------------------------

    def add_event_handler(
        self, event_name: Any, handler: Callable, *args: Any, **kwargs: Any
    ) -> RemovableEventHandle:
        """Calls ``handler`` each time ``event_name`` fires (and its filter passes).

        The engine is passed as first argument if the handler accepts it, then ``args`` and
        ``kwargs``. EXCEPTION_RAISED handlers also get the exception; TERMINATE_SINGLE_EPOCH
        handlers that accept an ``iter_counter`` keyword get it.

        Args:
            event_name: an event, an event with a filter, or an EventsList.
            handler: the callable.
            *args: passed on to the handler.
            **kwargs: passed on to the handler.

        Returns:
            A :class:`RemovableEventHandle`, also a context manager, that removes it again.

        Raises:
            TypeError: if the handler is not callable.
            ValueError: for an unknown event, a filter on an event without counter, or a
                handler whose signature cannot take the call.

        Examples:
            >>> from oxignite.engine import Engine, Events
            >>> engine = Engine(lambda engine, batch: None)
            >>> def log(engine, prefix):
            ...     print(prefix, engine.state.epoch)
            >>> _ = engine.add_event_handler(Events.EPOCH_COMPLETED, log, "epoch")
            >>> _ = engine.run([0], max_epochs=2)
            epoch 1
            epoch 2
        """
        if isinstance(event_name, EventsList):
            for event in event_name:
                self.add_event_handler(event, handler, *args, **kwargs)
            return RemovableEventHandle(event_name, handler, self)
        if not callable(handler):
            raise TypeError(
                f"Argument handler should be callable, got {type(handler).__name__} for event "
                f"{event_name}"
            )
        event_id = self._event_id(event_name)
        event_filter = getattr(event_name, "filter", None)
        if event_filter is not None and self._counter_of(event_name) is None:
            raise ValueError(
                f"Event {event_name!r} cannot take a filter: it has no counter in State "
                "(map it to one with register_events(..., event_to_attr=...))"
            )
        pass_engine, with_event_args = self._call_plan(event_id, handler, args, kwargs)
        handler_id = self._core.add_handler(
            event_id,
            handler,
            pass_engine,
            with_event_args,
            args or None,
            kwargs or None,
            event_filter,
        )
        native_spec = getattr(type(handler), "_native_spec", None)
        if native_spec is not None and not args and not kwargs:
            # A built-in handler object that the core can stand in for (engine/natives.py).
            spec = native_spec(handler)
            if spec is not None:
                self._core.set_native(event_id, handler, spec)
        if getattr(type(handler), "_run_scope", None) is not None:
            scoped = self.__dict__.setdefault("_run_scoped", [])  # see _run_in_scopes
            if not any(h is handler for h in scoped):
                scoped.append(handler)
        self.logger.debug(f"Added handler for event {event_name}")
        if event_filter is not None:
            # As in ignite, the handle holds the filter wrapper (with ``_parent``).
            handler = self._filtered_row(event_id, handler_id, handler, event_filter)
        return RemovableEventHandle(event_name, handler, self)

    def _filtered_row(
        self, event_id: int, handler_id: int, func: Callable, event_filter: Callable
    ) -> _FilteredRow:
        """The one ignite-shaped filter wrapper of a filtered handler. The engine keeps it
        while the handler is registered (ignite's handler list holds its wrapper), so a
        handle's weak reference to it stays valid exactly as long."""
        rows = self.__dict__.get("_filtered_rows")
        if rows is None:
            rows = self.__dict__["_filtered_rows"] = {}
        wrapper = rows.get(handler_id)
        if wrapper is None or wrapper._func is not func or wrapper._filter is not event_filter:
            self._prune_filtered_rows()
            counter = self._counter_of(self._events_by_id[event_id])
            wrapper = _FilteredRow(self, event_id, func, event_filter, counter)
            rows[handler_id] = wrapper
        return wrapper

    def _prune_filtered_rows(self) -> None:
        """Drops the wrappers of handlers that are no longer registered."""
        rows = self.__dict__.get("_filtered_rows")
        if not rows:
            return
        live: dict[int, set] = {}
        for handler_id, wrapper in list(rows.items()):
            ids = live.get(wrapper._event_id)
            if ids is None:
                ids = live[wrapper._event_id] = {
                    row[0] for row in self._core.handler_rows(wrapper._event_id)
                }
            if handler_id not in ids:
                del rows[handler_id]

    def _counter_of(self, event: Any) -> str | None:
        if isinstance(event, Events) or _event_key(event) in _BUILTIN_IDS:
            return BUILTIN_EVENTS[_BUILTIN_IDS[_event_key(event)]][2]
        for known, attr in self._event_to_attr.items():
            if _event_key(known) == _event_key(event):
                return attr
        return None

    def _call_plan(
        self, event_id: int, handler: Callable, args: tuple, kwargs: dict
    ) -> tuple[bool, bool]:
        """Decides once how the handler is called: (pass the engine?, pass event args?)."""
        if event_id == _BUILTIN_IDS["EXCEPTION_RAISED"]:
            options = [((Exception(),), {}, True)]
        elif event_id == _BUILTIN_IDS["TERMINATE_SINGLE_EPOCH"]:
            options = [((), {"iter_counter": 0}, True), ((), {}, False)]
        else:
            # Such events pass no arguments of their own, except through _fire_event(), which
            # passes its arguments to every handler as ignite does.
            options = [((), {}, True)]
        for pass_engine in (True, False):
            for event_args, event_kwargs, with_event_args in options:
                first = (self,) if pass_engine else ()
                if _signature_binds(handler, *first, *event_args, *args, **kwargs, **event_kwargs):
                    return pass_engine, with_event_args
        event_args, event_kwargs, _ = options[0]
        _check_signature(handler, "handler", *event_args, *args, **kwargs, **event_kwargs)
        raise AssertionError("unreachable")  # _check_signature raised

    def on(self, event_name: Any, *args: Any, **kwargs: Any) -> Callable:
        """Decorator form of :meth:`add_event_handler`.

        Examples:
            >>> from oxignite.engine import Engine, Events
            >>> engine = Engine(lambda engine, batch: None)
            >>> @engine.on(Events.COMPLETED)
            ... def done(engine):
            ...     print("done after", engine.state.iteration)
            >>> _ = engine.run([0, 0, 0])
            done after 3
        """

        def decorator(f: Callable) -> Callable:
            self.add_event_handler(event_name, f, *args, **kwargs)
            return f

        return decorator

    def has_event_handler(self, handler: Callable, event_name: Any | None = None) -> bool:
        """Whether ``handler`` is registered (on ``event_name``, or on any event)."""
        if event_name is None:
            return self._core.has_handler(handler)
        event_id = self._event_ids.get(_event_key(event_name))
        if event_id is None:
            return False
        return self._core.has_handler(handler, event_id)

    def remove_event_handler(self, handler: Callable, event_name: Any) -> None:
        """Removes ``handler`` from ``event_name``.

        Raises:
            ValueError: if the event is unknown or the handler is not registered on it.
        """
        event_id = self._event_ids.get(_event_key(event_name))
        if event_id is None:
            raise ValueError(f"Input event name '{event_name}' does not exist")
        if self._core.remove_handler(event_id, handler) == 0:
            raise ValueError(f"Input handler '{handler}' is not found among registered event handlers")
        self._prune_filtered_rows()

    @property
    def _event_handlers(self) -> _EventHandlers:
        """ignite's ``{event: [(handler, args, kwargs), ...]}``, as a live view of the core's
        tables: reads, appends, inserts, replacements and removals act on them."""
        return _EventHandlers(self)

    def fire_event(self, event_name: Any) -> None:
        """Calls the handlers of ``event_name`` now (e.g. a custom event from the process
        function).

        Raises:
            ValueError: if the event is not registered.
        """
        event_id = self._event_id(event_name)
        if overrides(self, Engine, "_fire_event"):
            self._fire_event(event_name)
        else:
            self._core.fire(self, self.state, event_id)

    def _fire_event(self, event_name: Any, *event_args: Any, **event_kwargs: Any) -> None:
        self._core.fire(
            self, self.state, self._event_id(event_name), event_args or None, event_kwargs or None
        )

    # -- control ----------------------------------------------------------------------

    def terminate(self, skip_completed: bool = False) -> None:
        """Stops the run after the current iteration; fires TERMINATE then COMPLETED (unless
        ``skip_completed``). A later ``run()`` continues from the next epoch."""
        self.logger.info("Terminate signaled. Engine will stop after current iteration is finished.")
        self.should_terminate = "skip_completed" if skip_completed else True

    def terminate_epoch(self, skip_epoch_completed: bool = False) -> None:
        """Ends the current epoch after the current iteration; fires TERMINATE_SINGLE_EPOCH
        then EPOCH_COMPLETED (unless ``skip_epoch_completed``)."""
        self.logger.info(
            "Terminate current epoch is signaled. "
            "Current epoch iteration will stop after current iteration is finished."
        )
        self.should_terminate_single_epoch = (
            "skip_epoch_completed" if skip_epoch_completed else True
        )

    def interrupt(self) -> None:
        """Pauses the run after the current event; fires INTERRUPT and returns from
        ``run()``. The next ``run()`` continues exactly where it stopped.

        Examples:
            >>> from oxignite.engine import Engine, Events
            >>> engine = Engine(lambda engine, batch: batch)
            >>> @engine.on(Events.ITERATION_COMPLETED(once=2))
            ... def pause(engine):
            ...     engine.interrupt()
            >>> engine.run([1, 2, 3, 4]).iteration
            2
            >>> engine.run().iteration
            4
        """
        if not self.interrupt_resume_enabled:
            raise RuntimeError(
                "Engine 'interrupt/resume' feature is disabled. "
                "Please, set Engine.interrupt_resume_enabled=True to enable it"
            )
        self.logger.info(
            "interrupt signaled. Engine will interrupt the run after current iteration is finished."
        )
        self.should_interrupt = True

    # -- data -------------------------------------------------------------------------

    def set_data(self, data: Iterable) -> None:
        """Switches the data the engine iterates over, also during a run (from a handler).

        Examples:
            >>> from oxignite.engine import Engine, Events
            >>> seen = []
            >>> engine = Engine(lambda engine, batch: seen.append(batch))
            >>> @engine.on(Events.EPOCH_COMPLETED(once=1))
            ... def switch(engine):
            ...     engine.set_data([10, 20])
            >>> _ = engine.run([1, 2], max_epochs=2)
            >>> seen
            [1, 2, 10, 20]
        """
        if not _is_iterable(data):
            raise TypeError(f"Argument data should be iterable, got {type(data).__name__}")
        self.state.dataloader = data
        self._core.epoch_hook = self._epoch_hook(data)
        self._core.set_data_iter(data)

    def _epoch_hook(self, data: Any) -> Callable[[int], None] | None:
        """The sampler's ``set_epoch`` the core calls before each pass, when opted in
        (``set_sampler_epoch``)."""
        if not self.set_sampler_epoch or type(data) in (list, tuple, range):
            return None
        sampler = getattr(data, "sampler", None)
        set_epoch = getattr(sampler, "set_epoch", None)
        return set_epoch if callable(set_epoch) else None

    # -- serialization ----------------------------------------------------------------

    def state_dict(self) -> OrderedDict:
        """``epoch_length``, ``iteration``, ``max_epochs`` or ``max_iters``, and the
        ``state_dict_user_keys`` attributes.

        Examples:
            >>> from oxignite.engine import Engine
            >>> engine = Engine(lambda engine, batch: None)
            >>> _ = engine.run([0, 0], max_epochs=3)
            >>> dict(engine.state_dict())
            {'epoch_length': 2, 'iteration': 6, 'max_epochs': 3}
        """
        keys: tuple[str, ...] = self._state_dict_all_req_keys
        keys += ("max_iters",) if self.state.max_iters is not None else ("max_epochs",)
        keys += tuple(self._state_dict_user_keys)
        return OrderedDict([(k, getattr(self.state, k)) for k in keys])

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restores a ``state_dict()``; the next ``run()`` resumes at the saved iteration.

        Accepts ``epoch`` instead of ``iteration``. Raises ValueError for missing or
        contradictory keys and TypeError for a non-mapping.

        Examples:
            >>> from oxignite.engine import Engine
            >>> engine = Engine(lambda engine, batch: None)
            >>> engine.load_state_dict({"epoch": 2, "max_epochs": 5, "epoch_length": 10})
            >>> engine.state.iteration, engine.run([0] * 10).iteration
            (20, 50)
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
        # Everything is checked before anything is assigned: a bad dict changes nothing.
        if "iteration" in state_dict and "epoch" in state_dict:
            raise ValueError(
                "State dictionary should contain only one of 'iteration' or 'epoch' keys. "
                f"Found both: iteration={state_dict['iteration']}, epoch={state_dict['epoch']}."
            )
        for key in ("iteration", "epoch", "epoch_length", "max_epochs", "max_iters"):
            value = state_dict.get(key)
            if value is not None and (
                not isinstance(value, numbers.Real) or isinstance(value, bool)
            ):
                raise TypeError(f"state_dict['{key}'] should be an integer, got {value!r}")
            if value is not None and key != "max_epochs" and not _is_whole(value):
                raise ValueError(f"state_dict['{key}'] should be a whole number, got {value!r}")
            if value is not None and abs(value) > _MAX_COUNTER:
                raise ValueError(f"state_dict['{key}'] should be smaller than 2**63, got {value!r}")
        state_dict = dict(state_dict)
        if "iteration" in state_dict or "epoch" in state_dict:
            epoch_length = state_dict.get("epoch_length")
            if state_dict.get("epoch") == 0 or state_dict.get("iteration") == 0:
                state_dict["epoch"] = 0
                state_dict["iteration"] = 0
            else:
                if epoch_length is None or epoch_length <= 0:
                    raise ValueError(
                        "epoch_length must be a positive integer to calculate missing "
                        f"'iteration' or 'epoch' key. Input state_dict: {state_dict}"
                    )
                if "epoch" in state_dict:
                    state_dict["iteration"] = state_dict["epoch"] * epoch_length
                else:
                    state_dict["epoch"] = state_dict["iteration"] // epoch_length
        for key in self._state_dict_all_req_keys:
            if key not in state_dict:
                raise ValueError(
                    f"Required state attribute '{key}' is absent in provided state_dict "
                    f"'{state_dict.keys()}'"
                )
        for group in self._state_dict_one_of_opt_keys:
            if sum(k in state_dict for k in group) != 1:
                raise ValueError(f"state_dict should contain exactly one of '{group}' keys")
        for key in self._state_dict_user_keys:
            if key not in state_dict:
                raise ValueError(
                    f"Required user state attribute '{key}' is absent in provided state_dict "
                    f"'{state_dict.keys()}'"
                )
        iteration = state_dict["iteration"]
        epoch_length = state_dict["epoch_length"]
        epoch = iteration // epoch_length if epoch_length else 0
        if "max_epochs" in state_dict:
            limit_name, progress_name, progress = "max_epochs", "epoch", epoch
        else:
            limit_name, progress_name, progress = "max_iters", "iteration", iteration
        limit = state_dict[limit_name]
        self._check_termination_param(limit_name, limit, progress_name, progress)

        state = self.state
        for key in self._state_dict_user_keys:
            setattr(state, key, state_dict[key])
        state.epoch_length = epoch_length
        state.iteration = iteration
        state.epoch = epoch
        state.max_epochs = limit if limit_name == "max_epochs" else None
        state.max_iters = limit if limit_name == "max_iters" else None
        # A loaded state replaces any paused run and its data position.
        self._core.reset_run()
        self._core.set_data_iter(None)

    # -- running ----------------------------------------------------------------------

    @staticmethod
    def _check_termination_param(
        name: str, value: int | None, progress_name: str, progress_value: int
    ) -> None:
        if value is None:
            return
        _check_positive_int(name, value)
        if value < progress_value:
            raise ValueError(
                f"Argument {name} should be greater than or equal to the start "
                f"{progress_name} defined in the state: {value} vs {progress_value}. "
                f"Please, set engine.state.{name} = None "
                "before calling engine.run() in order to restart the training from the beginning."
            )

    def _check_and_set_termination_param(
        self, name: str, value: int | None, progress_name: str, progress_value: int
    ) -> None:
        self._check_termination_param(name, value, progress_name, progress_value)
        if value is not None:
            setattr(self.state, name, value)

    def _check_and_set_max_epochs(self, max_epochs: int | None = None) -> None:
        self._check_and_set_termination_param("max_epochs", max_epochs, "epoch", self.state.epoch)

    def _check_and_set_max_iters(self, max_iters: int | None = None) -> None:
        self._check_and_set_termination_param(
            "max_iters", max_iters, "iteration", self.state.iteration
        )

    @staticmethod
    def _get_data_length(data: Iterable) -> int | None:
        try:
            if hasattr(data, "__len__"):
                return len(data)  # type: ignore[arg-type]
        except TypeError:
            pass
        return None

    @staticmethod
    def _is_done(state: State) -> bool:
        return state.is_done()

    def run(
        self,
        data: Iterable | None = None,
        max_epochs: int | None = None,
        max_iters: int | None = None,
        epoch_length: int | None = None,
    ) -> State:
        """Runs the process function over ``data``, or resumes a stopped run.

        A new run starts when the state has no ``max_epochs``/``max_iters`` or the previous
        run is done; otherwise the run continues from ``state.iteration`` (after
        ``terminate()``, ``interrupt()``, an exception, or ``load_state_dict()``). After
        ``interrupt()`` it continues exactly where it paused; after an exception it retries
        the iteration that did not finish.

        Args:
            data: an iterable (a list, a DataLoader, ...), or None with ``epoch_length`` to
                run the process function with ``batch=None``.
            max_epochs: epochs to run (default 1 for a new run).
            max_iters: iterations to run instead of ``max_epochs``.
            epoch_length: iterations per epoch; default ``len(data)``, or the count at the
                first exhaustion of an iterator without length.

        Returns:
            The engine's state.
        """
        if data is not None and not _is_iterable(data):
            raise TypeError(f"Argument data should be iterable, got {type(data).__name__}")
        if max_epochs is not None and max_iters is not None:
            raise ValueError(
                "Arguments max_iters and max_epochs are mutually exclusive. "
                "Please provide only max_epochs or max_iters."
            )
        for name, value in (
            ("max_epochs", max_epochs),
            ("max_iters", max_iters),
            ("epoch_length", epoch_length),
        ):
            _check_positive_int(name, value)
        if self._core.is_running:
            raise RuntimeError("Engine.run() was called while this engine is already running")
        state = self.state
        if max_iters is not None and state.max_epochs is not None:
            raise ValueError(
                "To switch from max_epochs to max_iters mode during resume, you must first "
                "reset by setting 'engine.state.max_epochs = None' before calling run()."
            )
        if max_epochs is not None and state.max_iters is not None:
            raise ValueError(
                "To switch from max_iters to max_epochs mode during resume, you must first "
                "reset by setting 'engine.state.max_iters = None' before calling run()."
            )
        if state.max_epochs is not None:
            self._check_and_set_max_epochs(max_epochs)
        if state.max_iters is not None:
            self._check_and_set_max_iters(max_iters)

        suspended = self._core.is_suspended
        new_state = (state.max_epochs is None and state.max_iters is None) or (
            state.is_done() and not suspended
        )
        if new_state:
            if data is None and epoch_length is None and state.epoch_length is None:
                raise ValueError("epoch_length should be provided if data is None")
            if epoch_length is None:
                if data is not None:
                    epoch_length = self._get_data_length(data)
                if epoch_length is None:
                    epoch_length = state.epoch_length
            if epoch_length is not None and epoch_length < 1:
                raise ValueError("Input data has zero size. Please provide non-empty data")
            if max_iters is None and max_epochs is None:
                max_epochs = 1
            state.iteration = 0
            state.epoch = 0
            state.max_epochs = max_epochs if max_iters is None else None
            state.max_iters = max_iters
            state.epoch_length = epoch_length
            if suspended:
                # A paused run is abandoned, with its position in the data (as ignite does
                # when it drops its run generator).
                self._core.set_data_iter(None)
            self._core.reset_run()
            if max_iters is not None:
                self.logger.info("Engine run starting with max_iters=%s.", max_iters)
            else:
                self.logger.info("Engine run starting with max_epochs=%s.", max_epochs)
        else:
            if state.epoch_length is not None:
                if epoch_length is not None and epoch_length != state.epoch_length:
                    raise ValueError(
                        "Argument epoch_length should be same as in the state, "
                        f"but given {epoch_length} vs {state.epoch_length}"
                    )
            else:
                if epoch_length is None and data is not None:
                    epoch_length = self._get_data_length(data)
                if epoch_length is not None:
                    if epoch_length < 1:
                        raise ValueError("Input data has zero size. Please provide non-empty data")
                    state.epoch_length = epoch_length
            self.logger.info(
                "Engine run resuming from iteration %s, epoch %s until %s",
                state.iteration,
                state.epoch,
                f"{state.max_iters} iterations"
                if state.max_iters is not None
                else f"{state.max_epochs} epochs",
            )
            if state.epoch_length is None and data is None and state.dataloader is None:
                raise ValueError("epoch_length should be provided if data is None")
            if self.should_terminate:
                self._core.init_iter = 0

        if not self._core.has_data_iter and (data is not None or not suspended):
            if data is None and not new_state:
                # Resuming without new data: keep iterating the data given before.
                data = state.dataloader
            state.dataloader = data
            self._core.epoch_hook = self._epoch_hook(data)

        scoped = self.__dict__.get("_run_scoped")
        if scoped:
            return self._run_in_scopes(scoped)
        return self._internal_run()

    def _run_in_scopes(self, scoped: list) -> State:
        """Runs inside the ``_run_scope(engine)`` context of each handler object that defines
        one and is still registered (TerminateOnSignal's signal handlers, Checkpoint's pending
        asynchronous writes): entered when ``run()`` starts or resumes, exited however the
        run ends (completed, terminated, interrupted or raising). Not ignite API: a hook
        for oxignite's own handlers, paid once per ``run()``, never per iteration."""
        scoped[:] = [h for h in scoped if self._core.has_handler(h)]
        with contextlib.ExitStack() as stack:
            for handler in list(scoped):
                stack.enter_context(handler._run_scope(self))
            return self._internal_run()

    # -- ignite's private surface -------------------------------------------------------
    # Subclasses written for ignite override some of these; the core honours the overrides
    # (checked once per run, so engines that don't override keep the native path).

    def _internal_run(self) -> State:
        """Runs the loop in the core (ignite's ``_internal_run``)."""
        state = self.state
        hooks = _class_hooks(type(self))
        fire_hook = setup_hook = events = None
        if hooks[0] or "_fire_event" in self.__dict__:
            fire_hook, events = self._fire_event, self._events_by_id
        if hooks[1] or "_setup_engine" in self.__dict__:
            setup_hook = self._setup_engine
        # ignite's log lines cost one level check per run when the logger is off.
        logger = self.logger
        log_info = logger.isEnabledFor(logging.INFO)
        self._core.run(
            self,
            state,
            self._process_function,
            fire_hook,
            events,
            setup_hook,
            self._log_epoch_done if log_info else None,
            logger.error if logger.isEnabledFor(logging.ERROR) else None,
        )
        if log_info and not self._core.is_suspended:
            hours, mins, secs = _to_hours_mins_secs(state.times.get("COMPLETED") or 0.0)
            logger.info(f"Engine run finished. Time taken: {hours:02d}:{mins:02d}:{secs:06.3f}")
        return state

    def _log_epoch_done(self) -> None:
        """ignite's line after each completed epoch (the core calls it)."""
        state = self.state
        hours, mins, secs = _to_hours_mins_secs(state.times.get("EPOCH_COMPLETED") or 0.0)
        self.logger.info(
            f"Epoch[{state.epoch}] Complete. Time taken: {hours:02d}:{mins:02d}:{secs:06.3f}"
        )

    @property
    def _internal_run_generator(self) -> Any:
        """ignite keeps its paused run as a generator here: not None exactly while a run is
        paused by ``interrupt()``. The core keeps the paused run natively, so this is a
        marker object then, and None otherwise."""
        return _PAUSED_RUN if self._core.is_suspended else None

    @_internal_run_generator.setter
    def _internal_run_generator(self, value: Any) -> None:
        # ignite drops the paused run by setting None; nothing else can be assigned.
        if value is not None:
            raise ValueError(
                f"Argument _internal_run_generator can only be set to None, got {value!r}"
            )
        if self._core.is_running:
            raise RuntimeError("_internal_run_generator cannot be reset while the engine is running")
        self._core.reset_run()

    @property
    def _dataloader_iter(self) -> Iterator | None:
        """The iterator the current (or paused) run reads; None outside a run."""
        return self._core.data_iter

    @_dataloader_iter.setter
    def _dataloader_iter(self, iterator: Iterable | None) -> None:
        self._core.set_data_iter(iterator)

    @property
    def _init_iter(self) -> int | None:
        """Iterations already done in the epoch a run resumes in (consumed at its start)."""
        return self._core.init_iter

    @_init_iter.setter
    def _init_iter(self, value: int | None) -> None:
        self._core.init_iter = value

    def _setup_dataloader_iter(self) -> None:
        """A fresh iterator over ``state.dataloader`` (``epoch_length`` Nones without data)."""
        if self.state.dataloader is None:
            if self.state.epoch_length is None:
                raise RuntimeError(
                    "Internal error, self.state.epoch_length is None. "
                    "Please, file an issue if you encounter this error."
                )
            self._dataloader_iter = iter([None] * self.state.epoch_length)
        else:
            self._dataloader_iter = iter(self.state.dataloader)

    def _setup_engine(self) -> None:
        """Starts a pass over the data at ``state.iteration`` (ignite's ``_setup_engine``).

        The core does this natively; a subclass that overrides it is called instead, and
        must set ``_dataloader_iter`` (and may set ``_init_iter``)."""
        self._setup_dataloader_iter()
        if self._init_iter is None:
            iteration = self.state.iteration
            if self.state.epoch_length is not None:
                iteration %= self.state.epoch_length
            self._init_iter = iteration

    def _internal_run_as_gen(self) -> Any:
        raise NotImplementedError(_NATIVE_LOOP.format("_internal_run_as_gen"))

    def _run_once_on_dataset_as_gen(self) -> Any:
        raise NotImplementedError(_NATIVE_LOOP.format("_run_once_on_dataset_as_gen"))

    def _internal_run_legacy(self) -> State:
        raise NotImplementedError(_NATIVE_LOOP.format("_internal_run_legacy"))

    def _run_once_on_dataset_legacy(self) -> float:
        raise NotImplementedError(_NATIVE_LOOP.format("_run_once_on_dataset_legacy"))


class _PausedRun:
    """What ``Engine._internal_run_generator`` shows while a run is paused."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<paused run (kept by oxignite's native core)>"


_PAUSED_RUN = _PausedRun()

_NATIVE_LOOP = (
    "{} is ignite's Python loop; oxignite runs that loop in its native core and cannot run "
    "an override of it (override _fire_event or _setup_engine, which the core honours, or "
    "attach handlers instead)"
)
_LOOP_METHODS = (
    "_internal_run_as_gen",
    "_run_once_on_dataset_as_gen",
    "_internal_run_legacy",
    "_run_once_on_dataset_legacy",
)
# Per class, dropped with the class (classes made at run time, e.g. in tests, are freed).
_HOOKS: weakref.WeakKeyDictionary[type, tuple[bool, bool]] = weakref.WeakKeyDictionary()


def _class_hooks(cls: type) -> tuple[bool, bool]:
    """(overrides _fire_event, overrides _setup_engine) for an engine class, checked once;
    a class overriding ignite's Python loop itself is refused with a clear error."""
    hooks = _HOOKS.get(cls)
    if hooks is None:
        for name in _LOOP_METHODS:
            if overrides(cls, Engine, name):
                raise NotImplementedError(_NATIVE_LOOP.format(f"{cls.__name__}.{name}"))
        hooks = _HOOKS[cls] = (
            overrides(cls, Engine, "_fire_event"),
            overrides(cls, Engine, "_setup_engine"),
        )
    return hooks


class _IgniteRow:
    """A handler added as a raw ``(handler, args, kwargs)`` row through ``_event_handlers``,
    called exactly as ignite's ``_fire_event`` calls rows: event arguments first, a leading
    ``weakref`` to an engine resolved, the event's keyword arguments merged into ``kwargs``."""

    __slots__ = ("args", "func", "kwargs")

    def __init__(self, func: Callable, args: tuple, kwargs: dict) -> None:
        self.func, self.args, self.kwargs = func, tuple(args), kwargs

    def __call__(self, *event_args: Any, **event_kwargs: Any) -> Any:
        kwargs = self.kwargs
        kwargs.update(event_kwargs)
        args = self.args
        if args and isinstance(args[0], weakref.ref):
            engine = args[0]()
            if engine is None:
                raise RuntimeError("Engine reference not resolved. Cannot execute event handler.")
            return self.func(engine, *event_args, *args[1:], **kwargs)
        return self.func(*event_args, *args, **kwargs)

    def __eq__(self, other: object) -> bool:
        # remove_event_handler / has_event_handler compare with the user's handler.
        if other is self:
            return True
        func = self.func
        parent = getattr(func, "_parent", None)
        if isinstance(parent, weakref.ref):
            func = parent()
        return bool(func == other)

    def __repr__(self) -> str:
        return repr(self.func)

    __hash__ = object.__hash__


class _FilteredRow:
    """How a filtered handler shows in ``_event_handlers``: like ignite's filter wrapper, a
    callable that applies the filter, with ``_parent`` (a weakref to the handler)."""

    def __init__(
        self, engine: Engine, event_id: int, func: Callable, event_filter: Callable, counter: str
    ) -> None:
        functools.update_wrapper(self, func)  # __qualname__ etc., like ignite's wrapper
        self._func, self._filter, self._counter = func, event_filter, counter
        self._event_id = event_id
        self._engine = weakref.ref(engine)
        try:
            self._parent: Callable = weakref.ref(func)
        except TypeError:
            self._parent = lambda: func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        engine = self._engine()
        count = getattr(engine.state, self._counter)
        if self._filter(engine, count):
            return self._func(*args, **kwargs)
        return None

    # Compared by identity, like ignite's wrapper function: has_event_handler() and
    # remove_event_handler() take the handler, not its wrapper.

    def __repr__(self) -> str:
        return f"<filtered {self._func!r}>"


class _HandlerList(MutableSequence):
    """The handlers of one event as ignite's list of ``(handler, args, kwargs)`` rows."""

    def __init__(self, engine: Engine, event_id: int) -> None:
        self._engine, self._id = engine, event_id

    def _rows(self) -> list:
        return self._engine._core.handler_rows(self._id)

    def _as_row(self, row: tuple) -> tuple:
        handler_id, func, args, kwargs, pass_engine, _, event_filter = row
        if isinstance(func, _IgniteRow):
            return (func.func, func.args, func.kwargs)
        engine = self._engine
        if event_filter is not None:
            func = engine._filtered_row(self._id, handler_id, func, event_filter)
        if pass_engine:
            args = (weakref.ref(engine), *args)
        return (func, args, kwargs)

    def __len__(self) -> int:
        return self._engine._core.handler_count(self._id)

    def __getitem__(self, index: Any) -> Any:
        rows = self._rows()
        if isinstance(index, slice):
            return [self._as_row(r) for r in rows[index]]
        return self._as_row(rows[index])

    def _rebuild(self, edit: Callable[[list, Callable[[Any], Any]], None]) -> None:
        """Applies ``edit(items, item_for)`` to the list of handler ids and writes it back;
        ``item_for(row)`` turns a row into an item."""
        rows = self._rows()
        items: list = [row[0] for row in rows]  # ids: kept as they are
        shown = [(row[0], self._as_row(row)) for row in rows]

        def item_for(row: Any) -> Any:
            if not (isinstance(row, tuple) and len(row) == 3):
                raise TypeError(
                    f"an event handler row is a tuple (handler, args, kwargs), got {row!r}"
                )
            func, args, kwargs = row
            if not callable(func):
                raise TypeError(f"the handler of a row should be callable, got {func!r}")
            # A row read from this list and written back unchanged keeps its native form.
            for handler_id, (f, a, k) in shown:
                if f is func and a == tuple(args) and k == kwargs and handler_id not in items:
                    return handler_id
            return _IgniteRow(func, args, kwargs)

        edit(items, item_for)
        self._engine._core.set_event_handlers(self._id, items)

    def __setitem__(self, index: Any, row: Any) -> None:
        def edit(items: list, item_for: Callable[[Any], Any]) -> None:
            if isinstance(index, slice):
                start, stop, step = index.indices(len(items))
                if step != 1:
                    raise ValueError("extended slices of event handlers cannot be assigned")
                del items[start:stop]
                for offset, r in enumerate(list(row)):
                    items.insert(start + offset, item_for(r))
            else:
                items[index] = None  # frees its id for item_for
                items[index] = item_for(row)

        self._rebuild(edit)

    def __delitem__(self, index: Any) -> None:
        def edit(items: list, item_for: Callable[[Any], Any]) -> None:
            del items[index]

        self._rebuild(edit)

    def insert(self, index: int, row: Any) -> None:
        appended = index >= len(self)
        self._rebuild(lambda items, item_for: items.insert(index, item_for(row)))
        core = self._engine._core
        if appended and core.last_event == self._id:
            # ignite loops over this very list while it dispatches the event, so a row
            # appended by one of its handlers is called in that same dispatch (ignite's time
            # profilers rely on it); the core calls it at the end of the dispatch. (Handlers
            # added with add_event_handler keep the engine's rule: from the next firing.)
            core.call_late(self._id, self._rows()[-1][0])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, _HandlerList)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))


class _EventHandlers(MutableMapping):
    """ignite's ``engine._event_handlers`` (a ``defaultdict(list)``) over the core's tables:
    every registered event maps to its live handler list, empty if it has none."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _event_id(self, event: Any) -> int | None:
        try:
            return self._engine._event_ids.get(_event_key(event))
        except TypeError:  # unhashable
            return None

    def __getitem__(self, event: Any) -> Any:
        event_id = self._event_id(event)
        if event_id is None:
            return []  # like the defaultdict: an unknown event has no handlers
        return _HandlerList(self._engine, event_id)

    def __setitem__(self, event: Any, rows: Any) -> None:
        event_id = self._event_id(event)
        if event_id is None:
            raise ValueError(f"Event {event} is not a valid event for this engine")
        _HandlerList(self._engine, event_id)[:] = list(rows)

    def __delitem__(self, event: Any) -> None:
        event_id = self._event_id(event)
        if event_id is None:
            raise KeyError(event)
        self._engine._core.set_event_handlers(event_id, [])

    def _ids_with_handlers(self) -> list[int]:
        core = self._engine._core
        return [i for i in self._engine._event_ids.values() if core.handler_count(i)]

    def __iter__(self) -> Iterator:
        events = self._engine._events_by_id
        return iter([events[i] for i in self._ids_with_handlers()])

    def __len__(self) -> int:
        return len(self._ids_with_handlers())

    def __contains__(self, event: object) -> bool:
        event_id = self._event_id(event)
        return event_id is not None and self._engine._core.handler_count(event_id) > 0

    def __repr__(self) -> str:
        return repr({event: list(self[event]) for event in self})
