"""The metrics' input helpers (rust/src/metric_inputs.rs: ``is_tensor_pair``,
``detached_pair``, ``on_device``) against their Python references (``oxignite._reference``,
what runs with the natives off), over generated outputs: tuples, lists, tuple subclasses and
others, of plain tensors, subclasses, Parameters, tensors in a graph, meta tensors and
non-tensors. Same result (the same objects where the reference returns its inputs, detached
copies of the same storage where it detaches) or the same error type.

The metrics built on them are compared with pytorch-ignite through engines in
tests/engine/test_natives_differential.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import oxignite._reference
import oxignite.natives
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oxignite._core import detached_pair, is_tensor_pair, on_device

# The same examples on every run (CI), no example database.
SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None)


class Sub(torch.Tensor):
    """A tensor subclass: read through ``__torch_function__``."""


class Pair(tuple):
    """A tuple subclass (a namedtuple, say): not the plain pair."""


def _tensor(kind: str, shape: tuple, dtype: torch.dtype, grad: bool) -> Any:
    t = torch.zeros(shape, dtype=dtype, device="meta" if kind == "meta" else "cpu")
    if kind == "sub":
        t = t.as_subclass(Sub)
    if kind == "parameter":
        return torch.nn.Parameter(t, requires_grad=grad)
    if grad:
        t.requires_grad_()
        if kind == "in_graph":
            t = t * 2  # not a leaf: has a grad_fn
    return t


tensors = st.builds(
    _tensor,
    kind=st.sampled_from(["plain", "sub", "parameter", "in_graph", "meta"]),
    shape=st.sampled_from([(), (2,), (2, 3)]),
    dtype=st.sampled_from([torch.float32, torch.float16, torch.float64]),
    grad=st.booleans(),
)
items = st.one_of(tensors, tensors, st.sampled_from([None, 1.0, 3, "y", (1.0,)]))
outputs = st.one_of(
    st.lists(items, min_size=0, max_size=3).flatmap(
        lambda xs: st.sampled_from([tuple(xs), list(xs), Pair(xs)])
    ),
    items,
    st.builds(lambda a, b: {"y_pred": a, "y": b}, items, items),
)
devices = st.sampled_from([torch.device("cpu"), torch.device("meta"), "cpu"])


def _describe(result: Any, inputs: tuple) -> Any:
    """``result`` with each tensor as which input it is (or a new tensor sharing which
    input's storage) and its type, grad, shape, dtype and device."""
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, tuple(_describe(r, inputs) for r in result))
    if not isinstance(result, torch.Tensor):
        return result
    same = next((i for i, x in enumerate(inputs) if x is result), None)
    shares = next(
        (
            i
            for i, x in enumerate(inputs)
            if isinstance(x, torch.Tensor)
            and x.device.type == "cpu"
            and result.device.type == "cpu"
            and x.data_ptr() == result.data_ptr()
        ),
        None,
    )
    return (
        type(result).__name__,
        same,
        shares,
        result.requires_grad,
        result.grad_fn is None,
        tuple(result.shape),
        result.dtype,
        result.device,
    )


@contextlib.contextmanager
def _natives(flag: bool) -> Iterator[None]:
    before = oxignite.natives.enabled()
    oxignite.natives.set_enabled(flag)
    try:
        yield
    finally:
        oxignite.natives.set_enabled(before)


def _both(call: Any, *args: Any) -> tuple:
    """``call(*args)`` with the natives on and off: each described, or its error type."""
    inputs = tuple(args[0]) if isinstance(args[0], (tuple, list)) else (args[0],)
    observed = []
    for flag in (True, False):
        with _natives(flag):
            try:
                observed.append(_describe(call(*args), inputs))
            except Exception as e:  # noqa: BLE001 - the same error type is the property
                observed.append(("error", type(e).__name__))
    return tuple(observed)


@SETTINGS
@given(outputs)
def test_is_tensor_pair_matches_its_reference(output: Any) -> None:
    native, reference = _both(is_tensor_pair, output)
    assert native == reference


@SETTINGS
@given(outputs)
def test_detached_pair_matches_its_reference(output: Any) -> None:
    native, reference = _both(detached_pair, output)
    assert native == reference


@SETTINGS
@given(tensors, devices)
def test_on_device_matches_its_reference(t: Any, device: Any) -> None:
    native, reference = _both(on_device, t, device)
    assert native == reference


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("is_tensor_pair", lambda: is_tensor_pair((torch.zeros(1), torch.zeros(1)))),
        ("detached_pair", lambda: detached_pair((torch.zeros(1), torch.zeros(1)))),
        ("on_device", lambda: on_device(torch.zeros(1), torch.device("cpu"))),
    ],
)
def test_off_the_helpers_run_their_references(monkeypatch, name, call) -> None:
    # Not vacuous: the "off" side above is the Python reference (looked up at each call).
    calls = []
    original = getattr(oxignite._reference, name)
    monkeypatch.setattr(oxignite._reference, name, lambda *a: calls.append(name) or original(*a))
    with _natives(True):
        call()
    assert calls == []
    with _natives(False):
        call()
    assert calls == [name]
