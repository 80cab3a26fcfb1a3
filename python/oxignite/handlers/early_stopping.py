"""EarlyStopping: stop training when a score stops improving."""

from __future__ import annotations

import logging
import numbers
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from oxignite.base import Serializable
from oxignite.engine import Engine, Events

__all__ = ["EarlyStopping"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"'{old}' is deprecated and will be removed in a future version. Please use '{new}' instead.",
        DeprecationWarning,
        stacklevel=3,
    )


def _deprecated_attribute(old: str, new: str) -> None:
    # ignite's wording for the attributes (the arguments' names are quoted, these are not).
    warnings.warn(
        f"{old} is deprecated and will be removed in a future version. Please use '{new}' instead.",
        DeprecationWarning,
        stacklevel=3,
    )


class EarlyStopping(Serializable):
    """Terminate ``trainer`` when ``score_function`` has not improved for ``patience`` calls.

    Args:
        patience: number of calls without improvement before stopping (>= 1).
        score_function: callable ``(engine) -> float``; higher is better for ``mode="max"``.
        trainer: the engine to terminate.
        threshold: minimum change counted as an improvement (>= 0).
        cumulative: if True, the change is measured from the best score at the last reset of
            the counter, otherwise from the previous call.
        threshold_mode: ``"abs"`` (``score > best + threshold``) or ``"rel"``
            (``score > best * (1 + threshold)``).
        mode: ``"max"`` or ``"min"``.
        min_delta: deprecated alias of ``threshold``.
        min_delta_mode: deprecated alias of ``threshold_mode``.
        cumulative_delta: deprecated alias of ``cumulative``.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import EarlyStopping
        handler = EarlyStopping(patience=3, score_function=lambda e: -e.state.metrics["loss"],
                                trainer=trainer)
        evaluator.add_event_handler(Events.COMPLETED, handler)
    """

    _state_dict_all_req_keys = ("counter", "best_score")

    def __init__(
        self,
        patience: int,
        score_function: Callable,
        trainer: Engine,
        threshold: float = 0.0,
        cumulative: bool = False,
        threshold_mode: str = "abs",
        mode: str = "max",
        min_delta: float | None = None,
        min_delta_mode: str | None = None,
        cumulative_delta: bool | None = None,
    ):
        if not callable(score_function):
            raise TypeError("Argument score_function should be a function.")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
            raise TypeError(f"Argument patience should be an integer, but given {type(patience)}")
        if patience < 1:
            raise ValueError("Argument patience should be positive integer.")
        if not isinstance(trainer, Engine):
            raise TypeError("Argument trainer should be an instance of Engine.")
        if min_delta is not None:
            _deprecated("min_delta", "threshold")
            threshold = min_delta
        if min_delta_mode is not None:
            _deprecated("min_delta_mode", "threshold_mode")
            threshold_mode = min_delta_mode
        if cumulative_delta is not None:
            _deprecated("cumulative_delta", "cumulative")
            cumulative = cumulative_delta
        if threshold < 0.0:
            raise ValueError("Argument threshold should not be a negative number.")
        if threshold_mode not in ("abs", "rel"):
            raise ValueError("Argument threshold_mode should be either 'abs' or 'rel'.")
        if mode not in ("min", "max"):
            raise ValueError("Argument mode should be either 'min' or 'max'.")

        self.score_function = score_function
        self.patience = int(patience)
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cumulative = cumulative
        self.mode = mode
        self.trainer = trainer
        self.counter = 0
        self.best_score: float | None = None
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)

    # Backward-compatible attribute names (ignite < 0.5.5); like ignite, each use warns.
    @property
    def min_delta(self) -> float:
        _deprecated_attribute("min_delta", "threshold")
        return self.threshold

    @min_delta.setter
    def min_delta(self, value: float) -> None:
        _deprecated_attribute("min_delta", "threshold")
        self.threshold = value

    @property
    def min_delta_mode(self) -> str:
        _deprecated_attribute("min_delta_mode", "threshold_mode")
        return self.threshold_mode

    @min_delta_mode.setter
    def min_delta_mode(self, value: str) -> None:
        _deprecated_attribute("min_delta_mode", "threshold_mode")
        self.threshold_mode = value

    @property
    def cumulative_delta(self) -> bool:
        _deprecated_attribute("cumulative_delta", "cumulative")
        return self.cumulative

    @cumulative_delta.setter
    def cumulative_delta(self, value: bool) -> None:
        _deprecated_attribute("cumulative_delta", "cumulative")
        self.cumulative = value

    def __call__(self, engine: Engine) -> None:
        score = self.score_function(engine)
        if self.best_score is None:
            self.best_score = score
            return

        delta = -self.threshold if self.mode == "min" else self.threshold
        if self.threshold_mode == "abs":
            bar = self.best_score + delta
        else:
            bar = self.best_score * (1 + delta)
        improved = score > bar if self.mode == "max" else score < bar

        if improved:
            self.best_score = score
            self.counter = 0
            return
        if not self.cumulative:
            pick = max if self.mode == "max" else min
            self.best_score = pick(score, self.best_score)
        self.counter += 1
        self.logger.debug("EarlyStopping: %i / %i", self.counter, self.patience)
        if self.counter >= self.patience:
            self.logger.info("EarlyStopping: Stop training")
            self.trainer.terminate()

    def reset(self, *args: Any) -> None:
        """Forget the best score and the counter."""
        self.counter = 0
        self.best_score = None

    def attach(
        self,
        engine: Engine,
        event: Any = Events.COMPLETED,
        reset_engine: Engine | None = None,
        reset_event: Any = Events.STARTED,
    ) -> None:
        """Run the check on ``engine``/``event`` and ``reset`` on ``reset_engine``/``reset_event``."""
        engine.add_event_handler(event, self)
        (reset_engine or engine).add_event_handler(reset_event, self.reset)

    def state_dict(self) -> OrderedDict[str, Any]:
        """Return ``counter``, ``best_score`` and ``threshold_mode``."""
        return OrderedDict(
            [
                ("counter", self.counter),
                ("best_score", self.best_score),
                ("threshold_mode", self.threshold_mode),
            ]
        )

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore ``counter`` and ``best_score`` (and ``threshold_mode`` if present)."""
        super().load_state_dict(state_dict)
        self.counter = state_dict["counter"]
        self.best_score = state_dict["best_score"]
        self.threshold_mode = state_dict.get("threshold_mode", self.threshold_mode)
