"""EpochMetric's native store (``_core.store_pair``): the common batch is checked and copied by
the core, through ``update``, ``iteration_completed`` and an engine's dispatch; every other
batch takes the Python path, with ignite's results and errors."""

from __future__ import annotations

import pytest
import torch
from _side_by_side import assert_matches_ignite, ignite_metrics
from oxignite._core import store_pair
from oxignite.engine import Engine
from oxignite.metrics import EpochMetric


def _concat(y_pred, y):
    # The stored data itself, so any difference in what was kept shows.
    return torch.cat([y_pred.double().flatten(), y.double().flatten()])


def _batches(shape, n=6, dtype=torch.int64):
    g = torch.Generator().manual_seed(3)
    return [
        (torch.rand(*shape, generator=g), torch.randint(0, 2, shape, generator=g).to(dtype))
        for _ in range(n)
    ]


@pytest.mark.parametrize("shape", [(4,), (4, 3), (4, 1)], ids=["N", "NC", "N1"])
def test_many_batches_store_what_ignite_stores(shape):
    batches = _batches(shape)
    ours, theirs = EpochMetric(_concat), ignite_metrics.EpochMetric(_concat)
    for batch in batches:
        ours.update(batch)
        theirs.update(batch)
    assert len(ours._predictions) == len(batches)
    for a, b in zip(ours._predictions + ours._targets, theirs._predictions + theirs._targets):
        assert a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
    assert torch.equal(ours.compute(), theirs.compute())
    assert_matches_ignite(lambda m: m.EpochMetric(_concat), batches)


@pytest.mark.parametrize("shape", [(4,), (4, 3), (4, 1)], ids=["N", "NC", "N1"])
def test_engine_dispatch_stores_without_a_python_call(monkeypatch, shape):
    calls = {"iteration_completed": 0, "update": 0}

    def counting(name):
        method = getattr(EpochMetric, name)

        def wrapper(self, *args):
            calls[name] += 1
            return method(self, *args)

        return wrapper

    # Patched on the class itself, so the metric still counts as not overridden.
    for name in calls:
        monkeypatch.setattr(EpochMetric, name, counting(name))
    batches = _batches(shape, n=8)
    evaluator = Engine(lambda engine, batch: batch)
    metric = EpochMetric(_concat)
    metric.attach(evaluator, "stored")
    value = evaluator.run(batches).metrics["stored"]
    # The first batch (which also tries compute_fn) goes through Python, the rest do not.
    assert calls == {"iteration_completed": 1, "update": 1}
    assert len(metric._predictions) == 8
    theirs = ignite_metrics.EpochMetric(_concat)
    for batch in batches:
        theirs.update(batch)
    assert torch.equal(value, theirs.compute())


def test_overrides_and_output_transforms_are_called_every_batch():
    seen = []

    class Scaled(EpochMetric):
        def update(self, output):
            seen.append("update")
            super().update((output[0] * 2, output[1]))

    batches = _batches((4,), n=4)
    evaluator = Engine(lambda engine, batch: batch)
    Scaled(_concat).attach(evaluator, "scaled")
    EpochMetric(_concat, output_transform=lambda o: seen.append("transform") or o).attach(
        evaluator, "transformed"
    )
    state = evaluator.run(batches)
    assert seen.count("update") == 4 and seen.count("transform") == 4
    expected = _concat(torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]))
    assert torch.equal(state.metrics["transformed"], expected)
    doubled = _concat(torch.cat([b[0] * 2 for b in batches]), torch.cat([b[1] for b in batches]))
    assert torch.equal(state.metrics["scaled"], doubled)


def test_stored_batches_are_copies():
    y_pred, y = torch.rand(4), torch.randint(0, 2, (4,))
    metric = EpochMetric(_concat)
    expected = []
    for _ in range(3):  # the caller refills the same buffers for every batch
        y_pred.uniform_()
        y.random_(0, 2)
        metric.update((y_pred, y))
        expected.append((y_pred.clone(), y.clone()))
    y_pred.zero_()
    for (p, t), (stored_p, stored_t) in zip(expected, zip(metric._predictions, metric._targets)):
        assert torch.equal(p, stored_p) and torch.equal(t, stored_t)
        assert stored_p.data_ptr() != y_pred.data_ptr()


def test_a_bad_second_batch_raises_ignites_error_and_stores_nothing():
    for module in (ignite_metrics, __import__("oxignite.metrics", fromlist=["x"])):
        metric = module.EpochMetric(_concat)
        metric.update((torch.rand(3), torch.randint(0, 2, (3,))))
        metric.update((torch.rand(3), torch.randint(0, 2, (3,))))
        # y_pred would be stored on its own; y's dtype is wrong: neither may be kept.
        with pytest.raises(ValueError, match="Incoherent types between input y and"):
            metric.update((torch.rand(3), torch.rand(3)))
        with pytest.raises(ValueError, match="Incoherent types between input y_pred"):
            metric.update((torch.rand(3).double(), torch.randint(0, 2, (3,))))
        with pytest.raises(ValueError, match="Targets should be of shape"):
            metric.update((torch.rand(3), torch.randint(0, 2, (3, 1, 1))))
        assert len(metric._predictions) == len(metric._targets) == 2


def test_later_batches_in_a_graph_are_stored_detached():
    metric = EpochMetric(_concat)
    metric.update((torch.rand(3), torch.rand(3)))
    weight = torch.rand(3, requires_grad=True)
    with torch.enable_grad():
        metric.update((weight * 2, torch.rand(3)))
    assert not metric._predictions[1].requires_grad
    assert torch.equal(metric._predictions[1], (weight * 2).detach())


def test_store_pair_declines_anything_but_the_common_batch():
    metric = EpochMetric(_concat)
    pair = (torch.rand(3), torch.rand(3))
    assert not store_pair(metric, pair)  # the first batch is Python's
    metric.update(pair)
    metric._result = "cached"
    declined = [
        [pair[0], pair[1]],  # a list: unrolled or checked by Python
        (pair[0],),
        (pair[0], pair[1], pair[1]),
        (1.0, pair[1]),
        (torch.rand(3, 2, 2), pair[1]),
        (pair[0], torch.rand(3).double()),
        (torch.rand(3, requires_grad=True), pair[1]),
    ]
    for output in declined:
        assert not store_pair(metric, output)
    assert len(metric._predictions) == 1 and metric._result == "cached"
    assert store_pair(metric, pair)
    assert len(metric._predictions) == 2 and metric._result is None
    # A trailing dimension of size 1 is squeezed, as ignite's update does.
    column = torch.rand(3, 1)
    assert store_pair(metric, (column, pair[1]))
    assert metric._predictions[-1].shape == (3,)
    assert torch.equal(metric._predictions[-1], column.squeeze(-1))
    assert metric._predictions[-1].data_ptr() != column.data_ptr()


@pytest.mark.parametrize("lib", ["oxignite", "ignite"])
def test_later_batches_are_checked_against_what_is_stored_now(lib):
    # The core remembers the last copies' dtypes; once the lists change under it (a loaded
    # state, a reset), a batch is checked against what is stored now, as ignite does.
    module = ignite_metrics if lib == "ignite" else __import__("oxignite.metrics", fromlist=["x"])
    floats = (torch.rand(3), torch.rand(3))
    doubles = (torch.rand(3).double(), torch.rand(3).double())
    metric, other = module.EpochMetric(_concat), module.EpochMetric(_concat)
    for _ in range(2):
        metric.update(floats)
        other.update(doubles)
    metric.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="Incoherent types between input y_pred"):
        metric.update(floats)
    metric.update(doubles)
    assert len(metric._predictions) == 3
    metric.reset()
    metric.update(floats)
    metric.update(floats)
    with pytest.raises(ValueError, match="Incoherent types between input y_pred"):
        metric.update(doubles)
    assert [t.dtype for t in metric._predictions] == [torch.float32] * 2


class _TensorSubclass(torch.Tensor):
    pass


def test_tensor_subclasses_take_the_python_path():
    # The core reads attributes straight from torch.Tensor's getters, which a subclass may
    # override: its batches (or stored copies) are left to Python, with ignite's results.
    first = (torch.rand(3), torch.rand(3))
    sub = (torch.rand(3).as_subclass(_TensorSubclass), torch.rand(3))
    metric, theirs = EpochMetric(_concat), ignite_metrics.EpochMetric(_concat)
    for m in (metric, theirs):
        m.update(first)
    assert not store_pair(metric, sub)
    for m in (metric, theirs):
        m.update(sub)
    assert not store_pair(metric, first)  # the last stored copy is a subclass now
    for m in (metric, theirs):
        m.update(first)
    assert torch.equal(metric.compute(), theirs.compute())
    assert [type(t) for t in metric._predictions] == [type(t) for t in theirs._predictions]


def test_torch_function_modes_see_the_cores_attribute_reads():
    # torch's getters make their own torch-function checks: reading them directly from the
    # core must not bypass an active mode.
    from torch.overrides import TorchFunctionMode

    class Reads(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.names = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            # An attribute read arrives as its descriptor's __get__.
            owner = getattr(func, "__self__", func)
            self.names.append(getattr(owner, "__name__", str(owner)))
            return func(*args, **(kwargs or {}))

    metric = EpochMetric(_concat)
    pair = (torch.rand(3), torch.rand(3))
    metric.update(pair)
    with Reads() as reads:
        assert store_pair(metric, pair)
    assert {"requires_grad", "is_cpu", "dtype", "ndim", "clone"} <= set(reads.names)
    assert len(metric._predictions) == 2
