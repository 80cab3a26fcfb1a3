"""The Metric base class: engine callbacks, usages, attach/detach, outputs, state dict."""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace

import ignite.metrics.regression  # noqa: F401 - loads ignite_metrics.regression
import oxignite.metrics as ours
import oxignite.metrics.regression  # noqa: F401 - loads ours.regression
import pytest
import torch
from _side_by_side import ignite_metrics
from oxignite.exceptions import NotComputableError
from oxignite.metrics import (
    Accuracy,
    BatchFiltered,
    BatchWise,
    CosineSimilarity,
    EpochWise,
    Metric,
    RunningBatchWise,
    RunningEpochWise,
    SingleEpochRunningBatchWise,
    reinit__is_reduced,
    sync_all_reduce,
)


class Sum(Metric):
    """Sums the (number) outputs it is fed; used to observe when the engine calls it."""

    required_output_keys = None

    @reinit__is_reduced
    def reset(self):
        self.total = 0.0
        self.n = 0

    @reinit__is_reduced
    def update(self, output):
        self.total += float(output)
        self.n += 1

    @sync_all_reduce("total", "n")
    def compute(self):
        if self.n == 0:
            raise NotComputableError("Sum needs data")
        return self.total


def _events():
    from oxignite.engine import Events

    return Events


def _record(engine, name, event):
    """Record ``engine.state.metrics[name]`` (or None) each time ``event`` fires."""
    seen = []
    engine.add_event_handler(event, lambda e: seen.append(e.state.metrics.get(name)))
    return seen


# Two epochs of three iterations; outputs are 1, 2, 3 then 10, 20, 30.
DATA = [[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]


def _run_sum(echo_engine, usage, record_on):
    from oxignite.engine import Engine

    engine = Engine(lambda e, batch: DATA[e.state.epoch - 1][batch])
    Sum().attach(engine, "sum", usage=usage)
    seen = _record(engine, "sum", record_on)
    engine.run(range(3), max_epochs=2)
    return seen


@pytest.mark.parametrize("usage", [EpochWise(), "epoch_wise"])
def test_epoch_wise(echo_engine, usage):
    assert _run_sum(echo_engine, usage, _events().EPOCH_COMPLETED) == [6.0, 60.0]


@pytest.mark.parametrize("usage", [BatchWise(), "batch_wise"])
def test_batch_wise(echo_engine, usage):
    seen = _run_sum(echo_engine, usage, _events().ITERATION_COMPLETED)
    assert seen == [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]


@pytest.mark.parametrize("usage", [RunningBatchWise(), "running_batch_wise"])
def test_running_batch_wise(echo_engine, usage):
    seen = _run_sum(echo_engine, usage, _events().ITERATION_COMPLETED)
    assert seen == [1.0, 3.0, 6.0, 16.0, 36.0, 66.0]


@pytest.mark.parametrize(
    "usage", [SingleEpochRunningBatchWise(), "single_epoch_running_batch_wise"]
)
def test_single_epoch_running_batch_wise(echo_engine, usage):
    seen = _run_sum(echo_engine, usage, _events().ITERATION_COMPLETED)
    assert seen == [1.0, 3.0, 6.0, 10.0, 30.0, 60.0]


@pytest.mark.parametrize("usage", [RunningEpochWise(), "running_epoch_wise"])
def test_running_epoch_wise(echo_engine, usage):
    # Updated once per epoch with the last output of the epoch, never reset in the run.
    assert _run_sum(echo_engine, usage, _events().EPOCH_COMPLETED) == [3.0, 33.0]


def test_batch_filtered(echo_engine):
    # Only iterations 2, 4 and 6 (counted over the whole run) update the metric.
    seen = _run_sum(echo_engine, BatchFiltered(every=2), _events().EPOCH_COMPLETED)
    assert seen == [2.0, 10.0 + 30.0]


def test_invalid_usage():
    from oxignite.engine import Engine

    engine = Engine(lambda e, b: b)
    with pytest.raises(ValueError, match="usage should be"):
        Sum().attach(engine, "s", usage="per_epoch")
    with pytest.raises(TypeError, match="Unhandled usage type"):
        Sum().attach(engine, "s", usage=3)


@pytest.mark.parametrize(
    "usage",
    [
        "epoch_wise",
        "batch_wise",
        "running_batch_wise",
        "single_epoch_running_batch_wise",
        "running_epoch_wise",
    ],
)
def test_attach_detach_is_attached(echo_engine, usage):
    engine = echo_engine()
    metric = Sum()
    assert not metric.is_attached(engine, usage=usage)
    metric.attach(engine, "s", usage=usage)
    assert metric.is_attached(engine, usage=usage)
    assert engine.has_event_handler(metric.iteration_completed)
    state = engine.run([1.0, 2.0])
    assert "s" in state.metrics

    metric.detach(engine, usage=usage)
    assert not metric.is_attached(engine, usage=usage)
    assert not engine.has_event_handler(metric.started)
    assert not engine.has_event_handler(metric.iteration_completed)
    assert not engine.has_event_handler(metric.completed)
    del state.metrics["s"]
    assert "s" not in engine.run([1.0, 2.0]).metrics


def test_same_metric_attached_twice_updates_once(echo_engine):
    engine = echo_engine()
    metric = Sum()
    metric.attach(engine, "a")
    metric.attach(engine, "b")
    state = engine.run([1.0, 2.0, 4.0])
    assert state.metrics["a"] == state.metrics["b"] == 7.0


def test_several_metrics_on_one_engine_match_direct(echo_engine):
    data = [(torch.randn(6, 3), torch.randint(0, 3, (6,))) for _ in range(4)]
    engine = echo_engine()
    Accuracy().attach(engine, "acc")
    Accuracy(output_transform=lambda o: (o[0][:3], o[1][:3])).attach(engine, "acc_first_half")
    state = engine.run(data)
    direct = [(p.argmax(1) == t).float() for p, t in data]
    assert state.metrics["acc"] == pytest.approx(torch.cat(direct).mean().item())
    assert state.metrics["acc_first_half"] == pytest.approx(
        torch.cat([d[:3] for d in direct]).mean().item()
    )


class XYMetric(Metric):
    required_output_keys = ("y_pred", "y", "x")

    def reset(self):
        self.seen = []

    def update(self, output):
        self.seen.append(output)

    def compute(self):
        return sum(float((p - y).abs().sum() + x) for p, y, x in self.seen)


def test_required_output_keys_from_dict(echo_engine):
    engine = echo_engine()
    XYMetric().attach(engine, "m")
    batch = {"y_pred": torch.tensor([1.0]), "y": torch.tensor([3.0]), "x": 5.0, "extra": 0}
    assert engine.run([batch]).metrics["m"] == 7.0

    engine = echo_engine()
    XYMetric().attach(engine, "m")
    with pytest.raises(ValueError, match=r"should contain \('y_pred', 'y', 'x'\) keys"):
        engine.run([{"y_pred": torch.tensor([1.0]), "y": torch.tensor([3.0])}])


def test_default_dict_output(echo_engine):
    engine = echo_engine()
    Accuracy().attach(engine, "acc")
    state = engine.run(
        [{"y_pred": torch.tensor([[0.2, 0.8], [0.6, 0.4]]), "y": torch.tensor([1, 1])}]
    )
    assert state.metrics["acc"] == 0.5


def test_unrolling_lists(echo_engine):
    y_pred = [torch.tensor([0.1, 0.9]), torch.tensor([0.7, 0.3])]
    engine = echo_engine()
    Accuracy().attach(engine, "acc")
    assert engine.run([(y_pred, [1, 1])]).metrics["acc"] == 0.5

    engine = echo_engine()
    Accuracy().attach(engine, "acc")
    with pytest.raises(ValueError, match="2 items of the same length"):
        engine.run([(y_pred, [1])])


def test_skip_unrolling_passes_lists_through(echo_engine):
    class Pairs(Metric):
        def reset(self):
            self.outputs = []

        def update(self, output):
            self.outputs.append(output)

        def compute(self):
            return len(self.outputs)

    y_pred = [torch.tensor([0.1, 0.9]), torch.tensor([0.7, 0.3])]
    unrolled, whole = Pairs(), Pairs(skip_unrolling=True)
    engine = echo_engine()
    unrolled.attach(engine, "unrolled")
    whole.attach(engine, "whole")
    state = engine.run([(y_pred, [1, 0])])
    assert state.metrics["unrolled"] == 2 and state.metrics["whole"] == 1
    assert whole.outputs[0][0] is y_pred


class Stats(Metric):
    def __init__(self, mode):
        super().__init__(metrics_result_mode=mode)

    def reset(self):
        self.values = []

    def update(self, output):
        self.values.append(float(output))

    def compute(self):
        return {"low": min(self.values), "high": max(self.values)}


@pytest.mark.parametrize(
    "mode, expected_keys",
    [("flatten", {"low", "high"}), ("named", {"stats"}), ("both", {"low", "high", "stats"})],
)
def test_mapping_results(echo_engine, mode, expected_keys):
    engine = echo_engine()
    Stats(mode).attach(engine, "stats")
    metrics = engine.run([3.0, 1.0, 2.0]).metrics
    assert set(metrics) == expected_keys
    if "stats" in metrics:
        assert metrics["stats"] == {"low": 1.0, "high": 3.0}
    if "low" in metrics:
        assert (metrics["low"], metrics["high"]) == (1.0, 3.0)


def test_mapping_result_name_conflict(echo_engine):
    engine = echo_engine()
    Stats("both").attach(engine, "low")
    with pytest.raises(ValueError, match="conflicting with mapping keys"):
        engine.run([1.0])


def test_constructor_errors():
    with pytest.raises(ValueError, match="metrics_result_mode"):
        Stats("nested")
    with pytest.raises(TypeError, match="output_transform should be callable"):
        Accuracy(output_transform="y")
    with pytest.raises(ValueError, match="XLA"):
        Accuracy(device="xla")


def test_abstract_methods_required():
    class Incomplete(Metric):
        def reset(self):
            pass

    with pytest.raises(TypeError):
        Incomplete()


def test_iteration_completed_runs_without_grad(echo_engine):
    class GradCheck(Sum):
        def update(self, output):
            self.grad_enabled = torch.is_grad_enabled()
            super().update(output)

    metric = GradCheck()
    engine = echo_engine()
    metric.attach(engine, "g")
    engine.run([1.0])
    assert metric.grad_enabled is False


def test_reinit_is_reduced_clears_cached_result():
    class Cached(Sum):
        def compute(self):
            # Missing attributes resolve to metric arithmetic (as in ignite): use __dict__.
            if self.__dict__.get("_result") is None:
                self._result = super().compute()
            return self._result

    metric = Cached()
    metric.update(2.0)
    assert metric.compute() == 2.0
    metric.update(3.0)  # drops the cached value
    assert metric.compute() == 5.0


def _update_output(self, output):
    self.seen.append(output)


def _update_batch(self, batch, scale=1.0):
    self.seen.append(batch * scale)


@pytest.mark.parametrize(("update", "name"), [(_update_output, "output"), (_update_batch, "batch")])
def test_reinit_is_reduced_keeps_the_signature_and_drops_the_result(update, name):
    # ``(self, output)`` gets a wrapper with that fixed signature; any other keeps *args.
    update = reinit__is_reduced(update)
    assert update._decorated and update.__name__ == update.__wrapped__.__name__
    target = SimpleNamespace(seen=[], _result="cached")
    update(target, 1.0)
    assert target._result is None
    target._result = "cached"
    update(target, **{name: 2.0})
    assert target.seen == [1.0, 2.0] and target._result is None
    with pytest.raises(TypeError):
        update(target, 1.0, 2.0, 3.0)


def test_sync_all_reduce_single_process_keeps_values():
    metric = Sum()
    metric.update(4.0)
    assert metric.compute() == 4.0
    assert metric.total == 4.0 and metric.n == 1


def test_sync_all_reduce_only_on_metrics():
    @sync_all_reduce("x")
    def compute(self):
        return 1

    with pytest.raises(RuntimeError, match="Metric class methods only"):
        compute(object())


def test_state_dict_roundtrip():
    y_pred, y = torch.randn(10, 3), torch.randint(0, 3, (10,))
    acc = Accuracy()
    acc.update((y_pred, y))
    state = acc.state_dict()
    assert isinstance(state, OrderedDict) and len(state) == 1
    restored = Accuracy()
    restored.load_state_dict(state)
    assert restored.compute() == acc.compute()
    # The saved state is a copy: later updates of the source do not leak into it.
    acc.update((y_pred, y))
    restored2 = Accuracy()
    restored2.load_state_dict(state)
    assert restored2._num_examples == 10


def test_load_state_dict_errors():
    with pytest.raises(TypeError, match="should be a dictionary"):
        Accuracy().load_state_dict([1])
    with pytest.raises(ValueError, match="Incorrect state_dict"):
        Accuracy().load_state_dict({"a": 1})
    state = Accuracy().state_dict()
    key = next(iter(state))
    with pytest.raises(ValueError, match="world_size"):
        Accuracy().load_state_dict({key: state[key] * 2})


class _GradProbe(Metric):
    """Records whether grad was enabled in its output_transform and update."""

    def reset(self):
        self.seen = []

    def update(self, output):
        self.seen.append(("update", torch.is_grad_enabled()))
        if output[0].sum() < 0:
            raise RuntimeError("negative")

    def compute(self):
        return len(self.seen)


@pytest.mark.parametrize(
    "output",
    [
        (torch.ones(2, 3), torch.ones(2)),  # the (y_pred, y) pair
        [torch.ones(2, 3), torch.ones(2)],  # a list: the general path
        {"y_pred": torch.ones(2, 3), "y": torch.ones(2)},
    ],
)
def test_iteration_completed_runs_without_grad_and_restores_it(output):
    probe = _GradProbe(
        output_transform=lambda o: probe.seen.append(("transform", torch.is_grad_enabled())) or o
    )
    engine = SimpleNamespace(state=SimpleNamespace(output=output))
    assert torch.is_grad_enabled()
    probe.iteration_completed(engine)
    assert probe.seen == [("transform", False), ("update", False)]
    assert torch.is_grad_enabled()
    # restored after an exception too, and left off when it was off
    engine.state.output = (-torch.ones(2, 3), torch.ones(2))
    with pytest.raises(RuntimeError, match="negative"):
        probe.iteration_completed(engine)
    assert torch.is_grad_enabled()
    with torch.no_grad():
        probe.iteration_completed(SimpleNamespace(state=SimpleNamespace(output=output)))
        assert not torch.is_grad_enabled()


_DETACHING = {
    "CosineSimilarity": (lambda m: m.CosineSimilarity(), (4, 3)),
    "KLDivergence": (lambda m: m.KLDivergence(), (4, 3)),
    "PSNR": (lambda m: m.PSNR(data_range=1.0), (4, 3)),
    "MaximumMeanDiscrepancy": (lambda m: m.MaximumMeanDiscrepancy(), (4, 3)),
    "regression.ManhattanDistance": (lambda m: m.regression.ManhattanDistance(), (4,)),
    "MeanSquaredError": (lambda m: m.MeanSquaredError(), (4,)),
    "MeanAbsoluteError": (lambda m: m.MeanAbsoluteError(), (4, 1)),
    "MeanPairwiseDistance": (lambda m: m.MeanPairwiseDistance(), (4, 3)),
}


@pytest.mark.parametrize("name", sorted(_DETACHING))
def test_updates_that_detach_their_inputs_build_no_graph_with_grad_on(name):
    # iteration_completed leaves grad mode alone for these (no transform to run, an update
    # that detaches first): nothing they keep may hold a graph, and values stay ignite's.
    make, shape = _DETACHING[name]
    metric, theirs = make(ours), make(ignite_metrics)
    assert type(metric)._update_detaches_inputs
    weight = torch.rand(*shape, requires_grad=True)
    engine = SimpleNamespace(state=SimpleNamespace(output=(weight * 2, torch.rand(*shape))))
    metric.iteration_completed(engine)
    theirs.iteration_completed(engine)
    assert torch.is_grad_enabled()
    for value in vars(metric).values():
        assert not (isinstance(value, torch.Tensor) and value.requires_grad)
    assert metric.compute() == pytest.approx(theirs.compute())


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_accuracy_fed_a_graph_with_grad_on_matches_ignite(kind):
    # Accuracy detaches first too: its checks and counts see no graph in any grad mode.
    g = torch.Generator().manual_seed(2)
    weight = torch.rand(6, 3, generator=g, requires_grad=True)
    y_pred, y = {
        "binary": (weight[:, 0].round() * 1, torch.randint(0, 2, (6,), generator=g)),
        "multiclass": (weight * 2, torch.randint(0, 3, (6,), generator=g)),
        "multilabel": (weight.round() * 1, torch.randint(0, 2, (6, 3), generator=g)),
    }[kind]
    assert y_pred.requires_grad
    metric = ours.Accuracy(is_multilabel=kind == "multilabel")
    theirs = ignite_metrics.Accuracy(is_multilabel=kind == "multilabel")
    assert type(metric)._update_detaches_inputs
    engine = SimpleNamespace(state=SimpleNamespace(output=(y_pred, y)))
    for _ in range(2):  # the second batch skips the shape checks
        metric.iteration_completed(engine)
        theirs.iteration_completed(engine)
    assert torch.is_grad_enabled()
    assert not metric._num_correct.requires_grad
    assert metric.compute() == pytest.approx(theirs.compute())


def test_overriding_a_detaching_update_switches_grad_off_again():
    # The mark belongs to the update function: a subclass's own update is unmarked, and a
    # transform always runs without grad.
    seen = []

    class Recording(CosineSimilarity):
        def update(self, output):
            seen.append(torch.is_grad_enabled())
            super().update(output)

    pair = (torch.rand(2, 3), torch.rand(2, 3))
    engine = SimpleNamespace(state=SimpleNamespace(output=pair))
    assert not Recording._update_detaches_inputs and CosineSimilarity._update_detaches_inputs
    Recording().iteration_completed(engine)
    transformed = CosineSimilarity(
        output_transform=lambda o: seen.append(torch.is_grad_enabled()) or o
    )
    transformed.iteration_completed(engine)
    assert seen == [False, False]


class _Holder(Metric):
    """Saves whatever ``value`` it is given; used to check which state types are accepted."""

    _state_dict_all_req_keys = ("value",)

    def __init__(self, value):
        super().__init__()
        self.value = value

    def reset(self):
        pass

    def update(self, output):
        pass

    def compute(self):
        return self.value


def _ignite_holder(value):
    """``_Holder`` on pytorch-ignite's Metric."""
    import ignite.metrics as ig

    class IgniteHolder(ig.Metric):
        _state_dict_all_req_keys = ("value",)

        def __init__(self, value):
            super().__init__()
            self.value = value

        reset, update, compute = _Holder.reset, _Holder.update, _Holder.compute

    return IgniteHolder(value)


@pytest.mark.parametrize("value", [object(), [1, object()], {"k": torch.device("cpu")}])
def test_state_dict_rejects_unsupported_types_like_ignite(value):
    for metric in (_Holder(value), _ignite_holder(value)):
        with pytest.raises(TypeError, match="Found attribute of unsupported type"):
            metric.state_dict()


def test_state_dict_rejects_strings():
    # ignite walks into a string character by character until RecursionError.
    with pytest.raises(TypeError, match="Found attribute of unsupported type"):
        _Holder(["text"]).state_dict()


@pytest.mark.parametrize("value", [None, 3, 2.5, True, [1, None], {"a": 1.0}])
def test_state_dict_accepts_numbers_none_and_containers_like_ignite(value):
    ours, theirs = _Holder(value).state_dict(), _ignite_holder(value).state_dict()
    assert list(ours) == list(theirs)
    assert ours[next(iter(ours))] == theirs[next(iter(theirs))]


def test_state_dict_key_and_load_errors_like_ignite():
    import ignite.metrics as ig

    assert Metric._Metric__state_dict_key_per_rank == ig.Metric._Metric__state_dict_key_per_rank
    key = Metric._Metric__state_dict_key_per_rank
    for metric, accuracy in ((_Holder(1), Accuracy()), (_ignite_holder(1), ig.Accuracy())):
        with pytest.raises(
            ValueError, match="Expected a list of state_dicts of size equal world_size"
        ):
            metric.load_state_dict({key: []})
        # Per-rank entries go through Serializable's required-key check.
        with pytest.raises(ValueError, match="Required state attribute '_num_correct' is absent"):
            accuracy.load_state_dict({key: [{"_num_examples": 1}]})


def test_metric_is_serializable():
    from oxignite.base import Serializable

    assert issubclass(Metric, Serializable)
