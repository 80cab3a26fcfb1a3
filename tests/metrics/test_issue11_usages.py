"""The issue-11 metrics attached to an engine with every usage give pytorch-ignite's values
at every event (epoch-wise, batch-wise and the running usages)."""

from __future__ import annotations

import oxignite.metrics as ox_metrics
import pytest
import torch
from _side_by_side import assert_same

ignite_engine = pytest.importorskip("ignite.engine")
ignite_metrics = pytest.importorskip("ignite.metrics")

USAGES = ["epoch_wise", "batch_wise", "running_batch_wise", "running_epoch_wise"]

# name -> (factory, batch maker)
CASES = {
    "entropy": (lambda m: m.Entropy(), lambda: (torch.randn(6, 3), torch.zeros(6))),
    "kl": (lambda m: m.KLDivergence(), lambda: (torch.randn(6, 3), torch.randn(6, 3))),
    "cosine": (lambda m: m.CosineSimilarity(), lambda: (torch.randn(6, 3), torch.randn(6, 3))),
    "psnr": (lambda m: m.PSNR(1.0), lambda: (torch.rand(6, 1, 4, 4), torch.rand(6, 1, 4, 4))),
    "mlcm": (
        lambda m: m.MultiLabelConfusionMatrix(3),
        lambda: (torch.randint(0, 2, (6, 3)), torch.randint(0, 2, (6, 3))),
    ),
    "roc_auc": (lambda m: m.ROC_AUC(), lambda: (torch.rand(6), torch.tensor([0, 1] * 3))),
    "kappa": (
        lambda m: m.CohenKappa(num_classes=3),
        lambda: (torch.randint(0, 3, (6,)), torch.randint(0, 3, (6,))),
    ),
    "map": (
        lambda m: m.MeanAveragePrecision(),
        lambda: (torch.rand(6, 3), torch.randint(0, 3, (6,))),
    ),
}


def _values(engine_module, metrics_module, name, usage, data):
    engine = engine_module.Engine(lambda e, i: data[e.state.epoch - 1][i])
    CASES[name][0](metrics_module).attach(engine, name, usage=usage)
    seen = []

    def record(e):
        value = e.state.metrics.get(name)
        seen.append(value.double() if isinstance(value, torch.Tensor) else value)

    engine.add_event_handler(engine_module.Events.ITERATION_COMPLETED, record)
    engine.add_event_handler(engine_module.Events.EPOCH_COMPLETED, record)
    engine.run(range(len(data[0])), max_epochs=len(data))
    return seen


@pytest.mark.parametrize("usage", USAGES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_same_values_at_every_event(name, usage):
    from oxignite import engine as ox_engine

    make = CASES[name][1]
    data = [[make() for _ in range(3)] for _ in range(2)]
    ours = _values(ox_engine, ox_metrics, name, usage, data)
    theirs = _values(ignite_engine, ignite_metrics, name, usage, data)
    assert len(ours) == len(theirs) == 8
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            assert_same(a, b)
