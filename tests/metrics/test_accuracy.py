"""Accuracy and TopKCategoricalAccuracy against scikit-learn / direct computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oxignite.exceptions import NotComputableError
from oxignite.metrics import Accuracy, TopKCategoricalAccuracy
from sklearn.metrics import accuracy_score


def _batches(y_pred: torch.Tensor, y: torch.Tensor, batch_size: int):
    return [
        (y_pred[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(y), batch_size)
    ]


def test_binary_matches_sklearn():
    y_pred = torch.randint(0, 2, (50,))
    y = torch.randint(0, 2, (50,))
    acc = Accuracy()
    for batch in _batches(y_pred, y, 16):
        acc.update(batch)
    assert acc.compute() == pytest.approx(accuracy_score(y.numpy(), y_pred.numpy()))


def test_binary_with_class_dim_and_images():
    y_pred = torch.randint(0, 2, (8, 1, 4, 4))
    y = torch.randint(0, 2, (8, 4, 4))
    acc = Accuracy()
    acc.update((y_pred, y))
    expected = (y_pred.squeeze(1) == y).float().mean().item()
    assert acc.compute() == pytest.approx(expected)


def test_multiclass_matches_sklearn():
    y_pred = torch.randn(64, 5)
    y = torch.randint(0, 5, (64,))
    acc = Accuracy()
    for batch in _batches(y_pred, y, 10):
        acc.update(batch)
    expected = accuracy_score(y.numpy(), y_pred.argmax(dim=1).numpy())
    assert acc.compute() == pytest.approx(expected)


def test_multiclass_segmentation_shape():
    y_pred = torch.randn(4, 3, 5, 5)
    y = torch.randint(0, 3, (4, 5, 5))
    acc = Accuracy()
    acc.update((y_pred, y))
    assert acc.compute() == pytest.approx((y_pred.argmax(1) == y).float().mean().item())


def test_multiclass_segmentation_batches_of_repeated_and_new_shapes():
    # Batches of already checked shapes reuse their sample count: every position counts.
    y_pred = torch.randn(14, 3, 5, 2)
    y = torch.randint(0, 3, (14, 5, 2))
    acc = Accuracy()
    for batch in _batches(y_pred, y, 4):  # 4, 4, 4, then 2 samples
        acc.update(batch)
    assert acc._num_examples == 14 * 5 * 2
    assert acc.compute() == pytest.approx((y_pred.argmax(1) == y).double().mean().item())


def test_multilabel_is_exact_match_ratio():
    y_pred = torch.randint(0, 2, (40, 4))
    y = torch.randint(0, 2, (40, 4))
    y_pred[:10] = y[:10]  # make sure some rows match exactly
    acc = Accuracy(is_multilabel=True)
    for batch in _batches(y_pred, y, 7):
        acc.update(batch)
    assert acc.compute() == pytest.approx(accuracy_score(y.numpy(), y_pred.numpy()))


def test_multilabel_with_extra_dims():
    y_pred = torch.randint(0, 2, (6, 3, 2, 2))
    y = torch.randint(0, 2, (6, 3, 2, 2))
    acc = Accuracy(is_multilabel=True)
    acc.update((y_pred, y))
    # One sample per (n, h, w) location; correct when all 3 labels match.
    expected = (y_pred == y).all(dim=1).float().mean().item()
    assert acc.compute() == pytest.approx(expected)


def test_reset_clears_state():
    acc = Accuracy()
    acc.update((torch.tensor([[0.0, 1.0]]), torch.tensor([0])))
    acc.reset()
    acc.update((torch.tensor([[0.0, 1.0]]), torch.tensor([1])))
    assert acc.compute() == 1.0


def test_compute_before_update_raises():
    with pytest.raises(NotComputableError, match="at least one example"):
        Accuracy().compute()


@pytest.mark.parametrize(
    "y_pred, y, message",
    [
        (torch.randn(4, 3, 2, 2), torch.randint(0, 3, (4,)), "y must have shape"),
        (torch.randn(4, 3), torch.randint(0, 3, (5,)), "compatible shapes"),
        (torch.tensor([0.0, 0.5]), torch.tensor([0, 1]), "y_pred must be comprised of 0's and 1's"),
        (torch.tensor([0, 1]), torch.tensor([2, 1]), "y must be comprised of 0's and 1's"),
    ],
)
def test_bad_inputs_raise_value_error(y_pred, y, message):
    with pytest.raises(ValueError, match=message):
        Accuracy().update((y_pred, y))


def test_multilabel_requires_same_shape():
    with pytest.raises(ValueError, match="num_categories > 1"):
        Accuracy(is_multilabel=True).update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))


def test_type_change_between_updates_raises():
    acc = Accuracy()
    acc.update((torch.randn(4, 3), torch.randint(0, 3, (4,))))
    with pytest.raises(RuntimeError, match="changed from multiclass to binary"):
        acc.update((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4,))))
    with pytest.raises(ValueError, match="number of classes has changed"):
        acc.update((torch.randn(4, 5), torch.randint(0, 3, (4,))))


def test_attached_epoch_values(echo_engine):
    torch.manual_seed(0)
    data = [(torch.randn(8, 4), torch.randint(0, 4, (8,))) for _ in range(6)]
    from oxignite.engine import Events

    engine = echo_engine()
    Accuracy().attach(engine, "acc")
    per_epoch = []
    engine.add_event_handler(
        Events.EPOCH_COMPLETED, lambda e: per_epoch.append(e.state.metrics["acc"])
    )
    state = engine.run(data, max_epochs=2)
    y_pred = torch.cat([b[0] for b in data]).argmax(1)
    y = torch.cat([b[1] for b in data])
    expected = (y_pred == y).float().mean().item()
    assert state.metrics["acc"] == pytest.approx(expected)
    # Reset every epoch: both epochs see the same data, so the same value.
    assert per_epoch == pytest.approx([expected, expected])


def test_output_transform_and_list_unrolling(echo_engine):
    y_pred = [torch.tensor([0.2, 0.8]), torch.tensor([0.9, 0.1]), torch.tensor([0.3, 0.7])]
    y = [1, 1, 1]
    engine = echo_engine()
    # The output is {"out": ([...], [...])}; lists of tensors/numbers are fed one pair at a time.
    Accuracy(output_transform=lambda o: o["out"]).attach(engine, "acc")
    state = engine.run([{"out": (y_pred, y)}])
    assert state.metrics["acc"] == pytest.approx(2 / 3)


def test_top_k_matches_direct_computation():
    y_pred = torch.randn(30, 6)
    y = torch.randint(0, 6, (30,))
    metric = TopKCategoricalAccuracy(k=3)
    for batch in _batches(y_pred, y, 8):
        metric.update(batch)
    top3 = y_pred.topk(3, dim=1).indices.numpy()
    expected = np.mean([label in row for row, label in zip(top3, y.numpy())])
    assert metric.compute() == pytest.approx(expected)


def test_top_1_equals_accuracy():
    y_pred = torch.randn(30, 4)
    y = torch.randint(0, 4, (30,))
    top1, acc = TopKCategoricalAccuracy(k=1), Accuracy()
    top1.update((y_pred, y))
    acc.update((y_pred, y))
    assert top1.compute() == pytest.approx(acc.compute())


def test_top_k_errors():
    with pytest.raises(NotComputableError):
        TopKCategoricalAccuracy().compute()
    with pytest.raises(ValueError, match="larger than the number of classes"):
        TopKCategoricalAccuracy(k=5).update((torch.randn(2, 3), torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="batch_size"):
        TopKCategoricalAccuracy(k=1).update((torch.randn(2, 3), torch.tensor([0, 1, 2])))


def test_rank_mismatch_is_a_runtime_error_like_ignite():
    import ignite.metrics as ig

    batch = (torch.rand(1, 1, 1), torch.rand(1))
    for metric in (Accuracy(), ig.Accuracy()):
        with pytest.raises(RuntimeError, match=r"Invalid shapes of y \(shape=torch.Size\(\[1\]\)\)"):
            metric._check_type(batch)


_SEQ_PRED = torch.rand(2, 4, 3)


@pytest.mark.parametrize("ignore_index", [None, -1, [-1, 2], (0,)])
def test_sequence_transform_matches_ignite(ignore_index):
    import ignite.metrics as ig

    y = torch.tensor([[1, 0, 2, -1], [0, 1, -1, -1]])
    ours = Accuracy.get_sequence_transform(ignore_index=ignore_index)((_SEQ_PRED, y))
    theirs = ig.Accuracy.get_sequence_transform(ignore_index=ignore_index)((_SEQ_PRED, y))
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)
    # The flattened output feeds Accuracy directly.
    kept = ours[1] >= 0
    acc = Accuracy()
    acc.update((ours[0][kept], ours[1][kept]))
    assert 0.0 <= acc.compute() <= 1.0


def test_sequence_transform_applies_output_transform_first():
    y = torch.tensor([[1, 0, 2, 1], [0, 1, 1, 2]])
    transform = Accuracy.get_sequence_transform(output_transform=lambda out: (out["p"], out["t"]))
    y_pred, y_flat = transform({"p": _SEQ_PRED, "t": y})
    assert y_pred.shape == (8, 3) and torch.equal(y_flat, y.reshape(-1))


@pytest.mark.parametrize(
    ("y_pred", "y", "match"),
    [
        (torch.rand(2, 4), torch.zeros(2, 4), "Expected y_pred to be 3D"),
        (torch.rand(2, 2, 3), torch.zeros(2, 2, 3), "and y to be 2D"),
        (torch.rand(2, 2, 1), torch.zeros(2, 3), "incompatible shapes"),
    ],
)
def test_sequence_transform_errors_like_ignite(y_pred, y, match):
    import ignite.metrics as ig

    for cls in (Accuracy, ig.Accuracy):
        with pytest.raises(ValueError, match=match):
            cls.get_sequence_transform()((y_pred, y))
