"""ignite's own documented examples (the ``testcode`` blocks of its docstrings) for the
state schedulers and BatchSizeScheduler, run with ``ignite`` changed to ``oxignite`` in their
imports: they print the output ignite documents."""

from __future__ import annotations

import contextlib
import doctest
import inspect
import io
import textwrap

import ignite.handlers as ig
import pytest

# The names the docs' shared setup (ignite's docs/source/defaults.rst) provides, built
# with oxignite.
PREAMBLE = """
import torch
from torch import nn, optim
from oxignite.engine import *
from oxignite.handlers import *
from oxignite.utils import *

def get_default_trainer():
    return Engine(lambda engine, batch: batch)

default_optimizer = torch.optim.SGD([torch.zeros([1], requires_grad=True)], lr=0.1)
manual_seed(666)
"""


def _blocks(doc: str, directive: str) -> list[str]:
    """The bodies of the ``.. <directive>::`` blocks of a docstring, dedented."""
    lines = doc.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.strip() != f".. {directive}::":
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for nxt in lines[i + 1 :]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            if not (body == [] and nxt.strip().startswith(":")):  # directive options
                body.append(nxt)
        found.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return found


def _examples():
    cases = []
    for name in (
        "LambdaStateScheduler",
        "PiecewiseLinearStateScheduler",
        "ExpStateScheduler",
        "StepStateScheduler",
        "MultiStepStateScheduler",
        "BatchSizeScheduler",
    ):
        doc = inspect.getdoc(getattr(ig, name))
        codes, outputs = _blocks(doc, "testcode"), _blocks(doc, "testoutput")
        for k, code in enumerate(codes):
            cases.append(
                pytest.param(code, outputs[k] if k < len(outputs) else None, id=f"{name}-{k}")
            )
    return cases


@pytest.mark.parametrize(("code", "expected"), _examples())
def test_ignite_doc_example_runs_with_oxignite(code, expected):
    namespace: dict = {}
    exec(PREAMBLE, namespace)  # noqa: S102 - running documented examples
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code.replace("ignite", "oxignite"), namespace)  # noqa: S102
    if expected is None:
        assert "default_trainer" in namespace  # ran to the end
        return
    checker = doctest.OutputChecker()
    assert checker.check_output(expected + "\n", out.getvalue(), doctest.ELLIPSIS), out.getvalue()


def test_the_examples_were_found():
    assert len(_examples()) >= 6
