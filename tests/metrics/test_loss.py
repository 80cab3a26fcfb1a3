"""Loss against a direct computation of the loss over all samples."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from oxignite.exceptions import NotComputableError
from oxignite.metrics import Loss


def test_weighted_by_batch_size():
    # Uneven batches: the result is the mean over samples, not the mean of batch means.
    y_pred, y = torch.randn(23, 4), torch.randint(0, 4, (23,))
    loss = Loss(F.cross_entropy)
    for i in range(0, 23, 10):
        loss.update((y_pred[i : i + 10], y[i : i + 10]))
    assert loss.compute() == pytest.approx(F.cross_entropy(y_pred, y).item(), rel=1e-6)


def test_criterion_kwargs_and_batch_size():
    y_pred, y = torch.randn(8, 3), torch.randint(0, 3, (8,))
    weight = torch.tensor([1.0, 2.0, 0.5])
    loss = Loss(F.cross_entropy, batch_size=lambda t: 2 * len(t))
    loss.update((y_pred, y, {"weight": weight}))
    assert loss.compute() == pytest.approx(F.cross_entropy(y_pred, y, weight=weight).item())
    assert loss._num_examples == 16


def test_dict_output_needs_criterion_kwargs(echo_engine):
    y_pred, y = torch.randn(6, 2), torch.randint(0, 2, (6,))
    engine = echo_engine()
    Loss(F.cross_entropy).attach(engine, "loss")
    state = engine.run([{"y_pred": y_pred, "y": y, "criterion_kwargs": {}}])
    assert state.metrics["loss"] == pytest.approx(F.cross_entropy(y_pred, y).item(), rel=1e-6)

    engine = echo_engine()
    Loss(F.cross_entropy).attach(engine, "loss")
    with pytest.raises(ValueError, match="criterion_kwargs"):
        engine.run([{"y_pred": y_pred, "y": y}])


def test_errors():
    with pytest.raises(NotComputableError, match="Loss must have at least one example"):
        Loss(F.mse_loss).compute()
    with pytest.raises(ValueError, match="did not return the average loss"):
        Loss(lambda p, t: (p - t) ** 2).update((torch.randn(3), torch.randn(3)))
    with pytest.raises(TypeError, match="output_transform should be callable"):
        Loss(F.mse_loss, output_transform=3)
