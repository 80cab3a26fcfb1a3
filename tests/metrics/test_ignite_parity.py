"""Same data, same usage: oxignite's metrics give pytorch-ignite's values at every event."""

from __future__ import annotations

import pytest
import torch

ignite_engine = pytest.importorskip("ignite.engine")
ignite_metrics = pytest.importorskip("ignite.metrics")

import oxignite.metrics as ox_metrics

USAGES = [
    "epoch_wise",
    "batch_wise",
    "running_batch_wise",
    "single_epoch_running_batch_wise",
    "running_epoch_wise",
]

FACTORIES = {
    "accuracy": lambda m: m.Accuracy(),
    "precision": lambda m: m.Precision(average=False),
    "recall_weighted": lambda m: m.Recall(average="weighted"),
    "f2": lambda m: m.Fbeta(2.0),
    "top2": lambda m: m.TopKCategoricalAccuracy(k=2),
    "loss": lambda m: m.Loss(torch.nn.functional.cross_entropy),
    "confusion": lambda m: m.ConfusionMatrix(num_classes=3),
    "miou": lambda m: m.mIoU(m.ConfusionMatrix(num_classes=3)),
    "arith": lambda m: (m.Precision(average=False) * 2 + m.Recall(average=False))[1] / 3,
}


def _values(engine_module, metrics_module, name, usage, data):
    engine = engine_module.Engine(lambda e, i: data[e.state.epoch - 1][i])
    FACTORIES[name](metrics_module).attach(engine, name, usage=usage)
    seen = []

    def record(e):
        value = e.state.metrics.get(name)
        # Flatten tensors so pytest.approx can compare the values.
        seen.append(value.flatten().tolist() if isinstance(value, torch.Tensor) else value)

    engine.add_event_handler(engine_module.Events.ITERATION_COMPLETED, record)
    engine.add_event_handler(engine_module.Events.EPOCH_COMPLETED, record)
    engine.run(range(len(data[0])), max_epochs=len(data))
    return seen


@pytest.mark.parametrize("usage", USAGES)
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_parity(name, usage):
    from oxignite import engine as ox_engine

    data = [[(torch.randn(7, 3), torch.randint(0, 3, (7,))) for _ in range(3)] for _ in range(2)]
    ours = _values(ox_engine, ox_metrics, name, usage, data)
    theirs = _values(ignite_engine, ignite_metrics, name, usage, data)
    assert len(ours) == len(theirs) == 8
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            assert a == pytest.approx(b)
