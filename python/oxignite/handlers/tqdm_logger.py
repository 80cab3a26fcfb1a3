"""ProgressBar: a tqdm progress bar driven by engine events."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import oxignite.distributed as idist
from oxignite._core import Gate
from oxignite.engine import Engine, Events
from oxignite.engine.natives import NativeSpec, set_native
from oxignite.handlers.base_logger import BaseLogger, BaseOutputHandler

__all__ = ["ProgressBar"]

_DEFAULT_BAR_FORMAT = (
    "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}<{remaining}]"
)


def _base_event(event: Any) -> Any:
    """The plain ``Events`` member behind a (possibly filtered) event."""
    for member in _EVENTS_ORDER:
        if event == member:
            return member
    return event


_EVENTS_ORDER = [
    Events.STARTED,
    Events.EPOCH_STARTED,
    Events.ITERATION_STARTED,
    Events.ITERATION_COMPLETED,
    Events.EPOCH_COMPLETED,
    Events.COMPLETED,
]


class ProgressBar(BaseLogger):
    """tqdm progress bar over the iterations (or epochs) of an engine.

    Only rank 0 draws in distributed runs; on other ranks ``attach`` and ``log_message`` do
    nothing.

    Cost and host-device syncs: attached to a plain ``ITERATION_*`` event (the default), the
    bar's counter moves on every iteration, but its text (the description, and the postfix
    from ``output_transform``, ``metric_names`` and ``state_attributes``) is built only when
    tqdm is about to redraw (its ``miniters`` / ``mininterval``, 0.1 s by default), and on
    each bar's first and last iteration, where it is built and drawn exactly as ignite does,
    so the bar opens and closes with ignite's text (on filtered or epoch events: at every
    call, as ignite). A loss tensor on a device is therefore read (``.item()``) once per
    redraw, not every iteration, and ``output_transform`` is called only then. (ignite builds
    the text and redraws on every event.) On an oxignite Engine the core skips the handler's
    call between redraws (a native gate armed after each call with tqdm's redraw test; it
    moves the bar's count itself), so such an iteration costs no Python call. Metrics shown
    are read as they are: a
    ``RunningAverage(..., keep_on_device=True)`` is brought to the host only when the bar
    shows it.

    Args:
        persist: keep the bar on screen after it is closed.
        bar_format: tqdm ``bar_format`` (``None`` for tqdm's default).
        tqdm_kwargs: other ``tqdm`` arguments (``desc``, ``file``, ``ncols``...).

    Example::

        from oxignite.handlers import ProgressBar
        pbar = ProgressBar(persist=True)
        pbar.attach(trainer, metric_names="all", output_transform=lambda loss: {"loss": loss})
        pbar.log_message("starting")  # prints without breaking the bar
    """

    _events_order = _EVENTS_ORDER

    def __init__(
        self,
        persist: bool = False,
        bar_format: str | None = _DEFAULT_BAR_FORMAT,
        **tqdm_kwargs: Any,
    ):
        try:
            from tqdm.autonotebook import tqdm
        except ImportError as e:
            raise ModuleNotFoundError(
                "This submodule requires tqdm to be installed. "
                "Please install it with the command: \n pip install tqdm"
            ) from e
        self.pbar_cls = tqdm
        self.pbar: Any = None
        self.persist = persist
        self.bar_format = bar_format
        self.tqdm_kwargs = tqdm_kwargs
        # Output handlers whose calls the core gates (see ``_OutputHandler._arm``).
        self._gated: list[_OutputHandler] = []

    def _reset(self, pbar_total: int | None) -> None:
        self.pbar = self.pbar_cls(
            total=pbar_total,
            leave=self.persist,
            bar_format=self.bar_format,
            initial=1,
            **self.tqdm_kwargs,
        )

    def _close(self, engine: Engine) -> None:
        if self.pbar is not None:
            if self.pbar.total is not None:
                self.pbar.n = self.pbar.total
            self.pbar.close()
        self.pbar = None

    @staticmethod
    def _compare_lt(event1: Any, event2: Any) -> bool:
        order = ProgressBar._events_order
        return order.index(_base_event(event1)) < order.index(_base_event(event2))

    def log_message(self, message: str) -> None:
        """Print ``message`` above the bar (to ``tqdm_kwargs["file"]`` if given)."""
        if idist.get_rank() != 0:
            return
        from tqdm import tqdm

        tqdm.write(message, file=self.tqdm_kwargs.get("file", None))

    def attach(  # type: ignore[override]
        self,
        engine: Engine,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        event_name: Any = Events.ITERATION_COMPLETED,
        closing_event_name: Any = Events.EPOCH_COMPLETED,
        state_attributes: list[str] | None = None,
    ) -> None:
        """Update the bar on ``event_name`` and close it on ``closing_event_name``.

        Args:
            engine: the engine.
            metric_names: ``engine.state.metrics`` names to show, or ``"all"``.
            output_transform: maps ``engine.state.output`` to a number or a dict to show.
            event_name: when to update (an iteration or epoch event, may be filtered).
            closing_event_name: when to close the bar (must not be filtered, and must come
                after ``event_name``).
            state_attributes: ``engine.state`` attributes to show.
        """
        if _base_event(event_name) not in self._events_order:
            name = getattr(event_name, "name", event_name)  # ignite names it by ``.name``
            raise ValueError(f"Logging event {name} is not in allowed events for this engine")
        if getattr(closing_event_name, "filter", None) is not None:
            raise ValueError("Closing Event should not be a filtered event")
        if _base_event(closing_event_name) not in self._events_order:
            raise ValueError(f"Closing event {closing_event_name} is not supported")
        if not self._compare_lt(event_name, closing_event_name):
            raise ValueError(
                f"Logging event {event_name} should be called before closing event "
                f"{closing_event_name}"
            )
        if idist.get_rank() != 0:
            return
        desc = self.tqdm_kwargs.get("desc", "")
        log_handler = _OutputHandler(
            desc,
            metric_names,
            output_transform,
            closing_event_name=closing_event_name,
            state_attributes=state_attributes,
        )
        super().attach(engine, log_handler, event_name)
        engine.add_event_handler(closing_event_name, self._close)
        if event_name in (Events.ITERATION_STARTED, Events.ITERATION_COMPLETED) and (
            getattr(event_name, "filter", None) is None
        ):
            # Between two redraws the core skips the handler itself (a gate armed after each
            # call), so most iterations cost no Python call.
            gate = Gate()
            if set_native(engine, event_name, log_handler, NativeSpec.gate(gate)):
                log_handler._gate = gate
                self._gated.append(log_handler)
            # A handler after the bar's in the same firing may stop the run or the epoch: the
            # bar's call then only moved the counter; draw the text it would have drawn.
            engine.add_event_handler(
                Events.TERMINATE | Events.TERMINATE_SINGLE_EPOCH, log_handler._catch_up, self
            )

    def attach_opt_params_handler(
        self, engine: Engine, event_name: Any, *args: Any, **kwargs: Any
    ) -> None:  # type: ignore[override]
        """Not supported by ProgressBar (no-op, as in ignite)."""

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> _OutputHandler:
        return _OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> Callable:
        """Not supported by ProgressBar."""
        raise NotImplementedError


class _OutputHandler(BaseOutputHandler):
    """Updates the ProgressBar's description, postfix and position."""

    def __init__(
        self,
        description: str,
        metric_names: str | list[str] | None = None,
        output_transform: Callable | None = None,
        closing_event_name: Any = Events.EPOCH_COMPLETED,
        state_attributes: list[str] | None = None,
    ):
        if metric_names is None and output_transform is None:
            metric_names = []
        super().__init__(
            description, metric_names, output_transform, None, state_attributes=state_attributes
        )
        self.closing_event_name = closing_event_name
        self._kind_cache: tuple | None = None
        self._fast_event: Any = None
        # Set by ProgressBar.attach where the core gates this handler's calls.
        self._gate: Gate | None = None
        # The engine iteration whose text the bar shows.
        self._text_at: int | None = None

    @staticmethod
    def get_max_number_events(event_name: Any, engine: Engine) -> int | None:
        if event_name in (Events.ITERATION_STARTED, Events.ITERATION_COMPLETED):
            return engine.state.epoch_length
        if event_name in (Events.EPOCH_STARTED, Events.EPOCH_COMPLETED):
            return engine.state.max_epochs
        return 1

    def _event_kind(self, event_name: Any) -> tuple[bool, bool]:
        """(counts iterations, unfiltered) for ``event_name``, cached by identity: the
        handler is called with the same event object every time."""
        cached = self._kind_cache
        if cached is not None and cached[0] is event_name:
            return cached[1]
        kind = (
            event_name in (Events.ITERATION_STARTED, Events.ITERATION_COMPLETED),
            getattr(event_name, "filter", None) is None,
        )
        self._kind_cache = (event_name, kind)
        return kind

    def _render(self, engine: Engine, pbar: Any, refresh: bool) -> None:
        """Set the bar's description and postfix from the engine's current state; with
        ``refresh``, redraw after each, as ignite does."""
        self._text_at = engine.state.iteration
        desc = self.tag or ("Iteration" if engine.state.max_epochs == 1 else "Epoch")
        n_closing = self.get_max_number_events(self.closing_event_name, engine)
        if n_closing and n_closing > 1:
            step = engine.state.get_event_attrib_value(self.closing_event_name)
            desc += f" [{step}/{n_closing}]"
        pbar.set_description(desc, refresh=refresh)

        rendered = self._setup_output_metrics_state_attrs(engine, log_text=True)
        metrics = OrderedDict(("_".join(key[1:]), value) for key, value in rendered.items())
        if metrics:
            pbar.set_postfix(metrics, refresh=refresh)

    def __call__(self, engine: Engine, logger: ProgressBar, event_name: Any) -> None:
        # ignite formats the description and postfix and redraws the bar after each, on every
        # call (tqdm's set_description/set_postfix refresh by default). On a plain iteration
        # event this does it only where it shows: on each bar's first and last iteration (and
        # when the engine is terminating the run or the epoch), exactly as ignite, so the bar
        # opens and closes with ignite's frames; in between, the text is formatted only just
        # before tqdm redraws (its miniters/mininterval test), and otherwise only the counter
        # moves: no ``output_transform`` call, no read of a device tensor (no host-device
        # sync). On an oxignite engine the core does not even call this in between (``_arm``).
        pbar = logger.pbar
        step = self._fast_step(engine, pbar, event_name)
        if step is not None:
            if pbar.disable:
                pass  # nothing shows: tqdm's own update does nothing either
            elif _will_redraw(pbar, step):
                self._render(engine, pbar, refresh=False)
                pbar.update(step - pbar.n)
            else:
                pbar.n = step  # all that tqdm's update does when it does not redraw
            self._arm(engine.state.iteration, step, engine.state.epoch_length, pbar)
            return
        self._update(engine, logger, event_name)
        if self._gate is not None:
            pbar = logger.pbar
            step = self._fast_step(engine, pbar, event_name)
            if step is None:
                self._gate.disarm()
            else:
                self._arm(engine.state.iteration, step, engine.state.epoch_length, pbar)

    def _catch_up(self, engine: Engine, logger: ProgressBar) -> None:
        """On TERMINATE / TERMINATE_SINGLE_EPOCH: if this iteration's call only moved the
        counter (the core's gate, or the counter-only path), because the handler that stops
        the run came after it in the same firing, do what ignite's call did there: draw the
        text at the previous count, then move the counter."""
        pbar, event = logger.pbar, self._fast_event
        state = engine.state
        if pbar is None or event is None or state.epoch_length is None:
            return
        step = (state.iteration - 1) % state.epoch_length + 1
        if self._text_at == state.iteration or pbar.n != step:
            return  # drawn here already, or this iteration's call did not happen
        pbar.n = step - 1
        self._update(engine, logger, event)

    def _fast_step(self, engine: Engine, pbar: Any, event_name: Any) -> int | None:
        """The bar's count for this call when only the counter may move (a plain iteration
        event, an open bar of known length, not the epoch's last step, not stopping), else
        None: the call then draws as ignite does."""
        if event_name is not self._fast_event or pbar is None:
            return None
        state = engine.state
        total = state.epoch_length
        if total is None:
            return None
        step = (state.iteration - 1) % total + 1
        if step == total or _stops_here(engine):
            return None
        return step

    def _arm(self, iteration: int, step: int, total: int, pbar: Any) -> None:
        """Let the core skip the calls that would only move the counter (it sets ``pbar.n``
        itself, as this call would): until the epoch's last iteration, and, for a visible
        bar, until tqdm's redraw test can pass (the count ``miniters`` past the last redraw,
        and the clock past ``mininterval`` and ``delay``; a little early on the clock, as
        this call makes the exact test). tqdm's monitor thread may lower ``miniters`` after
        ``maxinterval`` without a redraw: the gate opens then too. With a clock other than
        ``time.time`` the count alone opens it."""
        gate = self._gate
        if gate is None:
            return
        base = iteration - step  # the engine's iteration before this epoch's first
        if pbar.disable:
            gate.arm(iteration, base + total, base + total, -math.inf, math.inf)
            return
        min_count = base + pbar.last_print_n + math.ceil(pbar.miniters)
        if pbar._time is time.time:
            deadline = max(pbar.last_print_t + pbar.mininterval, pbar.start_t + pbar.delay)
            stale_at = pbar.last_print_t + (pbar.maxinterval or math.inf)
            gate.arm(iteration, base + total, min_count, deadline - 1e-6, stale_at, pbar, base)
        else:
            gate.arm(iteration, base + total, min_count, -math.inf, -math.inf, pbar, base)

    def _update(self, engine: Engine, logger: ProgressBar, event_name: Any) -> None:
        """ignite's update: the bar created if needed, the text set and drawn, the counter
        moved."""
        per_iteration, unfiltered = self._event_kind(event_name)
        if per_iteration and unfiltered:
            # A plain iteration event: later calls may take the fast path above.
            self._fast_event = event_name
        pbar_total = self.get_max_number_events(event_name, engine)
        if logger.pbar is None:
            logger._reset(pbar_total=pbar_total)
        pbar = logger.pbar
        self._render(engine, pbar, refresh=True)
        global_step = engine.state.get_event_attrib_value(event_name)
        if pbar_total is not None:
            global_step = (global_step - 1) % pbar_total + 1
        pbar.update(global_step - pbar.n)


def _stops_here(engine: Engine) -> bool:
    """Whether the bar is drawn in full now, as ignite draws it: on the last iteration of the
    epoch or of the run (or past it: a limit lowered during the run), and when the engine is
    terminating the run or the epoch. The core's gate makes the same test (``Gate::decide``
    in natives.rs)."""
    state, core = engine.state, getattr(engine, "_core", None)
    epoch_length, max_iters = state.epoch_length, state.max_iters
    return bool(
        engine.should_terminate
        or engine.should_terminate_single_epoch
        or (core is not None and epoch_length is not None and core.epoch_iter >= epoch_length)
        or (max_iters is not None and state.iteration >= max_iters)
    )


def _will_redraw(pbar: Any, n: int) -> bool:
    """Whether ``pbar.update`` to the count ``n`` will redraw: tqdm's own test, in its order
    (the counter against ``miniters`` first, then the clock against ``mininterval`` and
    ``delay``)."""
    if n - pbar.last_print_n < pbar.miniters:
        return False
    now = pbar._time()
    return now - pbar.last_print_t >= pbar.mininterval and now >= pbar.start_t + pbar.delay
