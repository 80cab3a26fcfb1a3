"""Type stubs for oxignite's native core (rust/src). Private: use oxignite.engine."""

from collections.abc import Callable, Iterable
from typing import Any, Optional

__version__: str

#: (name, value, State attribute counted by filters or None), indexed by event id.
BUILTIN_EVENTS: list[tuple[str, str, Optional[str]]]

class EventFilter:
    """A native every/once/before/after filter; ``filter(engine, count) -> bool``."""

    def __init__(
        self,
        *,
        every: Optional[int] = None,
        once: Optional[list[int]] = None,
        before: Optional[int] = None,
        after: Optional[int] = None,
    ) -> None: ...
    def __call__(self, engine: Any, event: int) -> bool: ...

class NativeState:
    """Run counters and values as native fields; subclassed by oxignite.engine.State."""

    iteration: int
    epoch: int
    epoch_length: Optional[int]
    max_epochs: Optional[int]
    max_iters: Optional[int]
    output: Any
    batch: Any
    metrics: Any
    dataloader: Any
    seed: Any
    times: Any
    def __new__(cls, *args: Any, **kwargs: Any) -> "NativeState": ...
    def is_done(self) -> bool: ...

class EngineCore:
    """Handler tables, control flags, data iterator and the run loop of one Engine."""

    should_terminate: int  # 0 off, 1 on, 2 skip COMPLETED
    should_terminate_single_epoch: int  # 0 off, 1 on, 2 skip EPOCH_COMPLETED
    should_interrupt: bool
    last_event: Optional[int]
    init_iter: Optional[int]
    epoch_hook: Optional[Callable[[int], Any]]  # write-only
    @property
    def is_running(self) -> bool: ...
    @property
    def is_suspended(self) -> bool: ...
    @property
    def has_data_iter(self) -> bool: ...
    def __init__(self) -> None: ...
    def register_event(self, counter: Optional[str] = None) -> int: ...
    def set_event_counter(self, event: int, counter: Optional[str]) -> None: ...
    def event_count(self) -> int: ...
    def add_handler(
        self,
        event: int,
        func: Callable[..., Any],
        pass_engine: bool,
        with_event_args: bool = False,
        args: Optional[tuple[Any, ...]] = None,
        kwargs: Optional[dict[str, Any]] = None,
        filter: Optional[Callable[[Any, int], bool]] = None,
    ) -> int: ...
    def remove_handler(self, event: int, func: Callable[..., Any]) -> int: ...
    def remove_ids(self, event: int, ids: list[int]) -> int: ...
    def has_handler(self, func: Callable[..., Any], event: Optional[int] = None) -> bool: ...
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
        args: Optional[tuple[Any, ...]] = None,
        kwargs: Optional[dict[str, Any]] = None,
    ) -> None: ...
    def run(self, engine: Any, state: NativeState, process_function: Callable[[Any, Any], Any]) -> None: ...
    def reset_run(self) -> None: ...
    def set_data_iter(self, iterator: Optional[Iterable[Any]]) -> None: ...
