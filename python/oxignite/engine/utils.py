"""Signature checks done once, when a callable is registered."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Optional

__all__ = ["_check_signature", "_signature_binds", "_to_hours_mins_secs"]


def _signature(fn: Callable) -> Optional[inspect.Signature]:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        # Some builtins have no introspectable signature: accept them as they are.
        return None


def _signature_binds(fn: Callable, *args: Any, **kwargs: Any) -> bool:
    """Whether ``fn(*args, **kwargs)`` would bind (without calling it)."""
    signature = _signature(fn)
    if signature is None:
        return True
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _check_signature(fn: Callable, fn_description: str, *args: Any, **kwargs: Any) -> None:
    """Raises ValueError, naming ``fn``, if it cannot be called with these arguments."""
    signature = _signature(fn)
    if signature is None:
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        fn_params = list(signature.parameters)
        passed_params = list(args) + list(kwargs)
        raise ValueError(
            f"Error adding {fn} '{fn_description}': "
            f"takes parameters {fn_params} but will be called with {passed_params}"
            f"({exc})."
        ) from None


def _to_hours_mins_secs(time_taken: float) -> tuple[int, int, float]:
    """Converts seconds to (hours, minutes, seconds)."""
    mins, secs = divmod(time_taken, 60)
    hours, mins = divmod(mins, 60)
    return round(hours), round(mins), secs
