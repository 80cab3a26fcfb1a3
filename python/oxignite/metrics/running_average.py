"""RunningAverage: exponential moving average of a metric or of the engine output."""

from __future__ import annotations

import struct
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch

import oxignite.distributed as idist
from oxignite.engine.natives import NativeSpec, overrides, set_native
from oxignite.metrics.metric import Metric, reinit__is_reduced
from oxignite.metrics.usage import MetricUsage, RunningBatchWise, SingleEpochRunningBatchWise

if TYPE_CHECKING:
    from oxignite.engine import Engine

__all__ = ["RunningAverage"]

_RUNNING_BATCH_WISE = RunningBatchWise()
# 0-d tensors of these dtypes are averaged as Python floats (see ``iteration_completed``).
_FAST_DTYPES = (torch.float32, torch.float64)
_F32 = struct.Struct("f")
_F32X2 = struct.Struct("ff")


def _f32(x: float) -> float:
    """``x`` rounded to float32. One float32 ``+`` or ``*`` done in float64 and rounded once
    is the float32 result, so this reproduces torch's float32 arithmetic exactly."""
    return _F32.unpack(_F32.pack(x))[0]


class RunningAverage(Metric):
    """``value = alpha * value + (1 - alpha) * new`` where ``new`` is either ``src.compute()``
    (``src`` is then reset, so it covers only the latest update period) or the transformed
    engine output. The first value is taken as is.

    Args:
        src: metric to average; exclusive with ``output_transform``.
        alpha: smoothing factor in ``(0, 1]``.
        output_transform: takes the engine output to a number/tensor to average
            (required when ``src`` is None).
        epoch_bound: deprecated; ``True`` = ``usage=SingleEpochRunningBatchWise()``,
            ``False`` = ``usage=RunningBatchWise()``. ``None`` (default) lets ``usage`` decide.
        device: device for the output-transform case (must be None with ``src``).
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.
        keep_on_device: (keyword only, not in ignite) average the output on its own device
            and store the 0-d tensor itself in ``engine.state.metrics[name]``, so that no
            iteration reads the device; default False. See "Host-device syncs" below.

    By default it is attached with ``usage=RunningBatchWise()``: updated every iteration and
    kept across epochs.

    Host-device syncs: as in ignite, ``engine.state.metrics[name]`` holds a Python float
    after every iteration, so with a loss tensor on an accelerator each iteration reads it
    once (``.item()``), which waits for the device. With ``keep_on_device=True`` the average
    is kept as a tensor on the output's device (``torch.lerp``, no read) and published as
    is; readers convert it when they need a number: :class:`~oxignite.handlers.ProgressBar`
    at its redraw, loggers at their event. ``compute()`` and ``state_dict()`` give ignite's
    values in both modes (with ``keep_on_device``, as a tensor on the output's device,
    averaged with ``torch.lerp``: equal to float tolerance).

    Cost: when the averaged output is a Python number or a 0-d float32/float64 tensor (the
    common ``loss`` case, not distributed), the average is kept as a Python float computed
    with the output dtype's rounding (bitwise ignite's values), without torch operations. On
    an oxignite Engine the core does that update and the publication itself, without calling
    ``iteration_completed``/``completed`` (unless a subclass overrides them), and shares
    the loss's one host read with TerminateOnNan.

    Example::

        from oxignite.metrics import Accuracy, RunningAverage

        RunningAverage(output_transform=lambda loss: loss).attach(trainer, "running_loss")
        RunningAverage(Accuracy(output_transform=lambda o: (o[1], o[2]))).attach(
            trainer, "running_acc"
        )
    """

    required_output_keys = None
    _state_dict_all_req_keys = ("_value", "src")

    def __init__(
        self,
        src: Metric | None = None,
        alpha: float = 0.98,
        output_transform: Callable | None = None,
        epoch_bound: bool | None = None,
        device: str | torch.device | None = None,
        skip_unrolling: bool = False,
        *,
        keep_on_device: bool = False,
    ) -> None:
        if not (isinstance(src, Metric) or src is None):
            raise TypeError(f"Argument src should be a Metric or None, got {type(src)}.")
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"Argument alpha should be a float between 0.0 and 1.0, got {alpha}.")

        if isinstance(src, Metric):
            if output_transform is not None:
                raise ValueError("Argument output_transform should be None if src is a Metric.")
            if device is not None:
                raise ValueError("Argument device should be None if src is a Metric.")
            # The source metric applies its own transform; here we only forward the output.
            output_transform = _identity_transform
            device = src._device
        else:
            if output_transform is None:
                raise ValueError(
                    "Argument output_transform should not be None if src corresponds "
                    "to the output of process function."
                )
            if device is None:
                device = torch.device("cpu")
        self.src: Metric | None = src

        if epoch_bound is not None:
            warnings.warn(
                "`epoch_bound` is deprecated and will be removed in the future. Consider using "
                "`usage` argument of `attach` method instead. `epoch_bound=True` is equivalent "
                "with `usage=SingleEpochRunningBatchWise()` and `epoch_bound=False` is "
                "equivalent with `usage=RunningBatchWise()`."
            )
        if not isinstance(keep_on_device, bool):
            raise TypeError(
                f"Argument keep_on_device should be a bool, got {type(keep_on_device)}."
            )
        self.epoch_bound = epoch_bound
        self.alpha = alpha
        self._keep_on_device = keep_on_device
        # alpha and 1 - alpha as torch multiplies them into float32 tensors.
        self._alpha32 = _f32(alpha)
        self._beta32 = _f32(1.0 - alpha)
        super().__init__(
            output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._value: float | torch.Tensor | None = None
        # The dtype of the 0-d tensors averaged as a float in ``_value`` (None: numbers).
        self._value_dtype: torch.dtype | None = None
        # The float fast path (see the class docstring), decided here rather than per
        # iteration; the distributed world size is looked up once per reset. Its settings
        # are one tuple: Metric's ``__getattr__`` makes every attribute read slower.
        self._single_process = idist.get_world_size() == 1
        self._fast: tuple | None = None
        if self.src is None and self._single_process and not self._keep_on_device:
            self._fast = (self._output_transform, self.alpha, self._alpha32, self._beta32)
        if isinstance(self.src, Metric):
            self.src.reset()

    def iteration_completed(self, engine: Engine) -> None:
        fast = self._fast
        transform = self._output_transform if fast is None else fast[0]
        self._update_transformed(transform(engine.state.output))

    def _update_transformed(self, output: Any) -> None:
        """One update with the transformed output. On an oxignite engine the core runs the
        float path below itself (``natives.rs``, ``EmaUpdate``) and calls this for the rest."""
        fast = self._fast
        if fast is None:
            if (
                self._keep_on_device
                and self.src is None
                and self._single_process
                and self._device_update(output)
            ):
                return
            self._general_update(output)
            return
        # A number or a 0-d float32/float64 tensor is averaged as a Python float.
        _, alpha, alpha32, beta32 = fast
        cls = type(output)
        if cls is float or cls is int:
            x, dtype = float(output), None
        elif (
            isinstance(output, torch.Tensor)
            and output.ndim == 0
            and ((dtype := output.dtype) is torch.float32 or dtype is torch.float64)
        ):
            x = output.item()  # the documented per-iteration read
        else:
            self._general_update(output)
            return
        value = self._value
        if value is None:
            self._value, self._value_dtype = x, dtype
        elif type(value) is not float or self._value_dtype is not dtype:
            self._general_update(output)  # a change of kind: ignite's arithmetic
        elif dtype is torch.float32:
            # torch: float32(v * float32(alpha)) + float32(float32(1 - alpha) * x), rounded
            kept, added = _F32X2.unpack(_F32X2.pack(value * alpha32, beta32 * x))
            self._value = _F32.unpack(_F32.pack(kept + added))[0]
        else:
            self._value = value * alpha + (1.0 - alpha) * x

    def _general_update(self, output: Any) -> None:
        if type(self._value) is float and self._value_dtype is not None:
            self._value = self._ignite_value()  # hand the general path ignite's tensor
        self._feed(output)

    def _device_update(self, output: Any) -> bool:
        """keep_on_device: average a tensor where it lives, without reading it."""
        if not isinstance(output, torch.Tensor):
            return False
        output = output.detach()
        value = self._value
        if value is None:
            self._value = output.clone()
        elif isinstance(value, torch.Tensor) and value.dtype == output.dtype:
            self._value = torch.lerp(value, output, 1.0 - self.alpha)
        else:
            return False
        return True

    def _ignite_value(self) -> float | torch.Tensor | None:
        """``_value`` as ignite holds it: a tensor when tensors were averaged."""
        value = self._value
        if type(value) is float and self._value_dtype is not None:
            return torch.tensor(value, dtype=self._value_dtype, device=self._device)
        return value

    def completed(self, engine: Engine, name: str) -> None:
        value = self._value
        if type(value) is float or (self._keep_on_device and isinstance(value, torch.Tensor)):
            engine.state.metrics[name] = value  # ignite: compute(), then .item() of a tensor
        else:
            super().completed(engine, name)

    def _state_dict_per_rank(self) -> OrderedDict:
        state = super()._state_dict_per_rank()
        state["_value"] = self._ignite_value()
        return state

    def _load_state_dict_per_rank(self, state: Mapping) -> None:
        super()._load_state_dict_per_rank(state)
        self._value_dtype = None
        value = self._value
        if (
            not self._keep_on_device
            and isinstance(value, torch.Tensor)
            and value.dtype in _FAST_DTYPES
            and value.dim() == 0
        ):
            # Back to the float form, so that the next updates take the fast path.
            self._value, self._value_dtype = value.item(), value.dtype

    @reinit__is_reduced
    def update(self, output: Any) -> None:
        if type(self._value) is float and self._value_dtype is not None:
            self._value = self._ignite_value()  # from the fast path: back to ignite's tensor
        if self.src is None:
            if isinstance(output, torch.Tensor):
                output = output.detach().to(self._device, copy=True)
            # Every process averages the same (global) mean value.
            value = idist.all_reduce(output) / idist.get_world_size()
        else:
            value = self.src.compute()
            self.src.reset()

        if self._value is None:
            self._value = value
        else:
            self._value = self._value * self.alpha + (1.0 - self.alpha) * value

    def compute(self) -> float | torch.Tensor:
        return self._ignite_value()

    def _usage(self, usage: str | MetricUsage) -> MetricUsage:
        usage = self._check_usage(usage)
        if self.epoch_bound is not None:
            usage = SingleEpochRunningBatchWise() if self.epoch_bound else RunningBatchWise()
        return usage

    def attach(
        self, engine: Engine, name: str, usage: str | MetricUsage = _RUNNING_BATCH_WISE
    ) -> None:
        usage = self._usage(usage)
        if isinstance(self.src, Metric):
            # The source is updated on every iteration, whatever our own usage is.
            event = _iteration_completed()
            if not engine.has_event_handler(self.src.iteration_completed, event):
                engine.add_event_handler(event, self.src.iteration_completed)
        super().attach(engine, name, usage)
        # The float path of the two per-iteration methods, run by the core (no Python call).
        if not overrides(self, RunningAverage, "iteration_completed", "_update_transformed"):
            spec = NativeSpec.ema(
                self.__dict__, self._update_transformed, torch.Tensor, torch.float32, torch.float64
            )
            set_native(engine, usage.ITERATION_COMPLETED, self.iteration_completed, spec)
        if not overrides(self, RunningAverage, "completed"):
            set_native(engine, usage.COMPLETED, self.completed, NativeSpec.publish(self.__dict__, name))

    def detach(self, engine: Engine, usage: str | MetricUsage = _RUNNING_BATCH_WISE) -> None:
        usage = self._usage(usage)
        if isinstance(self.src, Metric):
            event = _iteration_completed()
            if engine.has_event_handler(self.src.iteration_completed, event):
                engine.remove_event_handler(self.src.iteration_completed, event)
        super().detach(engine, usage)

    def is_attached(self, engine: Engine, usage: str | MetricUsage = _RUNNING_BATCH_WISE) -> bool:
        return super().is_attached(engine, self._usage(usage))


def _identity_transform(x: Any) -> Any:
    return x


def _iteration_completed() -> Any:
    from oxignite.engine import Events

    return Events.ITERATION_COMPLETED
