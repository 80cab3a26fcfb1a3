"""oxignite.base (Serializable, ResettableHandler) against ignite.base, side by side."""

from __future__ import annotations

import re

import ignite.base as ig
import oxignite.base as ours
import pytest


def _subclass(base, req=(), opt=()):
    return type("Checked", (base,), {"_state_dict_all_req_keys": req, "_state_dict_one_of_opt_keys": opt})


def _outcome(base, req, opt, state):
    try:
        _subclass(base, req, opt)().load_state_dict(state)
    except (TypeError, ValueError) as e:
        # dict_keys reprs are the same; only the exception type and text matter.
        return type(e), str(e)
    return None


ENGINE_LIKE = (("epoch_length",), (("iteration", "epoch"), ("max_epochs", "max_iters")))


@pytest.mark.parametrize(
    ("req", "opt", "state"),
    [
        ((), (), {}),
        ((), (), "not a dict"),
        (("a", "b"), (), {"a": 1}),
        (("a",), (), {"a": 1, "extra": 2}),
        (*ENGINE_LIKE, {"epoch_length": 1, "iteration": 2, "max_iters": 3}),
        (*ENGINE_LIKE, {"epoch_length": 1, "iteration": 2, "epoch": 1, "max_epochs": 3}),
        (*ENGINE_LIKE, {"epoch_length": 1, "max_iters": 3}),
        (*ENGINE_LIKE, {"epoch_length": 1, "epoch": 1, "max_epochs": 3, "max_iters": 3}),
        (("a",), ((),), {"a": 1}),
        (("a",), ((), ("b",)), {"a": 1, "b": 2}),
        # A flat tuple of names is one group.
        ((), ("x", "y"), {"x": 1}),
        ((), ("x", "y"), {"x": 1, "y": 2}),
        ((), (("single",),), {}),
    ],
)
def test_load_state_dict_checks_like_ignite(req, opt, state):
    expected = _outcome(ig.Serializable, req, opt, state)
    got = _outcome(ours.Serializable, req, opt, state)
    assert got == expected


def test_error_messages_name_the_keys():
    checked = _subclass(ours.Serializable, ("a",), (("c", "d"),))()
    with pytest.raises(ValueError, match=r"Required state attribute 'a' is absent"):
        checked.load_state_dict({})
    with pytest.raises(ValueError, match=re.escape("exactly one of '('c', 'd')' keys")):
        checked.load_state_dict({"a": 1, "c": 1, "d": 2})
    with pytest.raises(ValueError, match="Empty group found in 'Checked._state_dict_one_of_opt_keys'"):
        _subclass(ours.Serializable, (), ((),))().load_state_dict({})


def test_state_dict_is_abstract():
    with pytest.raises(NotImplementedError):
        ours.Serializable().state_dict()


def test_resettable_handler_needs_reset_and_attach():
    class OnlyReset(ours.ResettableHandler):
        def reset(self):
            pass

    with pytest.raises(TypeError):
        OnlyReset()

    class Complete(OnlyReset):
        def attach(self, engine, *args, **kwargs):
            pass

    assert isinstance(Complete(), ours.ResettableHandler)


def test_metrics_are_serializable_and_module_path_matches_ignite():
    from oxignite.metrics import Accuracy

    assert isinstance(Accuracy(), ours.Serializable)
    assert ours.Serializable is ours.mixins.Serializable
    assert set(ours.__all__) == {"Serializable", "ResettableHandler"} == set(dir(ig)) & {
        "Serializable",
        "ResettableHandler",
    }
