"""ProgressBar: a tqdm progress bar driven by engine events."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import oxignite.distributed as idist
from oxignite.engine import Engine, Events
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
        except ImportError as e:  # pragma: no cover
            raise ModuleNotFoundError(
                "ProgressBar requires tqdm to be installed: pip install tqdm"
            ) from e
        self.pbar_cls = tqdm
        self.pbar: Any = None
        self.persist = persist
        self.bar_format = bar_format
        self.tqdm_kwargs = tqdm_kwargs

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
            raise ValueError(f"Logging event {event_name} is not in allowed events for this engine")
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

    @staticmethod
    def get_max_number_events(event_name: Any, engine: Engine) -> int | None:
        if event_name in (Events.ITERATION_STARTED, Events.ITERATION_COMPLETED):
            return engine.state.epoch_length
        if event_name in (Events.EPOCH_STARTED, Events.EPOCH_COMPLETED):
            return engine.state.max_epochs
        return 1

    def __call__(self, engine: Engine, logger: ProgressBar, event_name: Any) -> None:
        pbar_total = self.get_max_number_events(event_name, engine)
        if logger.pbar is None:
            logger._reset(pbar_total=pbar_total)

        desc = self.tag or ("Iteration" if engine.state.max_epochs == 1 else "Epoch")
        n_closing = self.get_max_number_events(self.closing_event_name, engine)
        if n_closing and n_closing > 1:
            step = engine.state.get_event_attrib_value(self.closing_event_name)
            desc += f" [{step}/{n_closing}]"
        logger.pbar.set_description(desc)

        rendered = self._setup_output_metrics_state_attrs(engine, log_text=True)
        metrics = OrderedDict(("_".join(key[1:]), value) for key, value in rendered.items())
        if metrics:
            logger.pbar.set_postfix(metrics)

        global_step = engine.state.get_event_attrib_value(event_name)
        if pbar_total is not None:
            global_step = (global_step - 1) % pbar_total + 1
        logger.pbar.update(global_step - logger.pbar.n)
