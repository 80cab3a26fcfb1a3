"""Type stubs for oxignite's native core (rust/src). Private: use oxignite.engine."""

from collections.abc import Callable, Iterable
from typing import Any

from typing_extensions import Self

__version__: str

#: (name, value, State attribute counted by filters or None), indexed by event id.
BUILTIN_EVENTS: list[tuple[str, str, str | None]]

class EventFilter:
    """A native every/once/before/after filter; ``filter(engine, count) -> bool``."""

    def __init__(
        self,
        *,
        every: int | None = None,
        once: list[int] | None = None,
        before: int | None = None,
        after: int | None = None,
    ) -> None: ...
    def __call__(self, engine: Any, event: int) -> bool: ...

class NativeState:
    """Run counters and values as native fields; subclassed by oxignite.engine.State."""

    iteration: int
    epoch: int
    epoch_length: int | None
    max_epochs: int | None
    max_iters: int | None
    output: Any
    batch: Any
    metrics: Any
    dataloader: Any
    seed: Any
    times: Any
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def is_done(self) -> bool: ...

class EngineCore:
    """Handler tables, control flags, data iterator and the run loop of one Engine."""

    should_terminate: int  # 0 off, 1 on, 2 skip COMPLETED
    should_terminate_single_epoch: int  # 0 off, 1 on, 2 skip EPOCH_COMPLETED
    should_interrupt: bool
    last_event: int | None
    init_iter: int | None
    epoch_hook: Callable[[int], Any] | None  # write-only
    @property
    def is_running(self) -> bool: ...
    @property
    def is_suspended(self) -> bool: ...
    @property
    def has_data_iter(self) -> bool: ...
    def __init__(self) -> None: ...
    def register_event(self, counter: str | None = None) -> int: ...
    def set_event_counter(self, event: int, counter: str | None) -> None: ...
    def event_count(self) -> int: ...
    def add_handler(
        self,
        event: int,
        func: Callable[..., Any],
        pass_engine: bool,
        with_event_args: bool = False,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        filter: Callable[[Any, int], bool] | None = None,
    ) -> int: ...
    def remove_handler(self, event: int, func: Callable[..., Any]) -> int: ...
    def remove_ids(self, event: int, ids: list[int]) -> int: ...
    def has_handler(self, func: Callable[..., Any], event: int | None = None) -> bool: ...
    def handler_count(self, event: int) -> int: ...
    def handlers(
        self, event: int
    ) -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]: ...
    def clear_handlers(self) -> None: ...
    def fire(
        self,
        engine: Any,
        state: NativeState,
        event: int,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None: ...
    def run(self, engine: Any, state: NativeState, process_function: Callable[[Any, Any], Any]) -> None: ...
    def reset_run(self) -> None: ...
    def set_data_iter(self, iterator: Iterable[Any] | None) -> None: ...
