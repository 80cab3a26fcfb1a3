"""Parameter schedulers: set an optimizer parameter (e.g. ``lr``) on every event they are
attached to. All schedulers have ``state_dict``/``load_state_dict`` so a resumed run continues
the schedule where it stopped."""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import torch
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, ReduceLROnPlateau
from torch.optim.optimizer import Optimizer

from oxignite.engine import Engine, Events

try:
    from torch.optim.lr_scheduler import LRScheduler as PyTorchLRScheduler
except ImportError:  # pragma: no cover - torch < 2.0
    from torch.optim.lr_scheduler import _LRScheduler as PyTorchLRScheduler

__all__ = [
    "BaseParamScheduler",
    "ConcatScheduler",
    "CosineAnnealingScheduler",
    "CyclicalScheduler",
    "LRScheduler",
    "LinearCyclicalScheduler",
    "ParamGroupScheduler",
    "ParamScheduler",
    "PiecewiseLinear",
    "ReduceLROnPlateauScheduler",
    "create_lr_scheduler_with_warmup",
]


def _fake_optimizer(optimizer_cls: Any = None, **kwargs: Any) -> Optimizer:
    t = torch.zeros([1], requires_grad=True)
    if optimizer_cls is None:
        optimizer_cls = torch.optim.SGD
        kwargs["lr"] = 0.01
    return optimizer_cls([t], **kwargs)


def _record_history(engine: Engine | None, name: str, values: Any) -> None:
    if engine is None:
        return
    if getattr(engine.state, "param_history", None) is None:
        engine.state.param_history = {}
    engine.state.param_history.setdefault(name, []).append(values)


class BaseParamScheduler(metaclass=ABCMeta):
    """Base of all parameter schedulers.

    Args:
        param_name: name of the scheduled parameter.
        save_history: append the values to ``engine.state.param_history[param_name]``.

    Example::

        scheduler = CosineAnnealingScheduler(optimizer, "lr", 1.0, 0.0, cycle_size=10)
        state = scheduler.state_dict()    # save with the checkpoint...
        scheduler.load_state_dict(state)  # ...and restore to continue the schedule
    """

    def __init__(self, param_name: str, save_history: bool = False):
        self.param_name = param_name
        self.event_index = 0
        self._save_history = save_history
        self._state_attrs = ["event_index", "param_name", "save_history"]

    @property
    def save_history(self) -> bool:
        return self._save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        self._save_history = value

    def state_dict(self) -> dict[str, Any]:
        """Return the attributes listed in ``self._state_attrs`` (nested ``state_dict``s for
        objects that have one)."""
        out: dict[str, Any] = OrderedDict()
        for name in self._state_attrs:
            if hasattr(self, name):
                val = getattr(self, name)
                if hasattr(val, "state_dict"):
                    val = val.state_dict()
                out[name] = copy.copy(val)
        return out

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore the attributes saved by :meth:`state_dict`."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument state_dict should be a dictionary, but given {type(state_dict)}"
            )
        for name in self._state_attrs:
            if name not in state_dict:
                raise ValueError(
                    f"Required state attribute '{name}' is absent in provided state_dict "
                    f"'{list(state_dict.keys())}'"
                )
            val = state_dict[name]
            obj = getattr(self, name)
            if isinstance(val, Mapping) and hasattr(obj, "load_state_dict"):
                obj.load_state_dict(val)
            else:
                setattr(self, name, val)

    @abstractmethod
    def get_param(self) -> list[float] | float:
        """Value of the parameter for the current ``event_index``."""

    @classmethod
    @abstractmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list[Any]]:
        """Return ``[[event_index, value], ...]`` for ``num_events`` events."""

    @classmethod
    def plot_values(cls, num_events: int, **scheduler_kwargs: Any) -> Any:
        """Plot :meth:`simulate_values` with matplotlib."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise ModuleNotFoundError(
                "This method requires matplotlib to be installed. "
                "Please install it with command: \n pip install matplotlib"
            ) from e
        values = cls.simulate_values(num_events=num_events, **scheduler_kwargs)
        label = scheduler_kwargs.get("param_name", "learning rate")
        ax = plt.plot([e for e, _ in values], [v for _, v in values], label=label)
        plt.legend()
        plt.grid(which="both")
        return ax


class ParamScheduler(BaseParamScheduler):
    """Base of schedulers that set ``optimizer.param_groups[*][param_name]``.

    Subclasses implement :meth:`get_param` using ``self.event_index`` (0 on the first call).

    Args:
        optimizer: torch optimizer (or any object with a ``param_groups`` sequence).
        param_name: optimizer parameter to set, e.g. ``"lr"``.
        save_history: record values in ``engine.state.param_history``.
        param_group_index: only set this param group (default: all).

    Example::

        class Halving(ParamScheduler):
            def get_param(self):
                return 0.1 * 0.5 ** self.event_index

        trainer.add_event_handler(Events.EPOCH_STARTED, Halving(optimizer, "lr"))
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        save_history: bool = False,
        param_group_index: int | None = None,
    ):
        super().__init__(param_name, save_history)
        if not (
            isinstance(optimizer, Optimizer)
            or (hasattr(optimizer, "param_groups") and isinstance(optimizer.param_groups, Sequence))
        ):
            raise TypeError(
                "Argument optimizer should be torch.optim.Optimizer or has attribute "
                f"'param_groups' as list/tuple, but given {type(optimizer)}"
            )
        self.optimizer = optimizer
        self.param_group_index = param_group_index
        self._state_attrs += ["param_group_index"]

    def attach(self, engine: Engine, event: Any = Events.ITERATION_STARTED) -> None:
        """Call this scheduler on ``event`` (default ``ITERATION_STARTED``)."""
        engine.add_event_handler(event, self)

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        value = self._get_param()
        groups = self.optimizer_param_groups
        if isinstance(value, list):
            if len(value) != len(groups):
                raise ValueError(
                    "size of value is different than optimizer_param_groups "
                    f"{len(value)} != {len(groups)}"
                )
            for group, v in zip(groups, value):
                group[self.param_name] = v
        else:
            for group in groups:
                group[self.param_name] = value
        if self.save_history:
            values = [g[self.param_name] for g in groups]
            _record_history(engine, name or self.param_name, values)
        self.event_index += 1

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        if self.param_group_index is None:
            return self.optimizer.param_groups
        return [self.optimizer.param_groups[self.param_group_index]]

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list[Any]]:
        """Simulated ``[[event_index, value], ...]`` using a throw-away optimizer.

        Example::

            CosineAnnealingScheduler.simulate_values(
                num_events=10, param_name="lr", start_value=1.0, end_value=0.0, cycle_size=10)
        """
        for key in ("optimizer", "save_history"):
            scheduler_kwargs.pop(key, None)
        scheduler = cls(optimizer=_fake_optimizer(), save_history=False, **scheduler_kwargs)
        values = []
        for i in range(num_events):
            scheduler(engine=None)
            values.append([i, scheduler.optimizer_param_groups[0][scheduler.param_name]])
        return values

    def _get_param(self) -> list[float] | float:
        return self.get_param()


class CyclicalScheduler(ParamScheduler):
    """Base of schedulers repeating a cycle of ``cycle_size`` events from ``start_value`` to
    ``end_value`` (at mid-cycle or cycle end, depending on the subclass).

    Args:
        optimizer: see :class:`ParamScheduler`.
        param_name: see :class:`ParamScheduler`.
        save_history: see :class:`ParamScheduler`.
        param_group_index: see :class:`ParamScheduler`.
        start_value: value at the start of a cycle.
        end_value: value at the middle (or end, if monotonic) of the cycle.
        cycle_size: events per cycle (> 1).
        cycle_mult: factor applied to ``cycle_size`` after each cycle.
        start_value_mult: factor applied to ``start_value`` after each cycle.
        end_value_mult: factor applied to ``end_value`` after each cycle.
        warmup_duration: events of linear warm-up from the end value back to the start value
            after each cycle.

    Example::

        class Triangle(CyclicalScheduler):  # what LinearCyclicalScheduler does
            def get_param(self):
                p = self.event_index / self.cycle_size
                return self.end_value + (self.start_value - self.end_value) * abs(p - 0.5) * 2
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        start_value: float,
        end_value: float,
        cycle_size: int,
        cycle_mult: float = 1.0,
        start_value_mult: float = 1.0,
        end_value_mult: float = 1.0,
        warmup_duration: int = 0,
        save_history: bool = False,
        param_group_index: int | None = None,
    ):
        super().__init__(optimizer, param_name, save_history, param_group_index)
        if not isinstance(cycle_size, numbers.Number) or cycle_size < 2:
            raise ValueError(
                f"Argument cycle_size should be positive and larger than 1, but given {cycle_size}"
            )
        if warmup_duration < 0:
            raise ValueError(
                f"Argument warmup_duration should be >= 0, but given {warmup_duration}"
            )
        self.start_value = start_value
        self.end_value = end_value
        self.cycle_size = int(cycle_size)
        self.cycle_mult = cycle_mult
        self.cycle = 0
        self.start_value_mult = start_value_mult
        self.end_value_mult = end_value_mult
        self.warmup_duration = warmup_duration
        self.total_cycle_size = self.warmup_duration + self.cycle_size
        self._state_attrs += [
            "start_value",
            "end_value",
            "cycle_size",
            "cycle_mult",
            "cycle",
            "start_value_mult",
            "end_value_mult",
            "warmup_duration",
            "total_cycle_size",
        ]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        if self.event_index != 0 and self.event_index == self.cycle_size:
            self.start_value *= self.start_value_mult
        if self.event_index != 0 and self.event_index == self.total_cycle_size:
            self.event_index = 0
            self.cycle_size = int(self.cycle_size * self.cycle_mult)
            self.warmup_duration = int(self.warmup_duration * self.cycle_mult)
            self.total_cycle_size = self.warmup_duration + self.cycle_size
            self.cycle += 1
            self.end_value *= self.end_value_mult
        return super().__call__(engine, name)

    def _get_param(self) -> float:
        if self.event_index > self.cycle_size:  # in the warm-up part after the cycle
            progress = (self.event_index - self.cycle_size) / self.warmup_duration
            return self.end_value + (self.start_value - self.end_value) * progress
        return self.get_param()


class LinearCyclicalScheduler(CyclicalScheduler):
    """Linear cycle: ``start_value`` -> ``end_value`` (mid-cycle) -> ``start_value``; with
    ``monotonic=True`` it goes linearly from ``start_value`` to ``end_value`` over the cycle.

    Value at ``event_index`` ``i`` (``p = i / cycle_size``):
    ``end + (start - end) * |p - 0.5| * 2`` (or ``start + (end - start) * p`` if monotonic).

    Example::

        from oxignite.handlers import LinearCyclicalScheduler
        scheduler = LinearCyclicalScheduler(optimizer, "lr", 0.0, 1.0, cycle_size=10)
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
        # lr: 0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.8, ... 0.2, 0.0, 0.2, ...
    """

    def __init__(self, *args: Any, monotonic: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.monotonic = monotonic
        if self.warmup_duration > 0 and not self.monotonic:
            raise ValueError(
                "Invalid combination when warmup_duration > 0 and monotonic=False, please use "
                "either set warmup_duration=0 or monotonic=True"
            )

    def get_param(self) -> float:
        progress = self.event_index / self.cycle_size
        if self.monotonic:
            return self.start_value + (self.end_value - self.start_value) * progress
        return self.end_value + (self.start_value - self.end_value) * abs(progress - 0.5) * 2


class CosineAnnealingScheduler(CyclicalScheduler):
    """Cosine annealing from ``start_value`` to ``end_value`` over each cycle (SGDR-style).

    Value at ``event_index`` ``i``:
    ``start + (end - start) / 2 * (1 - cos(pi * i / cycle_size))``.

    Example::

        from oxignite.handlers import CosineAnnealingScheduler
        scheduler = CosineAnnealingScheduler(optimizer, "lr", 1e-1, 1e-3, len(train_loader))
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    """

    def get_param(self) -> float:
        progress = self.event_index / self.cycle_size
        return self.start_value + (self.end_value - self.start_value) / 2 * (
            1 - math.cos(math.pi * progress)
        )


class _PiecewiseLinearMixin:
    """Linear interpolation between ``(milestone, value)`` pairs, shared by
    :class:`PiecewiseLinear` and ``PiecewiseLinearStateScheduler``: the class using it
    calls :meth:`_set_milestones` in ``__init__`` and counts ``event_index``."""

    event_index: int
    _state_attrs: list[str]

    def _set_milestones(self, milestones_values: list[tuple[int, float]]) -> None:
        if not isinstance(milestones_values, Sequence):
            raise TypeError(
                "Argument milestones_values should be a list or tuple, "
                f"but given {type(milestones_values)}"
            )
        if len(milestones_values) < 1:
            raise ValueError(
                "Argument milestones_values should be with at least one value, "
                f"but given {milestones_values}"
            )
        milestones: list[int] = []
        values: list[float] = []
        for pair in milestones_values:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ValueError(
                    "Argument milestones_values should be a list of pairs (milestone, param_value)"
                )
            if not isinstance(pair[0], numbers.Integral):
                raise TypeError(
                    f"Value of a milestone should be integer, but given {type(pair[0])}"
                )
            if milestones and pair[0] < milestones[-1]:
                raise ValueError(
                    f"Milestones should be increasing integers, but given {pair[0]} is smaller "
                    f"than the previous milestone {milestones[-1]}"
                )
            milestones.append(pair[0])
            values.append(pair[1])
        self.values = values
        self.milestones = milestones
        self._index = 0  # the segment the last event fell in: events only move forward
        self._state_attrs += ["values", "milestones", "_index"]

    def _segment(self) -> tuple[int, int, float, float]:
        i = self.event_index
        if i < self.milestones[0]:
            return i - 1, i, self.values[0], self.values[0]
        if i >= self.milestones[-1]:
            return i, i + 1, self.values[-1], self.values[-1]
        while not self.milestones[self._index] <= i < self.milestones[self._index + 1]:
            self._index += 1
        k = self._index
        return self.milestones[k], self.milestones[k + 1], self.values[k], self.values[k + 1]

    def get_param(self) -> float:
        start, end, start_value, end_value = self._segment()
        return start_value + (end_value - start_value) * (self.event_index - start) / (end - start)


class PiecewiseLinear(_PiecewiseLinearMixin, ParamScheduler):
    """Piecewise linear interpolation between ``(event_index, value)`` milestones; constant
    before the first and after the last milestone.

    Example::

        from oxignite.handlers import PiecewiseLinear
        scheduler = PiecewiseLinear(optimizer, "lr",
                                    milestones_values=[(10, 0.5), (20, 0.45), (21, 0.3), (30, 0.1)])
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        param_name: str,
        milestones_values: list[tuple[int, float]],
        save_history: bool = False,
        param_group_index: int | None = None,
    ):
        super().__init__(optimizer, param_name, save_history, param_group_index=param_group_index)
        self._set_milestones(milestones_values)


class ParamGroupScheduler:
    """Run several schedulers (e.g. one per param group) as one handler.

    Example::

        lr_schedulers = [
            LinearCyclicalScheduler(optimizer, "lr", 0.0, 1.0, 10, param_group_index=0),
            LinearCyclicalScheduler(optimizer, "lr", 0.0, 0.1, 10, param_group_index=1),
        ]
        scheduler = ParamGroupScheduler(lr_schedulers, names=["lr (base)", "lr (head)"])
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    """

    def __init__(
        self,
        schedulers: list[ParamScheduler],
        names: list[str] | None = None,
        save_history: bool = False,
    ):
        if not isinstance(schedulers, Sequence):
            raise TypeError(f"Argument schedulers should be a list/tuple, but given {schedulers}")
        if not all(isinstance(s, ParamScheduler) for s in schedulers):
            raise ValueError(
                "Argument schedulers should be a list/tuple of parameter schedulers, "
                f"but given {schedulers}"
            )
        if names is None:
            names = [s.param_name for s in schedulers]
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"Argument names should be a list/tuple, but given {names}")
        if not all(isinstance(n, str) for n in names):
            raise ValueError(
                "Argument names should be a list/tuple of parameter scheduler's names, "
                f"but given {names}"
            )
        if len(names) != len(schedulers):
            raise ValueError(f"{len(schedulers)} should be equal {len(names)}")
        self.schedulers = schedulers
        self.names = names
        for s in schedulers:
            s.save_history = save_history
        self.optimizer = [s.optimizer for s in schedulers]
        self.param_name = [s.param_name for s in schedulers]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        for scheduler, sname in zip(self.schedulers, self.names):
            scheduler(engine, sname)

    def attach(self, engine: Engine, event: Any = Events.ITERATION_STARTED) -> None:
        engine.add_event_handler(event, self)

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        return [pg for s in self.schedulers for pg in s.optimizer_param_groups]

    @property
    def save_history(self) -> bool:
        return self.schedulers[0].save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        for s in self.schedulers:
            s.save_history = value

    def state_dict(self) -> dict[str, list[Any]]:
        return OrderedDict(
            [("schedulers", [(n, s.state_dict()) for n, s in zip(self.names, self.schedulers)])]
        )

    def load_state_dict(self, state_dict: Mapping) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument state_dict should be a dictionary, but given {type(state_dict)}"
            )
        if "schedulers" not in state_dict:
            raise ValueError(
                "Required state attribute 'schedulers' is absent in provided state_dict "
                f"'{list(state_dict.keys())}'"
            )
        sds = state_dict["schedulers"]
        if len(sds) != len(self.schedulers):
            raise ValueError(
                f"Input state_dict contains {len(sds)} state_dicts of param group schedulers, "
                f"but {len(self.schedulers)} needed"
            )
        for req_name, s, (n, sd) in zip(self.names, self.schedulers, sds):
            if req_name != n:
                raise ValueError(
                    "Name of scheduler from input state dict does not correspond to required one,"
                    f" {n} vs {req_name}"
                )
            s.load_state_dict(sd)

    def get_param(self) -> list[Any]:
        return [s.get_param() for s in self.schedulers]

    @classmethod
    def simulate_values(
        cls, num_events: int, schedulers: list[ParamScheduler], **kwargs: Any
    ) -> list[list[Any]]:
        """``[[i, value_0, value_1, ...], ...]``; the schedulers' states are restored after."""
        saved = [copy.deepcopy(s.state_dict()) for s in schedulers]
        opt_state = copy.deepcopy(schedulers[0].optimizer.state_dict())
        scheduler = cls(schedulers=schedulers, **kwargs)
        values = []
        for i in range(num_events):
            values.append([i] + [s.get_param() for s in schedulers])
            scheduler(engine=None)
        for s, sd in zip(schedulers, saved):
            s.load_state_dict(sd)
            s.optimizer.load_state_dict(opt_state)
        return values


class ConcatScheduler(ParamScheduler):
    """Run schedulers one after the other: ``schedulers[i]`` for ``durations[i]`` events, the
    last one until the end.

    Example::

        from oxignite.handlers import ConcatScheduler, CosineAnnealingScheduler, LinearCyclicalScheduler
        s1 = LinearCyclicalScheduler(optimizer, "lr", 0.1, 0.5, cycle_size=60)
        s2 = CosineAnnealingScheduler(optimizer, "lr", 0.5, 0.01, cycle_size=60)
        scheduler = ConcatScheduler(schedulers=[s1, s2], durations=[30])
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    """

    def __init__(self, schedulers: list[Any], durations: list[int], save_history: bool = False):
        if not isinstance(schedulers, Sequence):
            raise TypeError(f"Argument schedulers should be a sequence, but given {schedulers}")
        if len(schedulers) < 2:
            raise ValueError(
                "Argument schedulers should be of more than one parameter schedulers, "
                f"but given {schedulers}"
            )
        if not isinstance(durations, (list, tuple)):
            raise TypeError(f"Argument durations should be list/tuple, but given {durations}")
        if not all(isinstance(t, numbers.Integral) for t in durations):
            raise ValueError(
                f"Argument durations should be list/tuple of integers, but given {durations}"
            )
        if len(schedulers) != len(durations) + 1:
            raise ValueError(
                "Incorrect number schedulers or duration values, "
                f"given {len(schedulers)} and {len(durations)}"
            )
        for i, s in enumerate(schedulers):
            if not isinstance(s, (ParamScheduler, ParamGroupScheduler)):
                raise TypeError(
                    f"Value at index {i} of schedulers should be a parameter scheduler, "
                    f"but given {type(s)}"
                )
        optimizer = _single(_flat([s.optimizer for s in schedulers]), "optimizer")
        param_name = _single(_flat([s.param_name for s in schedulers]), "param_name")

        self.schedulers = schedulers
        self.durations = durations
        for s in schedulers:
            s.save_history = save_history
        super().__init__(optimizer=optimizer, param_name=param_name, save_history=save_history)
        self._scheduler_index = 0
        self._setup_scheduler()
        self._state_attrs += ["_current_duration", "durations", "_scheduler_index"]

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["schedulers"] = [s.state_dict() for s in self.schedulers]
        return sd

    def load_state_dict(self, state_dict: Mapping) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument state_dict should be a dictionary, but given {type(state_dict)}"
            )
        if "schedulers" not in state_dict:
            raise ValueError(
                "Required state attribute 'schedulers' is absent in provided state_dict "
                f"'{list(state_dict.keys())}'"
            )
        sds = state_dict["schedulers"]
        if len(sds) != len(self.schedulers):
            raise ValueError(
                f"Input state_dict contains {len(sds)} state_dicts of concatenated schedulers, "
                f"but {len(self.schedulers)} needed"
            )
        for s, sd in zip(self.schedulers, sds):
            s.load_state_dict(sd)
        super().load_state_dict(state_dict)
        self._current_scheduler = self.schedulers[self._scheduler_index]

    def _setup_scheduler(self) -> None:
        self._current_scheduler = self.schedulers[self._scheduler_index]
        if self._scheduler_index < len(self.durations):
            self._current_duration = self.durations[self._scheduler_index]
        else:
            self._current_duration = -1

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        if self._current_duration == 0:
            self._scheduler_index += 1
            self._setup_scheduler()
        self._current_scheduler(engine, name)
        self._current_duration -= 1

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        return self._current_scheduler.optimizer_param_groups

    @property
    def save_history(self) -> bool:
        return self._current_scheduler.save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        for s in self.schedulers:
            s.save_history = value

    def get_param(self) -> list[float] | float:
        return self._current_scheduler.get_param()

    @classmethod
    def simulate_values(  # type: ignore[override]
        cls,
        num_events: int,
        schedulers: list[Any],
        durations: list[int],
        param_names: list[str] | tuple[str] | None = None,
    ) -> list[list[Any]]:
        """``[[i, value, ...], ...]`` for ``num_events``; the schedulers and the optimizer are
        restored afterwards.

        Example::

            ConcatScheduler.simulate_values(num_events=100, schedulers=[s1, s2], durations=[30])
        """
        if param_names is not None:
            if not isinstance(param_names, (list, tuple)):
                raise TypeError(
                    f"Argument param_names should be list or tuple, but given {type(param_names)}"
                )
            if not all(isinstance(n, str) for n in param_names):
                raise ValueError(
                    f"Argument param_names should be list or tuple of strings, but given {param_names}"
                )
        optimizer = _single(_flat([s.optimizer for s in schedulers]), "optimizer")
        saved = [copy.deepcopy(s.state_dict()) for s in schedulers]
        opt_state = copy.deepcopy(optimizer.state_dict())
        try:
            scheduler = cls(schedulers=schedulers, save_history=False, durations=durations)
            names = list(param_names) if param_names is not None else [scheduler.param_name]
            output = []
            for i in range(num_events):
                scheduler(engine=None)
                row: list[Any] = [i]
                for pname in names:
                    row += [g[pname] for g in scheduler.optimizer_param_groups]
                output.append(row)
        finally:
            for s, sd in zip(schedulers, saved):
                s.load_state_dict(sd)
            optimizer.load_state_dict(opt_state)
        return output


def _flat(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for it in items:
        out.extend(it if isinstance(it, list) else [it])
    return out


def _single(items: list[Any], what: str) -> Any:
    unique: list[Any] = []
    for it in items:
        if not any(it is u or (isinstance(it, str) and it == u) for u in unique):
            unique.append(it)
    if len(unique) != 1:
        raise ValueError(f"schedulers should be related to same {what}")
    return unique[0]


class _CosineAnnealingWarmRestarts:
    """Adapter giving ``CosineAnnealingWarmRestarts`` a closed-form, step-free ``get_lr``."""

    def __init__(self, lr_scheduler: CosineAnnealingWarmRestarts):
        self._lr_scheduler = lr_scheduler

    @property
    def last_epoch(self) -> int:
        return self._lr_scheduler.last_epoch

    @last_epoch.setter
    def last_epoch(self, value: int) -> None:
        self._lr_scheduler.last_epoch = value

    @property
    def optimizer(self) -> Optimizer:
        return self._lr_scheduler.optimizer

    def state_dict(self) -> dict[str, Any]:
        return self._lr_scheduler.state_dict()

    def load_state_dict(self, state_dict: Mapping) -> None:
        self._lr_scheduler.load_state_dict(state_dict)

    def get_lr(self) -> list[float]:
        s = self._lr_scheduler
        if self.last_epoch < 0:
            epoch = 0
            s.T_i, s.T_cur = s.T_0, 0
        else:
            epoch = self.last_epoch + 1
            s.T_cur = s.T_cur + 1
            if s.T_cur >= s.T_i:
                s.T_cur = s.T_cur - s.T_i
                s.T_i = s.T_i * s.T_mult
        self.last_epoch = math.floor(epoch)
        return [
            s.eta_min + (base_lr - s.eta_min) * (1 + math.cos(math.pi * s.T_cur / s.T_i)) / 2
            for base_lr in s.base_lrs
        ]


class LRScheduler(ParamScheduler):
    """Use a ``torch.optim.lr_scheduler`` scheduler as a handler.

    Attach it to ``Events.ITERATION_STARTED`` (or ``EPOCH_STARTED``): the first event uses the
    optimizer's initial lr, then each event advances the torch scheduler by one step. With
    ``use_legacy=True`` attach it to ``Events.ITERATION_COMPLETED`` instead (the old behaviour).

    Args:
        lr_scheduler: the torch scheduler.
        save_history: record values in ``engine.state.param_history``.
        use_legacy: see above.

    Example::

        from torch.optim.lr_scheduler import StepLR
        from oxignite.handlers import LRScheduler
        scheduler = LRScheduler(StepLR(optimizer, step_size=3, gamma=0.1))
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
        # lr per iteration: 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, ...
    """

    def __init__(
        self, lr_scheduler: PyTorchLRScheduler, save_history: bool = False, use_legacy: bool = False
    ):
        if not isinstance(lr_scheduler, PyTorchLRScheduler):
            raise TypeError(
                "Argument lr_scheduler should be a subclass of "
                f"torch.optim.lr_scheduler.{PyTorchLRScheduler.__name__}, "
                f"but given {type(lr_scheduler)}"
            )
        self.lr_scheduler: Any = lr_scheduler
        if isinstance(lr_scheduler, CosineAnnealingWarmRestarts):
            self.lr_scheduler = _CosineAnnealingWarmRestarts(lr_scheduler)
        super().__init__(
            optimizer=self.lr_scheduler.optimizer, param_name="lr", save_history=save_history
        )
        if use_legacy:
            warnings.warn(
                "Please make sure to attach scheduler to Events.ITERATION_COMPLETED instead of "
                "Events.ITERATION_STARTED to make sure to use the first lr value from the "
                "optimizer, otherwise it will be skipped"
            )
            self.lr_scheduler.last_epoch += 1
        self._state_attrs += ["lr_scheduler"]

    def __call__(self, engine: Engine | None, name: str | None = None) -> None:
        super().__call__(engine, name)
        self.lr_scheduler.last_epoch += 1

    def get_param(self) -> float | list[float]:
        """The lr(s) the torch scheduler gives for its current ``last_epoch``."""
        self.lr_scheduler._get_lr_called_within_step = True
        try:
            lrs = self.lr_scheduler.get_lr()
        finally:
            self.lr_scheduler._get_lr_called_within_step = False
        return lrs[0] if len(lrs) == 1 else lrs

    @classmethod
    def simulate_values(  # type: ignore[override]
        cls, num_events: int, lr_scheduler: PyTorchLRScheduler, **kwargs: Any
    ) -> list[list[Any]]:
        """``[[i, lr_group0, ...], ...]``; the torch scheduler and optimizer are restored after.

        Example::

            LRScheduler.simulate_values(num_events=10, lr_scheduler=StepLR(opt, 3, 0.1))
        """
        if not isinstance(lr_scheduler, PyTorchLRScheduler):
            raise TypeError(
                "Argument lr_scheduler should be a subclass of "
                f"torch.optim.lr_scheduler.{PyTorchLRScheduler.__name__}, "
                f"but given {type(lr_scheduler)}"
            )
        sched_state = copy.deepcopy(lr_scheduler.state_dict())
        opt_state = copy.deepcopy(lr_scheduler.optimizer.state_dict())
        try:
            scheduler = cls(save_history=False, lr_scheduler=lr_scheduler, **kwargs)
            values = []
            for i in range(num_events):
                scheduler(engine=None)
                values.append([i] + [g["lr"] for g in scheduler.optimizer_param_groups])
        finally:
            lr_scheduler.load_state_dict(sched_state)
            lr_scheduler.optimizer.load_state_dict(opt_state)
        return values


def create_lr_scheduler_with_warmup(
    lr_scheduler: ParamScheduler | PyTorchLRScheduler,
    warmup_start_value: float,
    warmup_duration: int,
    warmup_end_value: float | None = None,
    save_history: bool = False,
    output_simulated_values: list | None = None,
) -> ConcatScheduler:
    """Prepend a linear warm-up of ``warmup_duration`` events to ``lr_scheduler``.

    The warm-up goes from ``warmup_start_value`` to ``warmup_end_value`` (default: the
    optimizer's lr). If the wrapped scheduler's first lr differs from ``warmup_end_value``, one
    extra event at that lr is inserted after the warm-up.

    Example::

        from torch.optim.lr_scheduler import ExponentialLR
        from oxignite.handlers import create_lr_scheduler_with_warmup
        scheduler = create_lr_scheduler_with_warmup(ExponentialLR(optimizer, gamma=0.98),
                                                    warmup_start_value=0.0, warmup_end_value=0.1,
                                                    warmup_duration=3)
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
        # lr: 0.0, 0.05, 0.1, 0.098, 0.09604, ...
    """
    if not isinstance(lr_scheduler, (ParamScheduler, PyTorchLRScheduler)):
        raise TypeError(
            "Argument lr_scheduler should be a subclass of "
            f"torch.optim.lr_scheduler.{PyTorchLRScheduler.__name__} or ParamScheduler, "
            f"but given {type(lr_scheduler)}"
        )
    if isinstance(warmup_duration, bool) or not isinstance(warmup_duration, numbers.Integral):
        raise TypeError(f"Argument warmup_duration should be integer, but given {warmup_duration}")
    if not warmup_duration > 1:
        raise ValueError(
            f"Argument warmup_duration should be at least 2 events, but given {warmup_duration}"
        )

    warmup_schedulers: list[ParamScheduler] = []
    milestones_values: list[tuple[int, float]] = []
    main_scheduler: Any = lr_scheduler
    for group_index, group in enumerate(lr_scheduler.optimizer.param_groups):
        end_value = group["lr"] if warmup_end_value is None else warmup_end_value
        milestones_values = [(0, warmup_start_value), (warmup_duration - 1, end_value)]
        if isinstance(lr_scheduler, PyTorchLRScheduler):
            init_lr = group["lr"]
            if init_lr != end_value:
                milestones_values.append((warmup_duration, init_lr))
        else:
            init_lr = lr_scheduler.get_param()
            if init_lr == end_value:
                if warmup_duration > 2:
                    d = (end_value - warmup_start_value) / (warmup_duration - 1)
                    milestones_values[-1] = (warmup_duration - 2, end_value - d)
                else:
                    milestones_values.pop(-1)
        warmup_schedulers.append(
            PiecewiseLinear(
                lr_scheduler.optimizer,
                param_name="lr",
                milestones_values=milestones_values,
                param_group_index=group_index,
                save_history=save_history,
            )
        )
    if isinstance(lr_scheduler, PyTorchLRScheduler):
        # The warm-up replaces the scheduler's first value: start it one step ahead.
        lr_scheduler.last_epoch += 1
        main_scheduler = LRScheduler(lr_scheduler, save_history=save_history)

    warmup = ParamGroupScheduler(warmup_schedulers, save_history=save_history)
    schedulers: list[Any] = [warmup, main_scheduler]
    durations = [milestones_values[-1][0] + 1]
    combined = ConcatScheduler(schedulers, durations=durations, save_history=save_history)

    if output_simulated_values is not None:
        if not isinstance(output_simulated_values, list):
            raise TypeError(
                "Argument output_simulated_values should be a list of None, e.g. `[None] * 100`, "
                f"but given {type(output_simulated_values)}."
            )
        n = len(output_simulated_values)
        result = ConcatScheduler.simulate_values(
            num_events=n, schedulers=schedulers, durations=durations
        )
        for i in range(n):
            output_simulated_values[i] = result[i]
    return combined


class _GroupReduceLROnPlateau(ReduceLROnPlateau):
    """``ReduceLROnPlateau`` that only reduces one param group when ``group_index`` is set."""

    def __init__(self, optimizer: Optimizer, group_index: int | None, **kwargs: Any):
        self.group_index = group_index
        super().__init__(optimizer, **kwargs)

    def _reduce_lr(self, epoch: Any = None) -> None:
        groups = list(enumerate(self.optimizer.param_groups))
        if self.group_index is not None:
            groups = [groups[self.group_index]]
        for i, group in groups:
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # ignite's state carries its own scheduler's bound `_reduce_lr`; installing it would
        # make this scheduler reduce the writer's optimizer, so the key is dropped.
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_reduce_lr"})


class ReduceLROnPlateauScheduler(ParamScheduler):
    """Reduce the lr when ``engine.state.metrics[metric_name]`` stops improving (wraps
    ``torch.optim.lr_scheduler.ReduceLROnPlateau``). Attach it to an evaluator.

    Args:
        optimizer: the optimizer.
        metric_name: metric watched in ``engine.state.metrics``.
        trainer: engine whose state receives ``param_history`` when ``save_history``.
        save_history: record values.
        param_group_index: only this param group.
        scheduler_kwargs: ``ReduceLROnPlateau`` arguments (``mode``, ``factor``, ``patience``...).

    Example::

        scheduler = ReduceLROnPlateauScheduler(optimizer, metric_name="accuracy", mode="max",
                                               factor=0.5, patience=1, trainer=trainer)
        evaluator.add_event_handler(Events.COMPLETED, scheduler)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        metric_name: str,
        trainer: Engine | None = None,
        save_history: bool = False,
        param_group_index: int | None = None,
        **scheduler_kwargs: Any,
    ):
        super().__init__(
            optimizer, "lr", save_history=save_history, param_group_index=param_group_index
        )
        self.metric_name = metric_name
        self.trainer = trainer
        kwargs = dict(scheduler_kwargs)
        if "min_lr" in kwargs and param_group_index is not None:
            min_lr = kwargs["min_lr"]
            if not isinstance(min_lr, float):
                raise TypeError(
                    "When param_group_index is given, min_lr should be a float, "
                    f"but given {type(min_lr)}"
                )
            per_group = [0.0] * len(optimizer.param_groups)
            per_group[param_group_index] = min_lr
            kwargs["min_lr"] = per_group
        if kwargs.pop("verbose", None):
            warnings.warn(
                "Found verbose=True in provided scheduler_kwargs. It would be set to False. "
                "Please use save_history instead."
            )
        self.scheduler = _GroupReduceLROnPlateau(optimizer, param_group_index, **kwargs)
        self._state_attrs += ["metric_name", "scheduler"]

    def __call__(self, engine: Engine, name: str | None = None) -> None:  # type: ignore[override]
        metrics = getattr(engine.state, "metrics", None)
        if metrics is None or self.metric_name not in metrics:
            raise ValueError(
                "Argument engine should have in its 'state', attribute 'metrics' which itself "
                f"has the metric {self.metric_name}."
            )
        self.scheduler.step(metrics[self.metric_name])
        super().__call__(self.trainer, name)

    def get_param(self) -> float | list[float]:
        lrs = [pg["lr"] for pg in self.optimizer_param_groups]
        return lrs[0] if len(lrs) == 1 else lrs

    @classmethod
    def simulate_values(  # type: ignore[override]
        cls, num_events: int, metric_values: list[float], init_lr: float, **scheduler_kwargs: Any
    ) -> list[list[Any]]:
        """``[[i, lr], ...]`` for the given sequence of metric values."""
        if len(metric_values) != num_events:
            raise ValueError(
                "Length of argument metric_values should be equal to num_events. "
                f"{len(metric_values)} != {num_events}"
            )
        for key in ("optimizer", "metric_name", "save_history"):
            scheduler_kwargs.pop(key, None)
        scheduler = cls(
            optimizer=_fake_optimizer(torch.optim.SGD, lr=init_lr),
            metric_name="metric",
            save_history=False,
            **scheduler_kwargs,
        )

        engine = SimpleNamespace(state=SimpleNamespace(metrics={}))
        values = []
        for i in range(num_events):
            engine.state.metrics = {"metric": metric_values[i]}
            scheduler(engine=engine)  # type: ignore[arg-type]
            values.append([i, scheduler.optimizer_param_groups[0]["lr"]])
        return values


def __getattr__(name: str) -> Any:
    # ignite's module path for BatchSizeScheduler; it lives in its own module, imported on
    # demand because that module imports this one.
    if name == "BatchSizeScheduler":
        from oxignite.handlers.batch_size_scheduler import BatchSizeScheduler

        return BatchSizeScheduler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
