"""TerminateOnNan: stop the run when the process function's output is NaN or infinite."""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable
from typing import Any

import torch

from oxignite.engine import Engine
from oxignite.engine.natives import NativeSpec, overrides
from oxignite.handlers.utils import _check_callable
from oxignite.utils import apply_to_type

__all__ = ["TerminateOnNan"]

_isfinite = math.isfinite
# Below this every float dtype torch may use as its default (float16's largest finite value is
# the smallest) holds a finite Python float finite; above it, ignite's ``torch.tensor(x)`` may
# be infinite (1e300 is in float32), so it is checked that way.
_FINITE_IN_ANY_DTYPE = 65504.0


def _finite_number(x: float) -> bool:
    """Whether ignite's check passes a Python float: ``torch.tensor(x)``, in the default dtype,
    is finite."""
    if abs(x) <= _FINITE_IN_ANY_DTYPE:
        return True  # NaN compares False: not here
    return _isfinite(x) and bool(torch.isfinite(torch.tensor(x)))


def _identity(x: Any) -> Any:
    return x


class _NonFinite(Exception):
    pass


class TerminateOnNan:
    """Terminate the engine if ``engine.state.output`` contains a NaN or infinite value.

    The output may be a number, a tensor, or nested lists/tuples/dicts of them.

    Args:
        output_transform: callable mapping ``engine.state.output`` to the value(s) to check.

    Host-device syncs: checking a tensor's values reads them on the host, so each call waits
    for the device that computes them (one ``.item()`` for a 0-d loss). Attached as usual, on
    every ``ITERATION_COMPLETED``, that is one sync per iteration. To check without syncing
    every iteration, attach it to a filtered event: ``Events.ITERATION_COMPLETED(every=100)``
    checks the output of one iteration in 100 (a diverged loss stays NaN or infinite, so
    the run stops at most 99 iterations later). On an oxignite Engine the core checks a
    finite number or 0-d tensor itself (no Python call), reading a tensor once per iteration
    for TerminateOnNan and RunningAverage together.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import TerminateOnNan
        trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
        # or, reading a device loss once every 100 iterations:
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=100), TerminateOnNan())
    """

    def __init__(self, output_transform: Callable = _identity):
        _check_callable(output_transform, "output_transform", allow_none=False)
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self._output_transform = output_transform

    def __call__(self, engine: Engine) -> None:
        output = engine.state.output
        if self._output_transform is not _identity:
            output = self._output_transform(output)
        # Fast path for the common outputs (a number, a 0-d tensor): no torch op.
        cls = type(output)
        if (cls is float and _finite_number(output)) or cls is int:
            return
        if cls is not float and isinstance(output, torch.Tensor) and output.ndim == 0:
            try:
                if _isfinite(output.item()):  # the documented per-call read
                    return
            except TypeError:  # a complex value: the general check below
                pass
        self._check(engine, output)

    def _native_spec(self) -> NativeSpec | None:
        """The core's stand-in for ``__call__`` on an oxignite Engine (``natives.rs``:
        ``Finite``): a finite number or 0-d tensor output is passed without a Python call;
        anything else calls ``__call__``. Not with an ``output_transform`` or an override."""
        if not overrides(self, TerminateOnNan, "__call__") and self._output_transform is _identity:
            return NativeSpec.finite(torch.Tensor)
        return None

    def _check(self, engine: Engine, output: Any) -> None:
        """ignite's check of any output: every number and tensor in nested collections."""

        def check(x: Any) -> None:
            if isinstance(x, numbers.Number):
                x = torch.tensor(x)
            if isinstance(x, torch.Tensor) and not bool(torch.isfinite(x).all()):
                raise _NonFinite()

        try:
            apply_to_type(output, (numbers.Number, torch.Tensor), check)
        except _NonFinite:
            self.logger.warning(
                f"{self.__class__.__name__}: Output '{output}' contains NaN or Inf. Stop training"
            )
            engine.terminate()
