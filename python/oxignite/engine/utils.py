"""Signature checks done once, when a callable is registered."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import FunctionType, MethodType
from typing import Any

__all__ = ["_check_signature", "_signature_binds", "_to_hours_mins_secs"]


def _signature(fn: Callable) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        # Some builtins have no introspectable signature: accept them as they are.
        return None


def _positional_binds_fast(fn: Callable, nargs: int) -> bool | None:
    """Whether a plain Python function takes ``nargs`` positional arguments, read from its
    code object (``inspect.signature`` costs microseconds). None when it cannot tell."""
    if isinstance(fn, MethodType):
        fn, nargs = fn.__func__, nargs + 1
    if type(fn) is not FunctionType or hasattr(fn, "__wrapped__") or hasattr(fn, "__signature__"):
        return None
    code = fn.__code__
    if code.co_kwonlyargcount > len(fn.__kwdefaults__ or ()):
        return None  # a required keyword-only argument: let inspect explain
    accepts_varargs = bool(code.co_flags & inspect.CO_VARARGS)
    required = code.co_argcount - len(fn.__defaults__ or ())
    return required <= nargs and (nargs <= code.co_argcount or accepts_varargs)


def _signature_binds(fn: Callable, *args: Any, **kwargs: Any) -> bool:
    """Whether ``fn(*args, **kwargs)`` would bind (without calling it)."""
    if not kwargs:
        fast = _positional_binds_fast(fn, len(args))
        if fast is not None:
            return fast
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
    if not kwargs and _positional_binds_fast(fn, len(args)):
        return
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
