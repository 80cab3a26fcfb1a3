"""contrib.engines.common against ignite's, side by side: the same handlers attached, the same
checkpoint files, running averages, lr values, early stop and TensorBoard scalars."""

from __future__ import annotations

import os
import warnings

import ignite.contrib.engines.common as ig_common
import ignite.engine as ig_engine
import oxignite.engine as ox_engine
import pytest
import torch
from oxignite.contrib.engines import common
from torch import nn


def _data(n=12):
    g = torch.Generator().manual_seed(2)
    return [(torch.randn(4, 3, generator=g), torch.randn(4, 1, generator=g)) for _ in range(n)]


def _model():
    torch.manual_seed(4)
    return nn.Linear(3, 1)


def _trainer(engine_mod, model, optimizer):
    loss_fn = nn.MSELoss()

    def step(engine, batch):
        x, y = batch
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "double": 2 * loss.item()}

    return engine_mod.Engine(step)


def _common_run(engine_mod, common_mod, out_dir, **kwargs):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    trainer = _trainer(engine_mod, model, optimizer)
    common_mod.setup_common_training_handlers(
        trainer,
        to_save={"model": model, "optimizer": optimizer},
        save_every_iters=5,
        output_path=str(out_dir),
        lr_scheduler=scheduler,
        output_names=["loss", "double"],
        **kwargs,
    )
    lrs = []
    trainer.add_event_handler(
        engine_mod.Events.ITERATION_COMPLETED,
        lambda e: lrs.append((optimizer.param_groups[0]["lr"], dict(e.state.metrics))),
    )
    trainer.run(_data(), max_epochs=2)
    return lrs, sorted(os.listdir(out_dir)), model.weight.detach().clone()


@pytest.mark.parametrize("kwargs", [{"with_pbars": False}, {"log_every_iters": 3}])
def test_setup_common_training_handlers_like_ignite(tmp_path, kwargs):
    ours = _common_run(ox_engine, common, tmp_path / "ours", **kwargs)
    theirs = _common_run(ig_engine, ig_common, tmp_path / "ig", **kwargs)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1] == ["training_checkpoint_20.pt"]
    assert torch.equal(ours[2], theirs[2])


def _error(common_mod, engine_mod, **kwargs):
    trainer = engine_mod.Engine(lambda e, b: 0.0)
    with pytest.raises(ValueError) as err:
        common_mod.setup_common_training_handlers(trainer, **kwargs)
    return type(err.value), str(err.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_path": "a", "save_handler": lambda c, f: None},
        {"to_save": {"m": nn.Linear(1, 1)}},
    ],
)
def test_bad_arguments_same_errors_as_ignite(kwargs):
    assert _error(common, ox_engine, **kwargs) == _error(ig_common, ig_engine, **kwargs)


def test_distributed_sampler_without_distribution_warns_like_ignite():
    sampler = torch.utils.data.DistributedSampler(list(range(8)), num_replicas=2, rank=0)
    messages = []
    for common_mod, engine_mod in ((ig_common, ig_engine), (common, ox_engine)):
        with pytest.warns(UserWarning, match="distributed sampler") as record:
            common_mod.setup_common_training_handlers(
                engine_mod.Engine(lambda e, b: 0.0), train_sampler=sampler, with_pbars=False
            )
        messages.append(str(record[0].message))
    assert messages[0] == messages[1]


def _best_models(engine_mod, common_mod, out_dir, scores, **kwargs):
    model = _model()
    trainer = engine_mod.Engine(lambda e, b: None)
    evaluator = engine_mod.Engine(lambda e, b: None)

    @evaluator.on(engine_mod.Events.EPOCH_COMPLETED)
    def set_score(e):
        e.state.metrics["Acc"] = scores[trainer.state.epoch - 1]

    trainer.add_event_handler(engine_mod.Events.EPOCH_COMPLETED, lambda e: evaluator.run([0]))
    handler = common_mod.save_best_model_by_val_score(
        str(out_dir), evaluator, model, "Acc", n_saved=2, trainer=trainer, **kwargs
    )
    stopper = common_mod.add_early_stopping_by_val_score(2, evaluator, trainer, "Acc")
    trainer.run([0], max_epochs=len(scores))
    return sorted(os.listdir(out_dir)), trainer.state.epoch, type(handler).__name__, stopper.counter


@pytest.mark.parametrize("kwargs", [{}, {"tag": "test", "score_sign": -1.0}])
def test_best_models_and_early_stopping_like_ignite(tmp_path, kwargs):
    scores = [0.1, 0.5, 0.3, 0.7, 0.6, 0.65, 0.2, 0.9]
    ours = _best_models(ox_engine, common, tmp_path / "o", scores, **kwargs)
    theirs = _best_models(ig_engine, ig_common, tmp_path / "i", scores, **kwargs)
    assert ours == theirs
    assert ours[1] < len(scores)  # early stopping stopped the run


def _scalars(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return {
        tag: [(ev.step, round(ev.value, 6)) for ev in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
    }


def _tb_run(engine_mod, common_mod, log_dir, **kwargs):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    trainer = _trainer(engine_mod, model, optimizer)
    evaluator = engine_mod.Engine(lambda e, b: None)
    evaluator.add_event_handler(
        engine_mod.Events.COMPLETED, lambda e: e.state.metrics.update(acc=0.5)
    )
    trainer.add_event_handler(engine_mod.Events.EPOCH_COMPLETED, lambda e: evaluator.run([0]))
    trainer.add_event_handler(
        engine_mod.Events.ITERATION_COMPLETED, lambda e: e.state.metrics.update(m=e.state.iteration)
    )
    logger = common_mod.setup_tb_logging(
        str(log_dir), trainer, optimizer, evaluators={"val": evaluator}, log_every_iters=4, **kwargs
    )
    trainer.run(_data(), max_epochs=2)
    logger.close()
    return type(logger).__name__, _scalars(log_dir)


@pytest.mark.parametrize("kwargs", [{}, {"trainer_metric_names": ["m"]}])
def test_setup_tb_logging_writes_what_ignite_writes(tmp_path, kwargs):
    ours = _tb_run(ox_engine, common, tmp_path / "ours", **kwargs)
    theirs = _tb_run(ig_engine, ig_common, tmp_path / "ig", **kwargs)
    assert ours == theirs
    assert "val/acc" in ours[1] and "lr/group_0" in ours[1]


def test_setup_logging_bad_arguments_same_errors_as_ignite(tmp_path):
    for bad in ({"optimizers": "sgd"}, {"evaluators": 3}):
        errors = []
        for common_mod, engine_mod in ((ig_common, ig_engine), (common, ox_engine)):
            with pytest.raises(TypeError) as err:
                common_mod.setup_tb_logging(str(tmp_path), engine_mod.Engine(lambda e, b: 0), **bad)
            errors.append(str(err.value))
        assert errors[0] == errors[1]


def test_setup_any_logging_raises_like_ignite():
    for common_mod in (ig_common, common):
        with pytest.raises(DeprecationWarning, match="deprecated since version 0.4.0"):
            common_mod.setup_any_logging(None, None, None, None, None, 1)
    assert common.setup_common_distrib_training_handlers is common.setup_common_training_handlers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert common.get_default_score_fn("a")(
            type("E", (), {"state": type("S", (), {"metrics": {"a": 2.0}})})()
        ) == ig_common.get_default_score_fn("a")(
            type("E", (), {"state": type("S", (), {"metrics": {"a": 2.0}})})()
        )


def _mlflow_run(engine_mod, common_mod, uri):
    import mlflow

    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    trainer = _trainer(engine_mod, model, optimizer)
    evaluator = engine_mod.Engine(lambda e, b: None)
    evaluator.add_event_handler(
        engine_mod.Events.COMPLETED, lambda e: e.state.metrics.update(acc=0.25)
    )
    trainer.add_event_handler(engine_mod.Events.EPOCH_COMPLETED, lambda e: evaluator.run([0]))
    logger = common_mod.setup_mlflow_logging(
        trainer, optimizer, evaluators=evaluator, log_every_iters=5, tracking_uri=uri
    )
    run_id = logger.active_run.info.run_id
    trainer.run(_data(), max_epochs=2)
    logger.close()
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    return type(logger).__name__, {
        key: [(m.step, m.value) for m in client.get_metric_history(run_id, key)]
        for key in client.get_run(run_id).data.metrics
    }


def test_setup_mlflow_logging_logs_what_ignite_logs(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # a local file store, no server
    uri = (tmp_path / "mlruns").as_uri()
    ours = _mlflow_run(ox_engine, common, uri)
    theirs = _mlflow_run(ig_engine, ig_common, uri)
    assert ours == theirs
    assert ours[1]["validation acc"] == [(1, 0.25), (2, 0.25)]
