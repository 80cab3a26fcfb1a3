"""``Serializable`` (the ``state_dict`` / ``load_state_dict`` protocol with key checks) and
``ResettableHandler`` (handlers whose state can be cleared), as in ``ignite.base.mixins``.

A subclass lists the keys its state dict must hold in ``_state_dict_all_req_keys``, and
groups of keys of which exactly one must be present in ``_state_dict_one_of_opt_keys``
(for example an engine's ``("iteration", "epoch")``). ``load_state_dict`` here only
validates; subclasses call it first and then restore their state.

Example::

    class Counter(Serializable):
        _state_dict_all_req_keys = ("count",)
        _state_dict_one_of_opt_keys = (("epoch", "iteration"),)

    Counter().load_state_dict({"count": 1, "epoch": 2})      # ok
    Counter().load_state_dict({"count": 1})                  # ValueError: exactly one of ...
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oxignite.engine import Engine

__all__ = ["ResettableHandler", "Serializable"]


class ResettableHandler(metaclass=ABCMeta):
    """Interface of a handler that can be attached to an engine and whose accumulated
    state ``reset`` clears (for example at the start of a new run)."""

    @abstractmethod
    def reset(self) -> None:
        """Clear the handler's internal state."""

    @abstractmethod
    def attach(self, engine: Engine, *args: Any, **kwargs: Any) -> None:
        """Register the handler on ``engine``."""


class Serializable:
    """Base of objects saved and restored through ``state_dict`` / ``load_state_dict``."""

    _state_dict_all_req_keys: tuple[str, ...] = ()
    _state_dict_one_of_opt_keys: tuple[tuple[str, ...], ...] = ()

    def state_dict(self) -> OrderedDict:
        raise NotImplementedError

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Check that ``state_dict`` is a mapping holding every required key and exactly one
        key of each one-of group; raises TypeError / ValueError otherwise."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument state_dict should be a dictionary, but given {type(state_dict)}"
            )
        for key in self._state_dict_all_req_keys:
            if key not in state_dict:
                raise ValueError(
                    f"Required state attribute '{key}' is absent in provided state_dict "
                    f"'{state_dict.keys()}'"
                )
        for group in self._one_of_groups():
            if not group:
                raise ValueError(
                    f"Empty group found in '{type(self).__name__}._state_dict_one_of_opt_keys'. "
                    "Each group must contain at least one state attribute key."
                )
            if sum(key in state_dict for key in group) != 1:
                raise ValueError(f"state_dict should contain exactly one of '{group}' keys")

    def _one_of_groups(self) -> tuple[tuple[str, ...], ...]:
        groups: Any = self._state_dict_one_of_opt_keys
        # A flat tuple of names (the pre-0.5.4 form) is a single group.
        if groups and isinstance(groups[0], str):
            return (groups,)
        return groups
