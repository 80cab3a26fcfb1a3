"""Shared pieces of the differential tests of the core's natives (test_natives_differential.py).

A scenario is plain data (hypothesis draws it): a sequence of ``Step``s, each describing what
the process function returns at one iteration. ``Outputs`` replays it, building new tensor
objects for every run, so that the same scenario runs unchanged on three *legs*: pytorch-ignite
0.5.5 (the spec), oxignite with its natives on, and oxignite with them off (the Python
reference path). A leg's observations are made comparable with ``plain``.
"""

from __future__ import annotations

import contextlib
import math
import os
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ignite = pytest.importorskip("ignite")

try:
    import oxignite.natives as ox_natives
except ImportError:  # before the natives switch: no "off" leg
    ox_natives = None

# CI runs the same examples every time (derandomized, no example database); set
# HYPOTHESIS_PROFILE=explore to search ten times as many on a random seed.
EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
PROFILE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not EXPLORE,
    database=None,
)


def examples(n: int) -> int:
    """A property's example count: ``n`` in CI, ten times as many when exploring."""
    return 10 * n if EXPLORE else n


# The natives switch (``oxignite.natives.set_enabled``): the "off" leg needs it.
HAS_SWITCH = hasattr(ox_natives, "disabled")
LEGS = ("ignite", "on", "off") if HAS_SWITCH else ("ignite", "on")


def lib(leg: str) -> types.SimpleNamespace:
    """The engine, handlers and metrics of one leg's package."""
    if leg == "ignite":
        from ignite import engine, handlers, metrics
    else:
        from oxignite import engine, handlers, metrics
    return types.SimpleNamespace(
        name=leg,
        Engine=engine.Engine,
        Events=engine.Events,
        ProgressBar=handlers.ProgressBar,
        TerminateOnNan=handlers.TerminateOnNan,
        Timer=handlers.Timer,
        metrics=metrics,
    )


@contextlib.contextmanager
def natives(leg: str) -> Iterator[None]:
    """Runs the body with oxignite's natives on for the "on" leg (even under
    OXIGNITE_NATIVES=0) and off for the "off" leg."""
    if leg == "ignite" or not HAS_SWITCH:
        yield
        return
    before = ox_natives.enabled()
    ox_natives.set_enabled(leg == "on")
    try:
        yield
    finally:
        ox_natives.set_enabled(before)


class Sub(torch.Tensor):
    """A tensor subclass (its methods go through ``__torch_function__``)."""


DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int32": torch.int32,
    "int64": torch.int64,
}
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

# Writes into the tensor returned last. The first two bump its ``_version``; the others
# (through ``.data`` or a NumPy view, as extension kernels write) do not.
BUMPING_WRITES = ("copy_", "setitem")
SILENT_WRITES = ("data_copy", "data_setitem", "numpy")


@dataclass(frozen=True)
class Step:
    """One iteration's output. ``op``: ``"number"`` (a Python number), ``"fresh"`` (a new
    tensor), a write into the tensor returned last (see ``BUMPING_WRITES`` /
    ``SILENT_WRITES``), or ``"same"`` (that tensor again, unchanged)."""

    op: str
    values: tuple
    dtype: str = "float32"
    sub: bool = False
    grad: bool = False


def tensor_of(values: tuple, dtype: torch.dtype, shape: tuple) -> torch.Tensor:
    """``values`` as a tensor of ``dtype`` and ``shape``; non-finite values become 0 and
    others saturate in integer dtypes."""
    if dtype.is_floating_point:
        t = torch.tensor(values, dtype=torch.float64).to(dtype)
    else:
        info = torch.iinfo(dtype)
        ints = [min(max(int(v), info.min), info.max) if math.isfinite(v) else 0 for v in values]
        t = torch.tensor(ints, dtype=dtype)
    return t.reshape(shape)


def write(t: torch.Tensor, new: torch.Tensor, op: str) -> None:
    """Writes ``new`` into ``t`` the way ``op`` says."""
    if op == "copy_":
        with torch.no_grad():
            t.copy_(new)
    elif op == "setitem":
        with torch.no_grad():
            t[...] = new
    elif op == "data_copy":
        t.data.copy_(new)
    elif op == "data_setitem":
        t.data[...] = new
    elif op == "numpy":
        # NumPy has no bfloat16: its bits are written through an int16 view.
        view = t.detach()
        if view.dtype is torch.bfloat16:
            view, new = view.view(torch.int16), new.view(torch.int16)
        view.numpy()[...] = new.numpy()
    elif op != "same":
        raise AssertionError(op)


class Outputs:
    """Replays a sequence of steps as one tensor stream: ``next(step, shape)`` returns the
    step's output, reusing the tensor returned last for writes and ``"same"``."""

    def __init__(self) -> None:
        self.last: Any = None

    def next(self, step: Step, shape: tuple) -> Any:
        if step.op == "number":
            v = step.values[0]
            self.last = int(v) if step.dtype.startswith("int") and math.isfinite(v) else v
            return self.last
        last = self.last
        if step.op == "fresh" or not isinstance(last, torch.Tensor):
            t = tensor_of(step.values, DTYPES[step.dtype], shape)
            if step.sub:
                t = t.as_subclass(Sub)
            if step.grad and t.dtype.is_floating_point:
                t.requires_grad_()
            self.last = t
            return t
        write(last, tensor_of(step.values, last.dtype, shape), step.op)
        return last


# -- strategies ----------------------------------------------------------------------------

NASTY = (0.0, -0.0, 1.0, 2.0, -3.5, 0.1, 1e-8, 65504.0, 1e5, 3e38, 1e300, -1e300)
NON_FINITE = (math.nan, math.inf, -math.inf)
# Python numbers stay within float32's and int64's range: ignite checks a number as
# ``torch.tensor(x)``, which makes 1e300 infinite and fails on larger ints
# (test_natives_differential.py: test_terminate_on_nan_python_numbers_beyond_float32).
NUMBERS = tuple(v for v in NASTY if abs(v) < 1e18)


def values(n: int, non_finite: bool = True, pool: tuple = NASTY) -> st.SearchStrategy[tuple]:
    """``n`` numbers: small ones, boundary and huge ones, and (optionally) NaN and ±inf."""
    pool = pool + (NON_FINITE if non_finite else ())
    one = st.one_of(
        st.sampled_from(pool), st.floats(-100, 100, allow_nan=False, width=32).map(float)
    )
    return st.tuples(*[one] * n)


ANY_DTYPE = st.sampled_from(tuple(DTYPES))


def steps(
    shape: tuple,
    dtype: st.SearchStrategy[str] = ANY_DTYPE,
    numbers: bool = True,
    non_finite: bool = True,
) -> st.SearchStrategy[Step]:
    """One step of a tensor stream of ``shape`` (Python numbers only in 0-d streams)."""
    tensor_steps = st.builds(
        Step,
        op=st.sampled_from(["fresh", *BUMPING_WRITES, *SILENT_WRITES, "same"]),
        values=values(math.prod(shape), non_finite),
        dtype=dtype,
        sub=st.booleans(),
        grad=st.booleans(),
    )
    if not (numbers and shape == ()):
        return tensor_steps
    number_steps = st.builds(
        Step, op=st.just("number"), values=values(1, non_finite, NUMBERS), dtype=dtype
    )
    return st.one_of(tensor_steps, number_steps)


# -- comparing observations ------------------------------------------------------------------


def plain(x: Any) -> Any:
    """``x`` as nested tuples of exact reprs (NaN equals NaN; -0.0 differs from 0.0), with
    each tensor's type, dtype and shape."""
    if isinstance(x, torch.Tensor):
        flat = x.detach().reshape(-1).tolist()
        return (type(x).__name__, str(x.dtype), tuple(x.shape), tuple(map(repr, flat)))
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return tuple(plain(v) for v in x)
    return x


def snapshot(x: Any) -> Any:
    """A copy of ``x`` that later in-place writes into its tensors do not change."""
    if isinstance(x, torch.Tensor):
        return x.detach().clone()
    if isinstance(x, dict):
        return {k: snapshot(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(snapshot(v) for v in x) if type(x) in (list, tuple) else x
    return x


def assert_legs_equal(observed: dict) -> None:
    """Every leg's observations equal the ignite leg's, item by item (the first differing
    item is reported)."""
    reference = observed["ignite"]
    for leg, obs in observed.items():
        for key in reference:
            assert obs[key] == reference[key], f"{leg} vs ignite differ in {key}"
