"""TerminateOnNan: stop the run when the process function's output is NaN or infinite."""

from __future__ import annotations

import logging
import numbers
from typing import Any, Callable

import torch

from oxignite.engine import Engine
from oxignite.handlers.utils import _apply_to_type, _check_callable

__all__ = ["TerminateOnNan"]


class _NonFinite(Exception):
    pass


class TerminateOnNan:
    """Terminate the engine if ``engine.state.output`` contains a NaN or infinite value.

    The output may be a number, a tensor, or nested lists/tuples/dicts of them.

    Args:
        output_transform: callable mapping ``engine.state.output`` to the value(s) to check.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import TerminateOnNan
        trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    """

    def __init__(self, output_transform: Callable = lambda x: x):
        _check_callable(output_transform, "output_transform", allow_none=False)
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self._output_transform = output_transform

    def __call__(self, engine: Engine) -> None:
        output = self._output_transform(engine.state.output)

        def check(x: Any) -> None:
            if isinstance(x, numbers.Number):
                x = torch.tensor(x)
            if isinstance(x, torch.Tensor) and not bool(torch.isfinite(x).all()):
                raise _NonFinite()

        try:
            _apply_to_type(output, (numbers.Number, torch.Tensor), check)
        except _NonFinite:
            self.logger.warning(
                f"{self.__class__.__name__}: Output '{output}' contains NaN or Inf. Stop training"
            )
            engine.terminate()
