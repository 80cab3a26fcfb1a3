"""The :class:`Metric` base class and its distributed helpers.

A metric accumulates state with ``update`` and turns it into a value with ``compute``;
``attach`` wires ``reset``/``update``/``compute`` to engine events (see ``usage.py``).
"""

from __future__ import annotations

import inspect
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from numbers import Number
from typing import TYPE_CHECKING, Any

import torch

import oxignite.distributed as idist
from oxignite._core import is_tensor_pair  # the (y_pred, y) tuple, fed to update as it is
from oxignite.base.mixins import Serializable
from oxignite.metrics.usage import (
    BatchFiltered,
    BatchWise,
    EpochWise,
    MetricUsage,
    RunningBatchWise,
    RunningEpochWise,
    SingleEpochRunningBatchWise,
    check_usage,
)

if TYPE_CHECKING:
    from oxignite.engine import Engine
    from oxignite.metrics.metrics_lambda import MetricsLambda

__all__ = [
    "BatchFiltered",
    "BatchWise",
    "EpochWise",
    "Metric",
    "MetricUsage",
    "RunningBatchWise",
    "RunningEpochWise",
    "SingleEpochRunningBatchWise",
    "reinit__is_reduced",
    "sync_all_reduce",
]

_RESULT_MODES = ("flatten", "named", "both")
# Default argument values shared by all metrics (ignite's defaults).
_CPU = torch.device("cpu")
_EPOCH_WISE = EpochWise()
_STATE_KEY = "__metric_state_per_rank"
_is_grad_enabled = torch.is_grad_enabled
_set_grad_enabled = torch._C._set_grad_enabled


def _identity(x: Any) -> Any:
    return x


class Metric(Serializable, metaclass=ABCMeta):
    """Base class for all metrics.

    Args:
        output_transform: turns the engine's ``state.output`` into what ``update`` expects;
            by default metrics expect ``(y_pred, y)`` or ``{"y_pred": y_pred, "y": y}``.
        device: device on which the state is accumulated (default CPU).
        skip_unrolling: when False, an output ``([y_pred_1, ...], [y_1, ...])`` made of lists
            of tensors/numbers is fed to ``update`` one pair at a time.
        metrics_result_mode: where a mapping returned by ``compute`` goes in
            ``engine.state.metrics``: ``"flatten"`` (its keys), ``"named"`` (under the metric
            name) or ``"both"``.

    Attributes:
        required_output_keys: keys read, in order, from a mapping output
            (default ``("y_pred", "y")``); ``None`` means a mapping is not accepted.

    Example::

        from oxignite.metrics import Metric
        from oxignite.exceptions import NotComputableError

        class CountPositives(Metric):
            def reset(self):
                self._count = 0
                self._n = 0

            def update(self, output):
                y_pred, y = output
                self._count += int((y_pred > 0).sum())
                self._n += y_pred.numel()

            def compute(self):
                if self._n == 0:
                    raise NotComputableError("no data")
                return self._count / self._n

        CountPositives().attach(evaluator, "pos_rate")
    """

    required_output_keys: tuple | None = ("y_pred", "y")
    _required_output_keys = required_output_keys
    # Attributes saved by ``state_dict``; subclasses list their accumulators here.
    _state_dict_all_req_keys: tuple = ()
    # Attributes saved beside them and restored only when present: the state a metric needs
    # to resume exactly where ignite's required keys leave part of it out. ignite's loader
    # reads only its required keys, so files still interchange both ways.
    _state_dict_extra_keys: tuple = ()
    # Whether ``update`` is marked ``detaches_inputs``: set per class, so that a subclass
    # overriding ``update`` is switched to no-grad again.
    _update_detaches_inputs: bool = False
    # ignite's name for the state dict's single key (code reads ``Metric._Metric__...``).
    __state_dict_key_per_rank: str = _STATE_KEY

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._update_detaches_inputs = getattr(cls.update, "_detaches_inputs", False)

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
        metrics_result_mode: str = "both",
    ) -> None:
        if not callable(output_transform):
            raise TypeError(
                f"Argument output_transform should be callable, got {type(output_transform)}"
            )
        if metrics_result_mode not in _RESULT_MODES:
            raise ValueError(
                f"Argument metrics_result_mode should be one of {_RESULT_MODES}, "
                f"got {metrics_result_mode!r}"
            )
        self._output_transform = output_transform
        self._device = torch.device(device)
        if self._device.type == "xla":
            raise ValueError("Cannot create metric on an XLA device. Use device='cpu' instead.")
        self._skip_unrolling = skip_unrolling
        self._metrics_result_mode = metrics_result_mode
        # MPS has no float64.
        self._double_dtype = torch.float32 if self._device.type == "mps" else torch.float64
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Reset the accumulated state (by default at the start of every epoch)."""

    @abstractmethod
    def update(self, output: Any) -> None:
        """Accumulate one batch's output (by default after every iteration)."""

    @abstractmethod
    def compute(self) -> Any:
        """Return the metric value from the accumulated state (by default every epoch end).

        A returned mapping is spread into ``engine.state.metrics`` according to
        ``metrics_result_mode``. Raises ``NotComputableError`` when there is no data.
        """

    # -- engine callbacks -------------------------------------------------------------

    def started(self, engine: Engine) -> None:
        """Engine callback: reset the metric."""
        self.reset()

    def iteration_completed(self, engine: Engine) -> None:
        """Engine callback: transform ``engine.state.output`` and feed it to ``update``
        (both without grad, as under ``torch.no_grad()``)."""
        output = engine.state.output
        if (
            self._update_detaches_inputs
            and self._output_transform is _identity
            and is_tensor_pair(output)
        ):
            # Nothing here can build a graph: grad mode needs no switching (three torch
            # calls, ~0.5 µs a batch).
            self.update(output)
            return
        # Grad mode is switched directly: a ``torch.no_grad()`` context costs an object and
        # several calls per batch.
        grad = _is_grad_enabled()
        if grad:
            _set_grad_enabled(False)
        try:
            output = self._output_transform(output)
            if is_tensor_pair(output):
                self.update(output)  # the common (y_pred, y) pair: nothing to unroll
            else:
                self._feed_output(output)
        finally:
            if grad:
                _set_grad_enabled(True)

    @torch.no_grad()
    def _feed(self, output: Any) -> None:
        """Feed an already transformed output to ``update``, without grad."""
        self._feed_output(output)

    def _feed_output(self, output: Any) -> None:
        """Feed an already transformed output to ``update`` (one call per pair when it is
        made of lists; a mapping is read at ``required_output_keys``)."""
        if isinstance(output, Mapping):
            if self.required_output_keys is None:
                raise TypeError(
                    f"Transformed engine output for {type(self).__name__} metric should be "
                    f"a tuple/list, but given {type(output)}"
                )
            missing = [k for k in self.required_output_keys if k not in output]
            if missing:
                raise ValueError(
                    "When transformed engine's output is a mapping, it should contain "
                    f"{self.required_output_keys} keys, but given {list(output.keys())}"
                )
            output = tuple(output[k] for k in self.required_output_keys)

        if (
            not self._skip_unrolling
            and isinstance(output, Sequence)
            and all(_is_list_of_tensors_or_numbers(o) for o in output)
        ):
            # ([y_pred_1, y_pred_2, ...], [y_1, y_2, ...]): one update per pair.
            if not (len(output) == 2 and len(output[0]) == len(output[1])):
                lengths = ", ".join(str(len(o)) for o in output)
                raise ValueError(
                    "Output should have 2 items of the same length, "
                    f"got {len(output)} items of lengths {lengths}"
                )
            for o1, o2 in zip(output[0], output[1]):
                t1 = _to_batched_tensor(o1)
                t2 = _to_batched_tensor(o2, device=t1.device)
                self.update((t1, t2))
        else:
            self.update(output)

    def completed(self, engine: Engine, name: str) -> None:
        """Engine callback: compute the value and store it in ``engine.state.metrics``."""
        result = self.compute()
        metrics = engine.state.metrics
        if isinstance(result, Mapping):
            mode = self._metrics_result_mode
            if mode in ("named", "both") and name in result:
                raise ValueError(
                    f"Argument name '{name}' is conflicting with mapping keys: "
                    f"{list(result.keys())}"
                )
            if mode in ("flatten", "both"):
                for key, value in result.items():
                    metrics[key] = value
            if mode in ("named", "both"):
                metrics[name] = result
            return
        if isinstance(result, torch.Tensor):
            # Scalars become Python numbers; other tensors are moved to CPU.
            if result.dim() == 0:
                result = result.item()
            elif result.device.type != "cpu":
                result = result.cpu()
        metrics[name] = result

    # -- attaching ----------------------------------------------------------------------

    def _check_usage(self, usage: str | MetricUsage) -> MetricUsage:
        return check_usage(usage)

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = _EPOCH_WISE) -> None:
        """Attach the metric to ``engine``: after ``usage.COMPLETED`` its value is in
        ``engine.state.metrics[name]``.

        Example::

            Accuracy().attach(evaluator, "accuracy")
            Accuracy().attach(trainer, "batch_accuracy", usage="batch_wise")
        """
        usage = self._check_usage(usage)
        if not engine.has_event_handler(self.started, usage.STARTED):
            engine.add_event_handler(usage.STARTED, self.started)
        if not engine.has_event_handler(self.iteration_completed, usage.ITERATION_COMPLETED):
            engine.add_event_handler(usage.ITERATION_COMPLETED, self.iteration_completed)
        engine.add_event_handler(usage.COMPLETED, self.completed, name)

    def detach(self, engine: Engine, usage: str | MetricUsage = _EPOCH_WISE) -> None:
        """Remove the handlers added by :meth:`attach` with the same ``usage``.

        Example::

            metric.detach(evaluator)
            assert not metric.is_attached(evaluator)
        """
        usage = self._check_usage(usage)
        pairs = (
            (self.completed, usage.COMPLETED),
            (self.started, usage.STARTED),
            (self.iteration_completed, usage.ITERATION_COMPLETED),
        )
        for handler, event in pairs:
            if engine.has_event_handler(handler, event):
                engine.remove_event_handler(handler, event)

    def is_attached(self, engine: Engine, usage: str | MetricUsage = _EPOCH_WISE) -> bool:
        """True if the metric writes its value to ``engine`` with this ``usage``."""
        usage = self._check_usage(usage)
        return engine.has_event_handler(self.completed, usage.COMPLETED)

    # -- state dict ---------------------------------------------------------------------

    def _state_dict_per_rank(self) -> OrderedDict:
        state: OrderedDict = OrderedDict()
        for attr in self._state_dict_all_req_keys:
            if attr not in self.__dict__:
                raise ValueError(
                    "Found a value in _state_dict_all_req_keys that is not among metric "
                    f"attributes: {attr}"
                )
            state[attr] = _dump_state(self.__dict__[attr])
        for attr in self._state_dict_extra_keys:
            state[attr] = _dump_state(self.__dict__[attr])
        return state

    def state_dict(self) -> OrderedDict:
        """Return the accumulated state (one entry per process) for checkpointing.

        Example::

            acc = Accuracy()
            acc.update((y_pred, y))
            other = Accuracy()
            other.load_state_dict(acc.state_dict())
            assert other.compute() == acc.compute()
        """
        state = self._state_dict_per_rank()
        if idist.get_world_size() > 1:
            return OrderedDict([(_STATE_KEY, idist.all_gather(state))])
        return OrderedDict([(_STATE_KEY, [state])])

    def _load_state_dict_per_rank(self, state: Mapping) -> None:
        super().load_state_dict(state)  # Serializable: type and required-key checks
        for attr in self._state_dict_all_req_keys:
            self.__dict__[attr] = _load_state(self.__dict__.get(attr), state[attr])
        for attr in self._state_dict_extra_keys:
            if attr in state:  # absent from a file written by ignite
                self.__dict__[attr] = _load_state(self.__dict__.get(attr), state[attr])

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore the state saved by :meth:`state_dict` (this process's entry)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument state_dict should be a dictionary, but given {type(state_dict)}"
            )
        if not (len(state_dict) == 1 and _STATE_KEY in state_dict):
            raise ValueError(
                "Incorrect state_dict object. Argument state_dict should be a dictionary "
                f"provided by Metric.state_dict(). Expected single key: {_STATE_KEY}, "
                f"but given {list(state_dict.keys())}"
            )
        per_rank = state_dict[_STATE_KEY]
        world_size = idist.get_world_size()
        if len(per_rank) != world_size:
            raise ValueError(
                "Incorrect state_dict object. Argument state_dict should be a dictionary "
                "provided by Metric.state_dict(). Expected a list of state_dicts of size equal "
                f"world_size: {world_size}, but got {len(per_rank)}"
            )
        self._load_state_dict_per_rank(per_rank[idist.get_rank()])

    # -- arithmetic: every operator builds a MetricsLambda ---------------------------------

    def __add__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x + y, self, other)

    def __radd__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x + y, other, self)

    def __sub__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x - y, self, other)

    def __rsub__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x - y, other, self)

    def __mul__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x * y, self, other)

    def __rmul__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x * y, other, self)

    def __pow__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x**y, self, other)

    def __rpow__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x**y, other, self)

    def __mod__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x % y, self, other)

    def __truediv__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x / y, self, other)

    def __rtruediv__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x / y, other, self)

    def __floordiv__(self, other: Any) -> MetricsLambda:
        return _make_lambda(lambda x, y: x // y, self, other)

    def __getitem__(self, index: Any) -> MetricsLambda:
        return _make_lambda(lambda x: x[index], self)

    def __getattr__(self, attr: str) -> Callable:
        # ``metric.mean()``, ``cm.diag()``...: call the method on the computed value later.
        if attr.startswith("__") and attr.endswith("__"):
            return object.__getattribute__(self, attr)

        def fn(value: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                method = getattr(value, attr)
            except AttributeError:
                raise AttributeError(
                    f"Metric result of type '{type(value)}' has no attribute '{attr}'"
                ) from None
            return method(*args, **kwargs)

        def wrapper(*args: Any, **kwargs: Any) -> MetricsLambda:
            return _make_lambda(fn, self, *args, **kwargs)

        return wrapper

    def __getstate__(self) -> dict:
        return self.__dict__

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)


def sync_all_reduce(*attrs: str) -> Callable:
    """Decorate ``compute`` so the named attributes are all-reduced across processes while it
    runs (and restored afterwards). ``"name:OP"`` picks the op: SUM (default), MIN, MAX, PRODUCT.

    Example::

        class Total(Metric):
            def reset(self):
                self._sum = torch.tensor(0.0)

            def update(self, output):
                self._sum += output.sum()

            @sync_all_reduce("_sum")
            def compute(self):
                return self._sum.item()
    """
    valid_ops = ("MIN", "MAX", "SUM", "PRODUCT")

    def wrapper(func: Callable) -> Callable:
        @wraps(func)
        def reduced(self: Metric, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(self, Metric):
                raise RuntimeError(  # noqa: TRY004 - same exception as ignite
                    "Decorator sync_all_reduce should be used on oxignite.metrics.Metric "
                    "class methods only"
                )
            originals = {}
            if attrs and idist.get_world_size() > 1:
                for spec in attrs:
                    name, _, op = spec.partition(":")
                    op_kwargs = {}
                    if op:
                        if op not in valid_ops:
                            raise ValueError(
                                f"Reduction operation is not valid (expected : {list(valid_ops)}, "
                                f"got: {op})"
                            )
                        op_kwargs["op"] = op
                    if name not in self.__dict__:
                        raise ValueError(f"Metric {type(self)} has no attribute named `{name}`.")
                    value = self.__dict__[name]
                    if not isinstance(value, (Number, torch.Tensor)):
                        raise TypeError(
                            "Attribute provided to sync_all_reduce should be a number or tensor "
                            f"but `{name}` has type {type(value)}"
                        )
                    originals[name] = value
                    value = value.clone() if isinstance(value, torch.Tensor) else value
                    setattr(self, name, idist.all_reduce(value, **op_kwargs))
            try:
                return func(self, *args, **kwargs)
            finally:
                # Keep the local (unreduced) state so later updates are not double counted.
                for name, value in originals.items():
                    setattr(self, name, value)

        return reduced

    wrapper._decorated = True
    return wrapper


def reinit__is_reduced(func: Callable) -> Callable:
    """Decorate ``reset``/``update``: drop any cached ``_result`` after the call.

    Example::

        class Total(Metric):
            @reinit__is_reduced
            def reset(self):
                self._sum = 0.0
    """

    if _takes_output_only(func):
        # The usual ``update(self, output)``: a fixed signature spares the argument tuple
        # and dict, and the unpacking call, of every batch (~0.25 µs of ~0.4).
        @wraps(func)
        def wrapper(self: Metric, output: Any) -> None:
            func(self, output)
            if "_result" in self.__dict__:
                self._result = None

    else:

        @wraps(func)
        def wrapper(self: Metric, *args: Any, **kwargs: Any) -> None:
            func(self, *args, **kwargs)
            if "_result" in self.__dict__:
                self._result = None

    wrapper._decorated = True
    return wrapper


def _takes_output_only(func: Callable) -> bool:
    """Whether ``func``'s signature is exactly ``(self, output)``, neither with a default."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    return (
        len(params) == 2
        and params[1].name == "output"
        and all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in params)
    )


def detaches_inputs(update: Callable) -> Callable:
    """Mark a metric's ``update`` that detaches its tensor inputs before any torch op and
    uses no parameters: it builds no graph in any grad mode, so ``iteration_completed``
    feeds it an untransformed ``(y_pred, y)`` pair without switching grad off."""
    update._detaches_inputs = True
    return update


def _make_lambda(fn: Callable, *args: Any, **kwargs: Any) -> MetricsLambda:
    # Imported lazily: metrics_lambda imports this module.
    from oxignite.metrics.metrics_lambda import MetricsLambda

    return MetricsLambda(fn, *args, **kwargs)


def _is_list_of_tensors_or_numbers(x: Any) -> bool:
    return isinstance(x, Sequence) and all(isinstance(t, (torch.Tensor, Number)) for t in x)


def _to_batched_tensor(x: Any, device: torch.device | None = None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.unsqueeze(dim=0)
    return torch.tensor([x], device=device)


def _dump_state(x: Any) -> Any:
    if isinstance(x, Metric):
        return x._state_dict_per_rank()
    if isinstance(x, torch.Tensor):
        return x.clone()
    if isinstance(x, (list, tuple)):
        return [_dump_state(v) for v in x]
    if isinstance(x, dict):
        return {k: _dump_state(v) for k, v in x.items()}
    if x is None or isinstance(x, (int, float)):
        return x
    raise TypeError(
        "Found attribute of unsupported type. Currently, supported types include"
        " numeric types, tensor, Metric or sequence/mapping of metrics."
    )


def _load_state(current: Any, saved: Any) -> Any:
    if isinstance(current, Metric):
        current._load_state_dict_per_rank(saved)
        return current
    if isinstance(current, (list, tuple)) and isinstance(saved, (list, tuple)):
        return type(current)(_load_state(c, s) for c, s in zip(current, saved))
    if isinstance(current, dict) and isinstance(saved, Mapping):
        return {k: _load_state(current.get(k), v) for k, v in saved.items()}
    return saved.clone() if isinstance(saved, torch.Tensor) else saved
