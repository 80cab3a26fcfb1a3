"""RunningAverage: exponential moving averages checked against a direct recurrence."""

from __future__ import annotations

import pytest
import torch
from oxignite.metrics import Accuracy, RunningAverage


def _ema(values, alpha):
    out, value = [], None
    for v in values:
        value = v if value is None else value * alpha + (1 - alpha) * v
        out.append(value)
    return out


def _engine_over(outputs_per_epoch):
    """Engine whose output at (epoch e, iteration i) is outputs_per_epoch[e - 1][i]."""
    from oxignite.engine import Engine

    n = len(outputs_per_epoch[0])
    return Engine(lambda e, i: outputs_per_epoch[e.state.epoch - 1][i]), range(n)


def _record(engine, name, event_name="ITERATION_COMPLETED"):
    from oxignite.engine import Events

    seen = []
    engine.add_event_handler(
        getattr(Events, event_name), lambda e: seen.append(e.state.metrics[name])
    )
    return seen


LOSSES = [[2.0, 1.5, 1.2, 1.0], [0.9, 0.8, 0.6, 0.5]]


def test_output_transform_default_usage_spans_epochs():
    engine, data = _engine_over(LOSSES)
    RunningAverage(output_transform=lambda x: x, alpha=0.9).attach(engine, "loss")
    seen = _record(engine, "loss")
    engine.run(data, max_epochs=2)
    assert seen == pytest.approx(_ema(LOSSES[0] + LOSSES[1], 0.9))


def test_single_epoch_usage_restarts_each_epoch():
    engine, data = _engine_over(LOSSES)
    RunningAverage(output_transform=lambda x: x, alpha=0.5).attach(
        engine, "loss", usage="single_epoch_running_batch_wise"
    )
    seen = _record(engine, "loss")
    engine.run(data, max_epochs=2)
    assert seen == pytest.approx(_ema(LOSSES[0], 0.5) + _ema(LOSSES[1], 0.5))


@pytest.mark.parametrize("epoch_bound, restarts", [(True, True), (False, False)])
def test_deprecated_epoch_bound(epoch_bound, restarts):
    with pytest.warns(UserWarning, match="epoch_bound"):
        metric = RunningAverage(output_transform=lambda x: x, alpha=0.5, epoch_bound=epoch_bound)
    engine, data = _engine_over(LOSSES)
    # epoch_bound wins over the usage given to attach.
    metric.attach(engine, "loss", usage="running_batch_wise")
    seen = _record(engine, "loss")
    engine.run(data, max_epochs=2)
    if restarts:
        expected = _ema(LOSSES[0], 0.5) + _ema(LOSSES[1], 0.5)
    else:
        expected = _ema(LOSSES[0] + LOSSES[1], 0.5)
    assert seen == pytest.approx(expected)


def test_tensor_outputs():
    outputs = [[torch.tensor([1.0, 2.0]), torch.tensor([3.0, 0.0])]]
    engine, data = _engine_over(outputs)
    RunningAverage(output_transform=lambda x: x, alpha=0.75).attach(engine, "v")
    state = engine.run(data)
    expected = 0.75 * outputs[0][0] + 0.25 * outputs[0][1]
    torch.testing.assert_close(state.metrics["v"], expected)


def test_source_metric_is_averaged_per_batch(echo_engine):
    data = [(torch.randn(8, 3), torch.randint(0, 3, (8,))) for _ in range(5)]
    engine = echo_engine()
    RunningAverage(Accuracy(), alpha=0.8).attach(engine, "acc")
    seen = _record(engine, "acc")
    engine.run(data)
    batch_acc = [(p.argmax(1) == t).float().mean().item() for p, t in data]
    assert seen == pytest.approx(_ema(batch_acc, 0.8))


def test_source_metric_running_epoch_wise(echo_engine):
    epochs = [[(torch.randn(6, 3), torch.randint(0, 3, (6,))) for _ in range(3)] for _ in range(3)]
    from oxignite.engine import Engine

    engine = Engine(lambda e, i: epochs[e.state.epoch - 1][i])
    RunningAverage(Accuracy(), alpha=0.6).attach(engine, "acc", usage="running_epoch_wise")
    seen = _record(engine, "acc", "EPOCH_COMPLETED")
    engine.run(range(3), max_epochs=3)
    epoch_acc = [
        torch.cat([(p.argmax(1) == t).float() for p, t in batches]).mean().item()
        for batches in epochs
    ]
    assert seen == pytest.approx(_ema(epoch_acc, 0.6))


def test_detach(echo_engine):
    src = Accuracy()
    metric = RunningAverage(src)
    engine = echo_engine()
    metric.attach(engine, "acc")
    assert metric.is_attached(engine)
    assert engine.has_event_handler(src.iteration_completed)
    metric.detach(engine)
    assert not metric.is_attached(engine)
    assert not engine.has_event_handler(src.iteration_completed)
    state = engine.run([(torch.randn(2, 3), torch.tensor([0, 1]))])
    assert "acc" not in state.metrics


def test_update_compute_without_engine():
    metric = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    for v in (4.0, 2.0, 1.0):
        metric.update(v)
    assert metric.compute() == pytest.approx(_ema([4.0, 2.0, 1.0], 0.5)[-1])
    metric.reset()
    assert metric.compute() is None


def test_argument_errors():
    with pytest.raises(TypeError, match="src should be a Metric or None"):
        RunningAverage(src=3)
    with pytest.raises(ValueError, match="alpha should be a float between 0.0 and 1.0"):
        RunningAverage(Accuracy(), alpha=0.0)
    with pytest.raises(ValueError, match="output_transform should be None if src is a Metric"):
        RunningAverage(Accuracy(), output_transform=lambda x: x)
    with pytest.raises(ValueError, match="device should be None if src is a Metric"):
        RunningAverage(Accuracy(), device="cpu")
    with pytest.raises(ValueError, match="output_transform should not be None"):
        RunningAverage()


def test_same_values_as_ignite():
    ignite_engine = pytest.importorskip("ignite.engine")
    ignite_metrics = pytest.importorskip("ignite.metrics")
    from oxignite.engine import Engine, Events

    data = [(torch.randn(5, 4), torch.randint(0, 4, (5,))) for _ in range(6)]
    results = {}
    for name, engine_cls, events, metrics in [
        ("ours", Engine, Events, __import__("oxignite.metrics", fromlist=["x"])),
        ("ignite", ignite_engine.Engine, ignite_engine.Events, ignite_metrics),
    ]:
        engine = engine_cls(lambda e, b: b)
        metrics.RunningAverage(metrics.Accuracy(), alpha=0.7).attach(engine, "acc")
        metrics.RunningAverage(output_transform=lambda o: o[0].mean().item()).attach(engine, "m")
        seen = []
        engine.add_event_handler(
            events.ITERATION_COMPLETED,
            lambda e, seen=seen: seen.extend([e.state.metrics["acc"], e.state.metrics["m"]]),
        )
        engine.run(data, max_epochs=2)
        results[name] = seen
    assert results["ours"] == pytest.approx(results["ignite"])


def _ignite_and_ours():
    ignite_engine = pytest.importorskip("ignite.engine")
    ignite_metrics = pytest.importorskip("ignite.metrics")
    import oxignite.engine as ox_engine
    import oxignite.metrics as ox_metrics

    return [(ox_engine, ox_metrics), (ignite_engine, ignite_metrics)]


def _output_kinds():
    g = torch.Generator().manual_seed(0)
    values = (torch.rand(12, generator=g) * 3).tolist()
    return {
        "float": values,
        "int": [int(v * 10) for v in values],
        "float32": [torch.tensor(v) for v in values],
        "float64": [torch.tensor(v, dtype=torch.float64) for v in values],
        "float16": [torch.tensor(v, dtype=torch.float16) for v in values],
        "mixed": values[:4] + [torch.tensor(v) for v in values[4:8]] + values[8:],
    }


@pytest.mark.parametrize("kind", sorted(_output_kinds()))
@pytest.mark.parametrize("alpha", [0.98, 0.3])
def test_scalar_outputs_bitwise_as_ignite(kind, alpha):
    """Floats and 0-d tensors take a float fast path: the published values, ``compute()`` and
    ``state_dict()`` are ignite's exactly, and resuming from ignite's state_dict continues
    as ignite does."""
    outputs = _output_kinds()[kind]
    results = []
    for engine_mod, metrics_mod in _ignite_and_ours():
        engine = engine_mod.Engine(lambda e, i: outputs[i])
        metric = metrics_mod.RunningAverage(output_transform=lambda x: x, alpha=alpha)
        metric.attach(engine, "avg")
        seen = []
        engine.add_event_handler(
            engine_mod.Events.ITERATION_COMPLETED,
            lambda e, seen=seen: seen.append(e.state.metrics["avg"]),
        )
        engine.run(range(6))
        computed, state = metric.compute(), metric.state_dict()
        # resume on a new metric from the saved state: the next 6 outputs
        resumed = metrics_mod.RunningAverage(output_transform=lambda x: x, alpha=alpha)
        resumed.load_state_dict(state)
        feeder = engine_mod.Engine(lambda e, b: None)
        for out in outputs[6:]:
            feeder.state.output = out
            resumed.iteration_completed(feeder)
        results.append((seen, computed, state, resumed.compute()))
    (ours, theirs) = results
    assert ours[0] == theirs[0]
    assert all(type(a) is type(b) for a, b in zip(ours[0], theirs[0]))
    for a, b in [(ours[1], theirs[1]), (ours[3], theirs[3])]:
        assert type(a) is type(b)
        if isinstance(a, torch.Tensor):
            assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
        else:
            assert a == b
    ours_state = ours[2]["__metric_state_per_rank"][0]["_value"]
    their_state = theirs[2]["__metric_state_per_rank"][0]["_value"]
    assert type(ours_state) is type(their_state)
    if isinstance(their_state, torch.Tensor):
        assert torch.equal(ours_state, their_state) and ours_state.dtype == their_state.dtype
    else:
        assert ours_state == their_state


def test_keep_on_device_publishes_the_tensor():
    outputs = [torch.tensor(v) for v in (2.0, 1.0, 4.0, 0.5)]
    engine, data = _engine_over([outputs])
    metric = RunningAverage(output_transform=lambda x: x, alpha=0.9, keep_on_device=True)
    metric.attach(engine, "loss")
    seen = _record(engine, "loss")
    engine.run(data)
    assert all(isinstance(v, torch.Tensor) and v.dim() == 0 for v in seen)
    assert [v.item() for v in seen] == pytest.approx(_ema([2.0, 1.0, 4.0, 0.5], 0.9))
    assert metric.compute().item() == pytest.approx(_ema([2.0, 1.0, 4.0, 0.5], 0.9)[-1])
    assert seen[0] is not outputs[0]  # a copy: later in-place changes of the output are not seen
    state = metric.state_dict()["__metric_state_per_rank"][0]["_value"]
    assert isinstance(state, torch.Tensor) and state.item() == pytest.approx(seen[-1].item())


def test_keep_on_device_argument_check():
    with pytest.raises(TypeError, match="keep_on_device should be a bool"):
        RunningAverage(output_transform=lambda x: x, keep_on_device="yes")


def test_direct_update_after_engine_updates_as_ignite():
    values = []
    for engine_mod, metrics_mod in _ignite_and_ours():
        metric = metrics_mod.RunningAverage(output_transform=lambda x: x, alpha=0.9)
        feeder = engine_mod.Engine(lambda e, b: None)
        for v in (1.5, 0.25):
            feeder.state.output = torch.tensor(v)
            metric.iteration_completed(feeder)
        metric.update(torch.tensor(3.0))  # called directly, as user code may
        values.append(metric.compute())
    assert torch.equal(values[0], values[1]) and values[0].dtype == values[1].dtype
