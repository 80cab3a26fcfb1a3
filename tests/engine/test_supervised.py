"""create_supervised_trainer / create_supervised_evaluator against hand-written loops."""

from __future__ import annotations

import copy
from collections import namedtuple

import pytest
import torch
import torch.nn.functional as F
from oxignite.engine.supervised import (
    _prepare_batch,
    create_supervised_evaluator,
    create_supervised_trainer,
    supervised_evaluation_step,
    supervised_evaluation_step_amp,
    supervised_training_step,
)
from torch import nn

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(3)


def _regression_data(n_batches=6, batch_size=8):
    w = torch.tensor([[1.5], [-2.0], [0.5]])
    batches = []
    for _ in range(n_batches):
        x = torch.randn(batch_size, 3)
        batches.append((x, x @ w + 0.1 * torch.randn(batch_size, 1)))
    return batches


def _manual_training(model, data, lr, epochs=1, accumulation=1):
    """The loop create_supervised_trainer should reproduce; returns the losses."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, iteration = [], 0
    for _ in range(epochs):
        for x, y in data:
            iteration += 1
            if (iteration - 1) % accumulation == 0:
                optimizer.zero_grad()
            loss = F.mse_loss(model(x), y) / accumulation
            loss.backward()
            if iteration % accumulation == 0:
                optimizer.step()
            losses.append(loss.item() * accumulation)
    return losses


def _record_outputs(engine):
    from oxignite.engine import Events

    outputs = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: outputs.append(e.state.output))
    return outputs


@pytest.mark.parametrize("accumulation", [1, 3])
def test_trainer_matches_manual_loop(accumulation):
    data = _regression_data()
    model = nn.Linear(3, 1)
    reference = copy.deepcopy(model)
    expected_losses = _manual_training(
        reference, data, lr=0.05, epochs=2, accumulation=accumulation
    )

    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    trainer = create_supervised_trainer(
        model, optimizer, F.mse_loss, gradient_accumulation_steps=accumulation
    )
    losses = _record_outputs(trainer)
    state = trainer.run(data, max_epochs=2)

    assert state.iteration == 12
    assert losses == pytest.approx(expected_losses, rel=1e-5)
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)
    assert expected_losses[-1] < expected_losses[0]


def test_trainer_transforms_and_model_fn():
    data = _regression_data(n_batches=2)
    model = nn.Linear(3, 1)
    calls = []

    def model_fn(m, x):
        calls.append(x.shape)
        return {"out": m(x)}

    trainer = create_supervised_trainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.01),
        F.mse_loss,
        device="cpu",
        model_fn=model_fn,
        model_transform=lambda output: output["out"],
        output_transform=lambda x, y, y_pred, loss: (x, y, y_pred, loss),
    )
    state = trainer.run(data)
    x, y, y_pred, loss = state.output
    assert calls == [(8, 3), (8, 3)]
    assert x is data[-1][0] and y is data[-1][1]
    assert y_pred.shape == (8, 1) and y_pred.requires_grad
    assert loss.item() == pytest.approx(F.mse_loss(y_pred, y).item())


def test_custom_prepare_batch():
    model = nn.Linear(3, 1)
    batches = [{"features": x, "target": y} for x, y in _regression_data(n_batches=2)]
    seen = []

    def prepare(batch, device=None, non_blocking=False):
        seen.append((device, non_blocking))
        return batch["features"], batch["target"]

    trainer = create_supervised_trainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.01),
        F.mse_loss,
        device="cpu",
        non_blocking=True,
        prepare_batch=prepare,
    )
    trainer.run(batches)
    assert seen == [("cpu", True), ("cpu", True)]


def test_training_step_with_plain_engine():
    from oxignite.engine import Engine

    data = _regression_data(n_batches=3)
    model = nn.Linear(3, 1)
    reference = copy.deepcopy(model)
    expected = _manual_training(reference, data, lr=0.1)
    update = supervised_training_step(
        model, torch.optim.SGD(model.parameters(), lr=0.1), F.mse_loss
    )
    engine = Engine(update)
    losses = _record_outputs(engine)
    engine.run(data)
    assert losses == pytest.approx(expected, rel=1e-5)
    assert model.training


class _Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)


def _classification_data(n_batches=5, batch_size=16):
    centers = torch.tensor([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
    data = []
    for _ in range(n_batches):
        y = torch.randint(0, 3, (batch_size,))
        data.append((centers[y] + 0.5 * torch.randn(batch_size, 4), y))
    return data


def test_evaluator_metrics_equal_direct_computation():
    from oxignite.metrics import Accuracy, Loss

    model = _Classifier()
    data = _classification_data()
    evaluator = create_supervised_evaluator(
        model, metrics={"acc": Accuracy(), "nll": Loss(F.cross_entropy)}, device="cpu"
    )
    state = evaluator.run(data)

    model.eval()  # dropout off, as in the evaluator
    with torch.no_grad():
        logits = torch.cat([model(x) for x, _ in data])
    y = torch.cat([t for _, t in data])
    assert state.metrics["acc"] == pytest.approx((logits.argmax(1) == y).float().mean().item())
    assert state.metrics["nll"] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    y_pred, y_last = state.output
    assert not y_pred.requires_grad and y_last is data[-1][1]


def test_evaluation_step_puts_model_in_eval_mode_without_grad():
    from oxignite.engine import Engine

    model = _Classifier()
    model.train()
    modes = []

    def model_fn(m, x):
        modes.append((m.training, torch.is_grad_enabled()))
        return m(x)

    engine = Engine(
        supervised_evaluation_step(
            model, model_fn=model_fn, output_transform=lambda x, y, y_pred: y_pred.shape
        )
    )
    state = engine.run(_classification_data(n_batches=2))
    assert modes == [(False, False), (False, False)]
    assert state.output == (16, 3)


def test_train_then_evaluate_improves_accuracy():
    from oxignite.engine import Events
    from oxignite.metrics import Accuracy

    model = _Classifier()
    train_data = _classification_data(n_batches=10)
    val_data = _classification_data(n_batches=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    trainer = create_supervised_trainer(model, optimizer, F.cross_entropy)
    evaluator = create_supervised_evaluator(model, metrics={"acc": Accuracy()})
    history = []
    evaluator.run(val_data)
    history.append(evaluator.state.metrics["acc"])

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine):
        evaluator.run(val_data)
        history.append(evaluator.state.metrics["acc"])

    trainer.run(train_data, max_epochs=3)
    assert len(history) == 4
    assert history[-1] > 0.9 > history[0]


def test_amp_on_cpu_with_scaler():
    model = nn.Linear(3, 1)
    before = [p.detach().clone() for p in model.parameters()]
    dtypes = []

    def model_transform(output):
        dtypes.append(output.dtype)
        return output

    trainer = create_supervised_trainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.05),
        F.mse_loss,
        device="cpu",
        amp_mode="amp",
        scaler=True,
        model_transform=model_transform,
    )
    assert isinstance(trainer.state.scaler, torch.amp.GradScaler)
    losses = _record_outputs(trainer)
    trainer.run(_regression_data(), max_epochs=3)
    # The forward pass ran under CPU autocast (bfloat16 matmuls).
    assert set(dtypes) == {torch.bfloat16}
    assert losses[-1] < losses[0]
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))


def test_amp_with_given_scaler_is_not_stored():
    model = nn.Linear(3, 1)
    scaler = torch.amp.GradScaler("cpu")
    trainer = create_supervised_trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.05), F.mse_loss, device="cpu",
        amp_mode="amp", scaler=scaler,
    )  # fmt: skip
    trainer.run(_regression_data(n_batches=2))
    assert not hasattr(trainer.state, "scaler") or trainer.state.scaler is not scaler
    assert scaler.get_scale() > 0


def test_evaluator_amp_on_cpu():
    from oxignite.engine import Engine
    from oxignite.metrics import Accuracy

    model = _Classifier()
    data = _classification_data(n_batches=2)
    evaluator = create_supervised_evaluator(
        model, metrics={"acc": Accuracy()}, device="cpu", amp_mode="amp"
    )
    assert 0.0 <= evaluator.run(data).metrics["acc"] <= 1.0
    engine = Engine(
        supervised_evaluation_step_amp(
            model, device="cpu", output_transform=lambda x, y, y_pred: y_pred.dtype
        )
    )
    assert engine.run(data).output == torch.bfloat16


def test_deterministic_gives_a_deterministic_engine():
    # As ignite: a DeterministicEngine (cuDNN flags are set at its run start, on CUDA only).
    from oxignite.engine import DeterministicEngine

    model = nn.Linear(3, 1)
    trainer = create_supervised_trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, deterministic=True
    )
    assert type(trainer) is DeterministicEngine
    assert trainer.run(_regression_data(n_batches=2)).iteration == 2
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    assert type(create_supervised_trainer(model, sgd, F.mse_loss)).__name__ == "Engine"


def test_argument_errors():
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="Gradient_accumulation_steps must be strictly positive"):
        create_supervised_trainer(model, optimizer, F.mse_loss, gradient_accumulation_steps=0)
    with pytest.raises(ValueError, match="scaler argument is True, but amp_mode is None"):
        create_supervised_trainer(model, optimizer, F.mse_loss, scaler=True)
    with pytest.raises(ValueError, match="amp_mode cannot be used with mps device"):
        create_supervised_trainer(model, optimizer, F.mse_loss, device="mps", amp_mode="amp")
    with pytest.raises(ValueError, match="amp_mode should be None, 'amp' or 'apex'"):
        create_supervised_evaluator(model, amp_mode="fp16")


def test_apex_missing_gives_clear_error():
    pytest.importorskip("torch")
    try:
        import apex  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("apex is installed")
    model = nn.Linear(3, 1)
    with pytest.raises(ModuleNotFoundError, match="Please install apex"):
        create_supervised_trainer(
            model, torch.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, amp_mode="apex"
        )


def test_prepare_batch_moves_nested_structures():
    Pair = namedtuple("Pair", ["a", "b"])
    x = {"image": torch.ones(2), "meta": [torch.zeros(1), "name"], "pair": Pair(torch.ones(1), "b")}
    y = (torch.tensor([1]), torch.tensor([2]))
    px, py = _prepare_batch((x, y), device="cpu")
    assert px["meta"][1] == "name" and isinstance(px["pair"], Pair)
    assert torch.equal(px["image"], x["image"]) and px["image"].device.type == "cpu"
    assert isinstance(py, tuple) and torch.equal(py[1], y[1])


@pytest.mark.parametrize("bad", [object(), 3.0, None], ids=["object", "number", "None"])
def test_prepare_batch_refuses_what_ignite_refuses(bad):
    ignite_engine = pytest.importorskip("ignite.engine")
    batch = ({"bad": bad}, torch.ones(1))
    with pytest.raises(TypeError) as ours:
        _prepare_batch(batch, device="cpu")
    with pytest.raises(TypeError) as theirs:
        ignite_engine._prepare_batch(batch, device="cpu")
    assert str(ours.value) == str(theirs.value)


def test_prepare_batch_without_device_keeps_tensors():
    x, y = torch.randn(2, 3), torch.randn(2)
    px, py = _prepare_batch((x, y))
    assert px is x and py is y


def test_same_results_as_ignite():
    ignite_engine = pytest.importorskip("ignite.engine")
    data = _regression_data()
    model = nn.Linear(3, 1)
    theirs = copy.deepcopy(model)
    for factory, m in ((create_supervised_trainer, model),
                       (ignite_engine.create_supervised_trainer, theirs)):  # fmt: skip
        factory(
            m, torch.optim.SGD(m.parameters(), lr=0.05), F.mse_loss, gradient_accumulation_steps=2
        ).run(data, max_epochs=2)
    for p, q in zip(model.parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q)


def _both_trainers(accumulation, **kwargs):
    """(ours, ignite's) trainers on identical models; each records (state.output, weights)."""
    ignite_engine = pytest.importorskip("ignite.engine")
    import oxignite.engine as ox_engine

    model = nn.Linear(3, 1)
    runs = []
    for lib, m in ((ox_engine, model), (ignite_engine, copy.deepcopy(model))):
        trainer = lib.create_supervised_trainer(
            m, torch.optim.SGD(m.parameters(), lr=0.05), F.mse_loss,
            gradient_accumulation_steps=accumulation, **kwargs,
        )  # fmt: skip
        seen = []

        @trainer.on(lib.Events.ITERATION_COMPLETED)
        def record(e, seen=seen, m=m):
            seen.append((e.state.output, m.weight.detach().clone()))

        runs.append((trainer, seen))
    return runs


@pytest.mark.parametrize("accumulation", [1, 2, 3])
def test_outputs_and_weights_identical_to_ignite(accumulation):
    # Bit-identical, every iteration: the loss handed to output_transform is ignite's
    # (loss / steps) * steps with accumulation, and the loss itself without.
    def output_transform(x, y, y_pred, loss):
        return (y_pred.detach().clone(), loss.detach().clone(), loss.requires_grad)

    data = _regression_data(n_batches=7)
    (ours, ours_seen), (theirs, theirs_seen) = _both_trainers(
        accumulation, output_transform=output_transform
    )
    ours.run(data, max_epochs=2)
    theirs.run(data, max_epochs=2)
    assert len(ours_seen) == len(theirs_seen) == 14
    for (out_a, w_a), (out_b, w_b) in zip(ours_seen, theirs_seen):
        assert torch.equal(out_a[0], out_b[0]) and torch.equal(out_a[1], out_b[1])
        assert out_a[2] is out_b[2] is True
        assert torch.equal(w_a, w_b)


@pytest.mark.parametrize("accumulation", [1, 3])
def test_default_output_is_ignites_loss_item(accumulation):
    data = _regression_data(n_batches=6)
    (ours, ours_seen), (theirs, theirs_seen) = _both_trainers(accumulation)
    ours.run(data)
    theirs.run(data)
    assert [o for o, _ in ours_seen] == [o for o, _ in theirs_seen]
    assert all(type(o) is float for o, _ in ours_seen)


@pytest.mark.parametrize("accumulation", [1, 2])
def test_lr_scheduler_created_after_trainer_sees_optimizer_steps(accumulation):
    # torch's LR schedulers wrap optimizer.step when they are built; as in ignite, the trainer
    # must call the wrapped method (else torch warns that scheduler.step ran before it).
    import warnings

    import oxignite.engine as ox_engine

    ignite_engine = pytest.importorskip("ignite.engine")
    for lib in (ox_engine, ignite_engine):
        model = nn.Linear(3, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        trainer = lib.create_supervised_trainer(
            model, optimizer, F.mse_loss, gradient_accumulation_steps=accumulation
        )
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        trainer.add_event_handler(lib.Events.EPOCH_COMPLETED, lambda e, s=scheduler: s.step())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            trainer.run(_regression_data(n_batches=2), max_epochs=2)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05 / 4)


class _CountingLoss(torch.Tensor):
    backward_calls = 0

    def backward(self, *args, **kwargs):
        type(self).backward_calls += 1
        return super().backward(*args, **kwargs)


@pytest.mark.parametrize("accumulation", [1, 2])
def test_loss_backward_method_is_called_as_ignite_does(accumulation):
    ignite_engine = pytest.importorskip("ignite.engine")

    def loss_fn(y_pred, y):
        return F.mse_loss(y_pred, y).as_subclass(_CountingLoss)

    calls = []
    for factory in (create_supervised_trainer, ignite_engine.create_supervised_trainer):
        model = nn.Linear(3, 1)
        _CountingLoss.backward_calls = 0
        factory(
            model, torch.optim.SGD(model.parameters(), lr=0.05), loss_fn,
            gradient_accumulation_steps=accumulation,
        ).run(_regression_data(n_batches=4))  # fmt: skip
        calls.append(_CountingLoss.backward_calls)
    assert calls == [4, 4]


def test_amp_scaler_with_accumulation_matches_hand_written_cpu_autocast():
    # ignite autocasts for "cuda" only; on CPU ours follows the device (bfloat16), so the
    # reference is the same loop written by hand.
    data = _regression_data(n_batches=6)
    model = nn.Linear(3, 1)
    reference = copy.deepcopy(model)
    trainer = create_supervised_trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.05), F.mse_loss, device="cpu",
        amp_mode="amp", scaler=True, gradient_accumulation_steps=2,
    )  # fmt: skip
    outputs = _record_outputs(trainer)
    trainer.run(data)

    optimizer = torch.optim.SGD(reference.parameters(), lr=0.05)
    scaler = torch.amp.GradScaler("cpu", enabled=True)
    expected = []
    for iteration, (x, y) in enumerate(data, 1):
        if (iteration - 1) % 2 == 0:
            optimizer.zero_grad()
        with torch.autocast("cpu", enabled=True):
            loss = F.mse_loss(reference(x), y) / 2
        scaler.scale(loss).backward()
        if iteration % 2 == 0:
            scaler.step(optimizer)
            scaler.update()
        expected.append((loss * 2).item())
    assert outputs == expected
    for p, q in zip(model.parameters(), reference.parameters()):
        assert torch.equal(p, q)


def test_prepare_batch_without_device_rebuilds_containers_as_ignite():
    ignite_engine = pytest.importorskip("ignite.engine")
    batch = ([torch.ones(2), torch.zeros(2)], torch.ones(1))
    for prepare in (_prepare_batch, ignite_engine._prepare_batch):
        px, py = prepare(batch)
        assert type(px) is list and px is not batch[0] and py is batch[1]
        assert all(a is b for a, b in zip(px, batch[0]))


def test_evaluation_outputs_identical_to_ignite():
    ignite_engine = pytest.importorskip("ignite.engine")
    model = _Classifier()
    model.train()
    data = _classification_data(n_batches=3)
    results = []
    for step in (supervised_evaluation_step, ignite_engine.supervised_evaluation_step):
        fn = step(model, output_transform=lambda x, y, y_pred: (y_pred, y, y_pred.requires_grad))
        results.append([fn(None, batch) for batch in data])
        assert not model.training
        model.train()
    for (p_a, y_a, g_a), (p_b, y_b, g_b) in zip(*results):
        assert torch.equal(p_a, p_b) and y_a is y_b and g_a is g_b is False


def test_factories_use_the_step_builders_of_the_package_as_ignite_does() -> None:
    # ignite's create_supervised_* look their step builders up in ``ignite.engine``, so
    # patching the public name reaches them; ignite's own tests rely on it.
    from unittest import mock

    import oxignite.engine as package
    from oxignite.engine import create_supervised_evaluator, create_supervised_trainer

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with mock.patch("oxignite.engine.supervised_training_step") as train_step:
        trainer = create_supervised_trainer(model, optimizer, torch.nn.MSELoss())
    with mock.patch("oxignite.engine.supervised_evaluation_step") as eval_step:
        evaluator = create_supervised_evaluator(model)
    assert trainer._process_function is train_step.return_value
    assert evaluator._process_function is eval_step.return_value
    assert package.supervised_training_step.__module__ == "oxignite.engine.supervised"


def test_amp_without_torch_amp_gives_ignites_import_errors() -> None:
    from unittest import mock

    from oxignite.engine import create_supervised_evaluator, create_supervised_trainer

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.MSELoss()
    hidden = {"torch.amp": None, "torch.cuda.amp": None, "torch.amp.autocast_mode": None}
    with mock.patch.dict("sys.modules", hidden):
        with pytest.raises(ImportError, match=r"torch>=1\.12\.0 to use amp_mode='amp'"):
            create_supervised_trainer(model, optimizer, loss, amp_mode="amp")
        with pytest.raises(ImportError, match=r"torch>=2\.3\.1 to use scaler argument"):
            create_supervised_trainer(model, optimizer, loss, amp_mode="amp", scaler=True)
        with pytest.raises(ImportError, match=r"torch>=1\.12\.0 to use amp_mode='amp'"):
            create_supervised_evaluator(model, amp_mode="amp")
