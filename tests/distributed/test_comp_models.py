"""``oxignite.distributed.comp_models``: ignite's support flags under ignite's module paths,
re-exported from oxignite.distributed.comp (the same objects, ignite's values here)."""

from __future__ import annotations

import importlib

import oxignite.distributed as idist
import pytest


@pytest.mark.parametrize(
    ("module", "flag"),
    [
        ("", "has_native_dist_support"),
        ("", "has_xla_support"),
        ("", "has_hvd_support"),
        (".native", "has_native_dist_support"),
        (".xla", "has_xla_support"),
        (".horovod", "has_hvd_support"),
    ],
)
def test_flags_match_ignite_and_are_reexports(module, flag):
    ours = importlib.import_module(f"oxignite.distributed.comp_models{module}")
    ig = importlib.import_module(f"ignite.distributed.comp_models{module}")
    assert getattr(ours, flag) is getattr(idist, flag)
    if flag == "has_native_dist_support":
        assert getattr(ours, flag) == getattr(ig, flag)
    else:
        assert getattr(ours, flag) is False  # only torch.distributed is in scope
