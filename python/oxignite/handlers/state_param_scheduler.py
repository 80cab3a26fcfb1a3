"""Schedulers of an attribute of ``engine.state`` (not of an optimizer): a value that other
handlers or the process function read, e.g. a loss weight or EMA momentum.

Each scheduler increments its ``event_index`` when its event fires, then sets
``engine.state.<param_name>`` to ``get_param()``.
"""

from __future__ import annotations

import warnings
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from oxignite.engine import Engine, Events
from oxignite.handlers.param_scheduler import BaseParamScheduler, _PiecewiseLinearMixin

__all__ = [
    "ExpStateScheduler",
    "LambdaStateScheduler",
    "MultiStepStateScheduler",
    "PiecewiseLinearStateScheduler",
    "StateParamScheduler",
    "StepStateScheduler",
]


class StateParamScheduler(BaseParamScheduler):
    """Base of the state schedulers.

    Args:
        param_name: name of the ``engine.state`` attribute to schedule.
        save_history: append the values to ``engine.state.param_history[param_name]``.
        create_new: the attribute must not exist yet (ValueError at ``attach`` if it does);
            without it, a missing attribute is created with a warning.
    """

    def __init__(self, param_name: str, save_history: bool = False, create_new: bool = False):
        super().__init__(param_name, save_history)
        self.create_new = create_new

    def attach(self, engine: Engine, event: Any = Events.ITERATION_COMPLETED) -> None:
        """Attach to ``engine`` so the value is updated at each ``event``."""
        if hasattr(engine.state, self.param_name):
            if self.create_new:
                raise ValueError(
                    f"Attribute '{self.param_name}' already exists in the engine.state. "
                    f"This may be a conflict between multiple handlers. "
                    f"Please choose another name."
                )
        else:
            if not self.create_new:
                warnings.warn(
                    f"Attribute '{self.param_name}' is not defined in the engine.state. "
                    f"{type(self).__name__} will create it. "
                    f"Remove this warning by setting create_new=True."
                )
            setattr(engine.state, self.param_name, None)

        if self.save_history:
            if getattr(engine.state, "param_history", None) is None:
                engine.state.param_history = {}
            engine.state.param_history.setdefault(self.param_name, [])
        engine.add_event_handler(event, self)

    def __call__(self, engine: Engine) -> None:
        self.event_index += 1
        value = self.get_param()
        setattr(engine.state, self.param_name, value)
        if self.save_history:
            engine.state.param_history[self.param_name].append(value)

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list[Any]]:
        """``[[i, value], ...]`` for ``num_events`` events of a scheduler built from
        ``scheduler_kwargs`` (``save_history`` is ignored).

        Example::

            LambdaStateScheduler.simulate_values(3, lambda_obj=lambda i: i * 2, param_name="w")
            # [[0, 2], [1, 4], [2, 6]]
        """
        scheduler_kwargs.pop("save_history", None)
        scheduler = cls(save_history=False, **scheduler_kwargs)
        engine = Engine(lambda e, b: None)
        values = []
        for i in range(num_events):
            scheduler(engine=engine)
            values.append([i, getattr(engine.state, scheduler_kwargs["param_name"])])
        return values


class LambdaStateScheduler(StateParamScheduler):
    """The value is ``lambda_obj(event_index)`` (any callable; a class instance with state
    makes a schedule with memory).

    Example::

        class LinearWeight:
            def __call__(self, event_index):
                return min(1.0, 0.1 * event_index)

        LambdaStateScheduler(LinearWeight(), param_name="weight", create_new=True).attach(trainer)
    """

    def __init__(
        self,
        lambda_obj: Callable[[int], list[float] | float],
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ):
        super().__init__(param_name, save_history, create_new)
        if not callable(lambda_obj):
            raise ValueError("Expected lambda_obj to be callable.")  # noqa: TRY004 - as ignite
        self.lambda_obj = lambda_obj
        self._state_attrs += ["lambda_obj"]

    def get_param(self) -> list[float] | float:
        return self.lambda_obj(self.event_index)


class PiecewiseLinearStateScheduler(_PiecewiseLinearMixin, StateParamScheduler):
    """Linear interpolation between ``(milestone, value)`` pairs; constant before the first
    and after the last milestone.

    Example::

        PiecewiseLinearStateScheduler(
            [(0, 0.0), (10, 1.0), (20, 0.5)], param_name="weight", create_new=True
        ).attach(trainer)
    """

    def __init__(
        self,
        milestones_values: list[tuple[int, float]],
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ):
        super().__init__(param_name, save_history, create_new)
        self._set_milestones(milestones_values)


class ExpStateScheduler(StateParamScheduler):
    """The value is ``initial_value * gamma ** event_index``.

    Example::

        ExpStateScheduler(1.0, 0.9, param_name="weight", create_new=True).attach(trainer)
    """

    def __init__(
        self,
        initial_value: float,
        gamma: float,
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ):
        super().__init__(param_name, save_history, create_new)
        self.initial_value = initial_value
        self.gamma = gamma
        self._state_attrs += ["initial_value", "gamma"]

    def get_param(self) -> list[float] | float:
        return self.initial_value * self.gamma**self.event_index


class StepStateScheduler(StateParamScheduler):
    """The value is ``initial_value * gamma ** (event_index // step_size)``.

    Example::

        StepStateScheduler(1.0, 0.5, step_size=5, param_name="weight", create_new=True)
    """

    def __init__(
        self,
        initial_value: float,
        gamma: float,
        step_size: int,
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ):
        super().__init__(param_name, save_history, create_new)
        self.initial_value = initial_value
        self.gamma = gamma
        self.step_size = step_size
        self._state_attrs += ["initial_value", "gamma", "step_size"]

    def get_param(self) -> list[float] | float:
        return self.initial_value * self.gamma ** (self.event_index // self.step_size)


class MultiStepStateScheduler(StateParamScheduler):
    """The value is multiplied by ``gamma`` at each of the ``milestones``.

    Example::

        MultiStepStateScheduler(1.0, 0.1, milestones=[10, 20], param_name="weight",
                                create_new=True)
    """

    def __init__(
        self,
        initial_value: float,
        gamma: float,
        milestones: list[int],
        param_name: str,
        save_history: bool = False,
        create_new: bool = False,
    ):
        super().__init__(param_name, save_history, create_new)
        self.initial_value = initial_value
        self.gamma = gamma
        self.milestones = milestones
        self._state_attrs += ["initial_value", "gamma", "milestones"]

    def get_param(self) -> list[float] | float:
        return self.initial_value * self.gamma ** bisect_right(self.milestones, self.event_index)
