"""Imports stay light (no torch); doctests run; the public API matches ignite's."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest
from _parity import IG, OX


@pytest.mark.parametrize(
    "code",
    [
        "import oxignite",
        "import oxignite.engine",
        (
            "from oxignite.engine import Engine, Events, State, EventEnum, "
            "CallableEventWithFilter, EventsList, RemovableEventHandle"
        ),
        "from oxignite import Engine, Events, State",
        # running an engine does not import torch either
        (
            "from oxignite.engine import Engine, Events\n"
            "e = Engine(lambda e, b: b)\n"
            "e.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda: None)\n"
            "assert e.run([1, 2, 3], max_epochs=2).iteration == 6"
        ),
    ],
)
def test_import_does_not_import_torch(code):
    check = (
        "\nimport sys\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'ignite') if m in sys.modules)\n"
        "assert 'torch' not in sys.modules, heavy\n"
        "assert 'ignite' not in sys.modules, heavy\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code + check], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


MODULES = [
    "oxignite.engine",
    "oxignite.engine.engine",
    "oxignite.engine.events",
    "oxignite.engine.utils",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_engine_module_has_doctests():
    finder = doctest.DocTestFinder()
    total = sum(len(t.examples) for name in MODULES
                for t in finder.find(importlib.import_module(name)))
    assert total >= 20


def test_events_match_ignite():
    names = [(e.name, e.value) for e in OX.Events]
    assert ("ITERATION_COMPLETED", "iteration_completed") in names
    if IG is not None:
        assert names == [(e.name, e.value) for e in IG.Events]
        # (ignite adds registered custom events to this class-level dict: compare built-ins)
        for ours, theirs in zip(OX.Events, IG.Events):
            assert OX.State.event_to_attr.get(ours) == IG.State.event_to_attr.get(theirs)


PUBLIC_CLASSES = ["Engine", "State", "Events", "EventsList", "RemovableEventHandle", "EventEnum",
                  "CallableEventWithFilter"]


@pytest.mark.skipif(IG is None, reason="needs pytorch-ignite")
@pytest.mark.parametrize("cls", PUBLIC_CLASSES)
def test_public_api_of_ignite_classes_exists(cls):
    import ignite.engine as ig
    import oxignite.engine as ox

    theirs, ours = getattr(ig, cls), getattr(ox, cls)
    public = [n for n in dir(theirs) if not n.startswith("_") and n not in ("name", "value")]
    missing = [n for n in public if not hasattr(ours, n)]
    assert not missing, f"oxignite.engine.{cls} lacks {missing}"


@pytest.mark.skipif(IG is None, reason="needs pytorch-ignite")
def test_engine_private_api_used_by_handlers_exists():
    engine = OX.Engine(lambda e, b: None)
    for name in ("_fire_event", "_event_handlers", "_allowed_events", "_process_function",
                 "_is_done", "_assert_allowed_event", "_state_dict_user_keys",
                 "_state_dict_all_req_keys", "_state_dict_one_of_opt_keys", "_get_data_length",
                 "_check_and_set_max_epochs", "_check_and_set_max_iters", "logger"):
        assert hasattr(engine, name), name
    state = OX.State(iteration=4, epoch=1, epoch_length=4, max_epochs=1)
    assert OX.Engine._is_done(state)
    assert not OX.Engine._is_done(OX.State(iteration=3, epoch=0, epoch_length=4, max_epochs=1))
