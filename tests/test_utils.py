"""oxignite.utils against ignite.utils, side by side: same results, same files, same errors."""

from __future__ import annotations

import io
import logging
import random
import subprocess
import sys
import uuid
from collections import namedtuple

import ignite.utils as ig
import numpy as np
import pytest
import torch
from oxignite import utils as ours

Point = namedtuple("Point", ["x", "y"])


def _nested():
    return {
        "a": torch.ones(2),
        "b": [torch.zeros(1), (torch.arange(3), "text")],
        "p": Point(torch.tensor(1.0), b"raw"),
    }


def _same_tree(a, b):
    assert type(a) is type(b)
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.device == b.device and torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same_tree(a[k], b[k])
    elif isinstance(a, (list, tuple)) and not isinstance(a, (str, bytes)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same_tree(x, y)
    else:
        assert a == b


@pytest.mark.parametrize("device", [None, "cpu", torch.device("cpu")])
def test_convert_tensor_matches_ignite(device):
    _same_tree(ours.convert_tensor(_nested(), device), ig.convert_tensor(_nested(), device))
    t = torch.ones(3)
    assert ours.convert_tensor(t) is t  # no device: the very same tensor
    assert ours.convert_tensor("s", "cpu") == ig.convert_tensor("s", "cpu") == "s"


def test_apply_to_tensor_and_type_match_ignite():
    def double(x):
        return x * 2

    _same_tree(ours.apply_to_tensor(_nested(), double), ig.apply_to_tensor(_nested(), double))
    data = {"a": 1, "b": [2, (3, 4)], "c": "x"}
    assert ours.apply_to_type(data, int, double) == ig.apply_to_type(data, int, double)
    mixed = {"a": 1, "b": [2, (3, 4.5)]}
    assert ours.apply_to_type(mixed, (int, float), double) == ig.apply_to_type(
        mixed, (int, float), double
    )
    # Container types are kept (tuple stays tuple, namedtuple stays namedtuple).
    assert type(ours.apply_to_type((1, 2), int, double)) is tuple
    assert ours.apply_to_type(Point(1, 2), int, double) == Point(2, 4)


def test_apply_to_type_bad_leaf_same_error_as_ignite():
    with pytest.raises(TypeError) as ig_err:
        ig.apply_to_type({"a": object()}, torch.Tensor, lambda x: x)
    with pytest.raises(TypeError) as our_err:
        ours.apply_to_type({"a": object()}, torch.Tensor, lambda x: x)
    assert str(our_err.value) == str(ig_err.value)


@pytest.mark.parametrize(
    ("indices", "num_classes"),
    [
        (torch.tensor([0, 2, 1, 3]), 4),
        (torch.randint(0, 5, (3, 4, 2)), 5),
        (torch.tensor([[1], [0]]), 2),
    ],
)
def test_to_onehot_matches_ignite(indices, num_classes):
    _same_tree(ours.to_onehot(indices, num_classes), ig.to_onehot(indices, num_classes))


def test_manual_seed_gives_ignites_random_streams():
    def draws():
        return (random.random(), torch.rand(3).tolist(), np.random.rand(2).tolist())

    ig.manual_seed(17)
    expected = draws()
    ours.manual_seed(17)
    assert draws() == expected


def _log_lines(setup, **kwargs):
    stream = io.StringIO()
    name = f"h2-{uuid.uuid4().hex}"
    logger = setup(name=name, stream=stream, format="%(name)s|%(levelname)s|%(message)s", **kwargs)
    logger.debug("debug")
    logger.info("info")
    logger.warning("warn")
    lines = [line.replace(name, "NAME") for line in stream.getvalue().splitlines()]
    return lines, logger.propagate, logger.level, [type(h) for h in logger.handlers]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"level": logging.DEBUG}, {"level": logging.WARNING}, {"distributed_rank": 1}],
)
def test_setup_logger_matches_ignite(kwargs):
    assert _log_lines(ours.setup_logger, **kwargs) == _log_lines(ig.setup_logger, **kwargs)


def test_setup_logger_keeps_or_resets_existing_logger_like_ignite(tmp_path):
    results = []
    for setup in (ig.setup_logger, ours.setup_logger):
        name, stream = f"h2-{uuid.uuid4().hex}", io.StringIO()
        logfile = tmp_path / f"{setup.__module__}.log"
        logger = setup(name=name, stream=stream, format="1 %(message)s", filepath=str(logfile))
        logger.info("first")
        setup(name=name, stream=stream, format="ignored %(message)s")  # kept as it is
        logger.info("second")
        setup(name=name, stream=stream, format="2 %(message)s", reset=True)
        logger.info("third é")
        results.append((stream.getvalue(), logfile.read_text(encoding="utf-8")))
    assert results[0] == results[1]
    assert results[1][0] == "1 first\n1 second\n2 third é\n"


def test_hash_checkpoint_same_file_and_hash_as_ignite(tmp_path):
    outputs = []
    for impl, sub in ((ig, "ig"), (ours, "ours")):
        (tmp_path / sub).mkdir()
        src = tmp_path / sub / "model.pt"
        torch.save({"w": torch.arange(10.0)}, src)
        path, sha = impl.hash_checkpoint(str(src), str(tmp_path / sub / "out"))
        assert not src.exists() and path.exists()
        outputs.append((path.relative_to(tmp_path / sub), path.read_bytes(), sha))
    assert outputs[0] == outputs[1]
    with pytest.raises(FileNotFoundError, match="nope.pt does not exist"):
        ours.hash_checkpoint(tmp_path / "nope.pt", tmp_path)


def test_deprecated_decorator_like_ignite():
    def old(x):
        """Old function."""
        return x + 1

    for impl in (ig, ours):
        wrapped = impl.deprecated("0.4.2", "0.6.0", ("use new",))(old)
        with pytest.warns(DeprecationWarning, match="deprecated since version 0.4.2"):
            assert wrapped(1) == 2
        raising = impl.deprecated("0.4.2", raise_exception=True)(old)
        with pytest.raises(DeprecationWarning):
            raising(1)
    ig_doc = ig.deprecated("1.0", "2.0", ("a", "b"))(old).__doc__
    assert ours.deprecated("1.0", "2.0", ("a", "b"))(old).__doc__ == ig_doc


@pytest.mark.parametrize(
    "data",
    [
        1.5,
        7,
        {"loss": 0.25, "acc": torch.tensor(0.5), "vec": torch.arange(3.0)},
        [torch.arange(12.0), torch.ones(2, 2), None, []],
        {"empty": [], "none": None, "nested": {"a": 1}},
        (torch.tensor(2.0), 3),
    ],
)
def test_to_str_list_matches_ignite(data):
    assert ours._to_str_list(data) == ig._to_str_list(data)


def test_public_names_are_ignites():
    public = {n for n in dir(ig) if not n.startswith("_") and callable(getattr(ig, n))}
    public -= {"Any", "Callable", "Path", "TextIO", "TypeVar", "cast"}  # typing imports
    assert public <= set(dir(ours)), public - set(dir(ours))
    assert set(ours.__all__) == set(ig.__all__)


def test_to_onehot_compiles_with_torchscript_like_ignite():
    x = torch.tensor([0, 1, 2, 3])
    scripted = torch.jit.script(ours.to_onehot)
    assert scripted(x, 4).equal(ig.to_onehot(x, 4))

    class OneHotLinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, x):
            return self.linear(ours.to_onehot(x, 4).to(torch.float))

    eager = OneHotLinear()
    assert torch.jit.script(eager)(x).allclose(eager(x))


def test_utils_and_base_import_without_torch():
    # to_onehot lives in a torch module loaded on first access; the rest stays torch-free.
    code = (
        "import sys, oxignite.utils as u, oxignite.base\n"
        "assert 'to_onehot' in dir(u) and 'torch' not in sys.modules\n"
        "u.to_onehot\n"
        "assert 'torch' in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_old_private_module_path_like_ignite():
    import ignite._utils as ig_old
    import oxignite._utils as ours_old

    assert set(ours_old.__all__) == set(ig_old.__all__)
    assert ours_old.to_onehot is ours.to_onehot
    assert ours_old.convert_tensor is ours.convert_tensor


def _keyed(value, key=None):
    return (key, value * 2) if isinstance(value, (int, torch.Tensor)) else (key, value)


@pytest.mark.parametrize(
    "data",
    [
        5,
        {"a": 1, "b": [2, 3]},
        [{"x": torch.ones(2)}, (4, 5)],
        Point(1, [2, {"c": 3}]),
        {"nested": {"deeper": [1, None]}},
    ],
)
def test_tree_map_matches_ignite(data):
    ours_out = ours._tree_map(_keyed, data)
    ig_out = ig._tree_map(_keyed, data)
    assert repr(ours_out) == repr(ig_out)


def test_tree_map_treats_strings_as_leaves():
    # ignite would recurse into a string character by character without end.
    assert ours._tree_map(_keyed, {"s": "text"}) == {"s": ("s", "text")}
