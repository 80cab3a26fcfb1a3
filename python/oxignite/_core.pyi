"""Type stubs for oxignite's native core (rust/src). Private: use oxignite.engine."""

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from typing_extensions import Self, disjoint_base, final

__all__ = [
    "BUILTIN_EVENTS",
    "SPAN_KINDS",
    "EngineCore",
    "EventFilter",
    "Gate",
    "NativeSpec",
    "NativeState",
    "NativeTimer",
    "__version__",
    "detached_pair",
    "is_tensor_pair",
    "monotonic_ns",
    "natives_enabled",
    "on_device",
    "set_natives_enabled",
    "store_pair",
]

__version__: str

#: (name, value, State attribute counted by filters or None), indexed by event id.
BUILTIN_EVENTS: list[tuple[str, str, str | None]]
#: Names of the span kinds, indexed by the ``kind`` of ``EngineCore.profile_spans()`` rows.
SPAN_KINDS: tuple[str, str, str, str]

def monotonic_ns() -> int:
    """Nanoseconds on the clock of profiling spans (monotonic, shared by all engines)."""

def natives_enabled() -> bool:
    """Whether the native fast paths are on (``oxignite.natives.enabled``)."""

def set_natives_enabled(flag: bool) -> None:
    """Turns every native fast path on or off from the next firing or call."""

def store_pair(metric: Any, output: Any) -> bool:
    """EpochMetric's common batch, checked and stored natively: append copies of a
    ``(y_pred, y)`` tuple of CPU tensors out of any graph, of shape ``(N,)`` or ``(N, k)``
    (squeezed to ``(N,)`` when ``k == 1``) and of the stored dtypes, to
    ``metric._predictions`` / ``metric._targets``, drop ``metric._result`` and return True;
    otherwise (or with the natives off) change nothing and return False."""

def is_tensor_pair(output: Any) -> bool:
    """Whether ``output`` is a tuple (exactly) of two ``torch.Tensor``s."""

def detached_pair(output: Any) -> tuple[Any, Any, Any, Any]:
    """``(y_pred, y, y_pred.shape, y.shape)`` of ``output[0]``, ``output[1]``, each tensor
    detached when it requires grad (else returned itself)."""

def on_device(t: Any, device: Any) -> Any:
    """``t`` itself when ``t.device == device``, else ``t.to(device)``."""

#: A span row: (kind, event id, handler id, epoch, iteration, start_ns, end_ns).
_SpanRow: TypeAlias = tuple[int, int, int, int, int, int, int]

@final
class EventFilter:
    """A native every/once/before/after filter; ``filter(engine, count) -> bool``.

    Arguments are ints of any size (values beyond 128 bits saturate, which keeps every answer
    exact); a count beyond 128 bits is refused with a ValueError naming ``event``."""

    def __new__(
        cls,
        *,
        every: int | None = None,
        once: list[int] | None = None,
        before: int | None = None,
        after: int | None = None,
    ) -> Self: ...
    def __call__(self, engine: Any, event: int) -> bool: ...

@disjoint_base
class NativeState:
    """Run counters and values as native fields; subclassed by oxignite.engine.State.

    The counters are 64-bit: assigning an int outside [-2**63, 2**63) raises ValueError
    naming the counter. ``epoch_length``, ``max_epochs`` and ``max_iters`` also take floats
    (NumPy's too) as ignite does, and read back as given: a whole number, or for
    ``max_epochs`` any number (a fraction counts as the next whole number of epochs)."""

    iteration: int
    epoch: int
    epoch_length: int | float | None
    max_epochs: int | float | None
    max_iters: int | float | None
    output: Any
    batch: Any
    metrics: Any
    dataloader: Any
    seed: Any
    times: Any
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def is_done(self) -> bool: ...

@final
class Gate:
    """When the core calls a gated handler (ProgressBar's): always while disarmed; armed,
    only when the count goes back to ``low`` or below, reaches ``force_at``, reaches
    ``min_count`` with ``time.time()`` at or past ``deadline``, or the time passes
    ``stale_at``; and always while the engine is terminating."""

    armed: bool
    def __init__(self) -> None: ...
    def arm(
        self,
        low: int,
        force_at: int,
        min_count: int,
        deadline: float,
        stale_at: float,
        bar: Any = None,
        base: int = 0,
    ) -> None:
        """With ``bar``, each skipped firing sets ``bar.n = count - base``."""
    def disarm(self) -> None: ...

@final
class NativeTimer:
    """oxignite.handlers.Timer's clock, on ``time.perf_counter``'s clock."""

    t0: float
    total: float
    step_count: float
    running: bool
    def __init__(self) -> None: ...
    def reset(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def step(self) -> None: ...
    def value(self, average: bool) -> float: ...

@final
class NativeSpec:
    """A typed native stand-in for a built-in handler, given to ``EngineCore.set_native``
    (one constructor per kind; see ``oxignite.engine.natives``)."""

    @property
    def kind(self) -> str: ...
    @staticmethod
    def gate(gate: Gate) -> NativeSpec: ...
    @staticmethod
    def timer(timer: NativeTimer, op: str) -> NativeSpec:
        """``op``: ``"reset"``, ``"pause"``, ``"resume"`` or ``"step"``."""
    @staticmethod
    def ema(
        owner: dict[str, Any], fallback: Any, tensor_type: Any, float32: Any, float64: Any
    ) -> NativeSpec: ...
    @staticmethod
    def publish(owner: dict[str, Any], name: str) -> NativeSpec: ...
    @staticmethod
    def finite(tensor_type: Any) -> NativeSpec: ...
    @staticmethod
    def store_pair(metric: Any) -> NativeSpec: ...

@final
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
    @property
    def data_iter(self) -> Any: ...
    @property
    def profiling(self) -> bool: ...
    @property
    def epoch_iter(self) -> int:
        """Iterations counted so far in the current epoch of the run."""
    def profile_start(self, capacity: int = ..., reset: bool = True) -> None: ...
    def profile_stop(self) -> None: ...
    def profile_spans(self) -> list[_SpanRow]: ...
    def profile_stats(self) -> dict[str, Any]: ...
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
    def set_native(self, event: int, func: Callable[..., Any], spec: NativeSpec) -> bool:
        """Give the last handler of ``event`` equal to ``func`` the native stand-in ``spec``
        (see ``oxignite.engine.natives``). False if no such handler, or it already has one."""
    def call_late(self, event: int, handler_id: int) -> None:
        """Queue ``handler_id``, just appended to ``event``'s list during its dispatch, to be
        called at the end of that dispatch."""
    def handlers(
        self, event: int
    ) -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]: ...
    def handler_rows(
        self, event: int
    ) -> list[
        tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any], bool, bool, Any]
    ]: ...
    def set_event_handlers(self, event: int, items: list[int | Callable[..., Any]]) -> list[int]: ...
    def clear_handlers(self) -> None: ...
    def fire(
        self,
        engine: Any,
        state: NativeState,
        event: int,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None: ...
    def run(
        self,
        engine: Any,
        state: NativeState,
        process_function: Callable[[Any, Any], Any],
        fire_hook: Callable[..., Any] | None = None,
        event_objects: list[Any] | None = None,
        setup_hook: Callable[[], Any] | None = None,
        epoch_done_hook: Callable[[], Any] | None = None,
        log_error: Callable[[str], Any] | None = None,
    ) -> None: ...
    def reset_run(self) -> None: ...
    def set_data_iter(self, iterator: Iterable[Any] | None) -> None: ...
