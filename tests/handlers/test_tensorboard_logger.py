from __future__ import annotations

import glob
import sys

import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import TensorboardLogger, global_step_from_engine
from oxignite.handlers.base_logger import BaseLogger, BaseOutputHandler
from oxignite.handlers.tensorboard_logger import (
    GradsHistHandler,
    GradsScalarHandler,
    OptimizerParamsHandler,
    OutputHandler,
    WeightsHistHandler,
    WeightsScalarHandler,
)
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from .conftest import make_data, make_update


def _read(log_dir) -> EventAccumulator:
    assert glob.glob(str(log_dir / "events.out.tfevents.*"))
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _assert_scalars(acc, tag, expected):
    got = _scalars(acc, tag)
    assert [s for s, _ in got] == [s for s, _ in expected]
    assert [v for _, v in got] == pytest.approx([v for _, v in expected], rel=1e-6)


def _train_setup():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    trainer = Engine(make_update(model, optimizer))
    return model, optimizer, trainer


def test_training_run_writes_scalars_and_histograms(tmp_path):
    model, optimizer, trainer = _train_setup()
    losses = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: losses.append(e.state.output))
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED, lambda e: [g.update(lr=g["lr"] / 2) for g in optimizer.param_groups]
    )

    with TensorboardLogger(log_dir=str(tmp_path)) as tb:
        tb.attach_output_handler(
            trainer,
            event_name=Events.ITERATION_COMPLETED,
            tag="training",
            output_transform=lambda loss: {"loss": loss},
        )
        tb.attach_opt_params_handler(trainer, event_name=Events.EPOCH_STARTED, optimizer=optimizer)
        tb.attach(
            trainer, log_handler=WeightsScalarHandler(model), event_name=Events.EPOCH_COMPLETED
        )
        tb.attach(
            trainer,
            log_handler=GradsScalarHandler(model, tag="g"),
            event_name=Events.EPOCH_COMPLETED,
        )
        tb.attach(
            trainer,
            log_handler=WeightsHistHandler(model, whitelist=["0."]),
            event_name=Events.EPOCH_COMPLETED,
        )
        tb.attach(trainer, log_handler=GradsHistHandler(model), event_name=Events.EPOCH_COMPLETED)
        trainer.run(make_data(4), max_epochs=3)

    acc = _read(tmp_path)
    loss = _scalars(acc, "training/loss")
    assert [s for s, _ in loss] == list(range(1, 13))
    assert [v for _, v in loss] == pytest.approx(losses, rel=1e-6)
    _assert_scalars(acc, "lr/group_0", [(1, 0.05), (2, 0.025), (3, 0.0125)])

    w = _scalars(acc, "weights_norm/2/weight")
    assert [s for s, _ in w] == [1, 2, 3]
    assert w[-1][1] == pytest.approx(model[2].weight.norm().item(), rel=1e-6)
    g = _scalars(acc, "g/grads_norm/0/bias")
    assert g[-1][1] == pytest.approx(model[0].bias.grad.norm().item(), rel=1e-6)

    hists = acc.Tags()["histograms"]
    assert sorted(hists) == sorted(
        [
            "weights/0/weight",
            "weights/0/bias",
            "grads/0/weight",
            "grads/0/bias",
            "grads/2/weight",
            "grads/2/bias",
        ]
    )
    h = acc.Histograms("weights/0/weight")
    assert [e.step for e in h] == [1, 2, 3]
    assert h[-1].histogram_value.num == model[0].weight.numel()


def test_evaluator_metrics_with_trainer_epoch_as_global_step(tmp_path):
    _, _, trainer = _train_setup()
    evaluator = Engine(lambda e, b: None)
    evaluator.add_event_handler(  # runs before the logger's handler on the same event
        Events.EPOCH_COMPLETED,
        lambda e: e.state.metrics.update(acc=0.1 * trainer.state.epoch, cm=[1, 2]),
    )
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run([0, 1]))
    tb = TensorboardLogger(log_dir=str(tmp_path))
    tb.attach(
        evaluator,
        log_handler=OutputHandler(
            tag="validation",
            metric_names="all",
            global_step_transform=global_step_from_engine(trainer),
        ),
        event_name=Events.EPOCH_COMPLETED,
    )
    trainer.run(make_data(2), max_epochs=3)
    tb.close()
    acc = _read(tmp_path)
    _assert_scalars(acc, "validation/acc", [(1, 0.1), (2, 0.2), (3, 0.3)])
    assert _scalars(acc, "validation/cm/1") == [(1, 2.0), (2, 2.0), (3, 2.0)]  # sequences flattened


def test_events_list_and_filtered_events(tmp_path):
    engine = Engine(lambda e, b: e.state.iteration * 1.0)
    tb = TensorboardLogger(log_dir=str(tmp_path))
    handle = tb.attach_output_handler(
        engine,
        event_name=Events.ITERATION_COMPLETED(every=3) | Events.COMPLETED,
        tag="t",
        output_transform=lambda x: x,
        state_attributes=["epoch"],
    )
    engine.run([0] * 4, max_epochs=2)
    handle.remove()
    engine.run([0] * 4, max_epochs=2)  # detached: nothing more is logged
    tb.close()
    acc = _read(tmp_path)
    # ITERATION_COMPLETED every 3 -> steps 3, 6; COMPLETED -> its counter (epoch) = 2
    assert sorted(_scalars(acc, "t/output")) == [(2, 8.0), (3, 3.0), (6, 6.0)]
    assert sorted(_scalars(acc, "t/epoch")) == [(2, 2.0), (3, 1.0), (6, 2.0)]


def test_writer_attributes_are_forwarded(tmp_path):
    tb = TensorboardLogger(log_dir=str(tmp_path))
    tb.add_scalar("direct", 3.0, 7)  # SummaryWriter method through __getattr__
    tb.close()
    assert _scalars(_read(tmp_path), "direct") == [(7, 3.0)]


def test_handler_argument_checks(tmp_path):
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match="metric_names, output_transform or state_attributes"):
        OutputHandler("tag")
    with pytest.raises(TypeError, match="metric_names"):
        OutputHandler("tag", metric_names="acc")
    with pytest.raises(TypeError, match="output_transform"):
        OutputHandler("tag", output_transform=1)
    with pytest.raises(TypeError, match="global_step_transform"):
        OutputHandler("tag", metric_names=["a"], global_step_transform=1)
    with pytest.raises(TypeError, match="optimizer"):
        OptimizerParamsHandler(model)
    with pytest.raises(TypeError, match="model"):
        WeightsScalarHandler(optimizer := torch.optim.SGD(model.parameters(), lr=1.0))
    with pytest.raises(TypeError, match="reduction"):
        WeightsScalarHandler(model, reduction=lambda t: t * 2)
    del optimizer

    engine = Engine(lambda e, b: None)
    with pytest.raises(RuntimeError, match="works only with TensorboardLogger"):
        OutputHandler("t", output_transform=lambda x: 0.0)(engine, object(), Events.COMPLETED)

    tb = TensorboardLogger(log_dir=str(tmp_path))
    bad_step = OutputHandler(
        "t", output_transform=lambda x: 1.0, global_step_transform=lambda e, n: 1.5
    )
    tb.attach(engine, bad_step, Events.COMPLETED)
    with pytest.raises(TypeError, match="global_step"):
        engine.run([0], max_epochs=1)
    with pytest.raises(RuntimeError, match="Unknown event name"):
        tb.attach(engine, bad_step, "not_an_event")
    tb.close()


def test_base_logger_supports_new_backends():
    class ListLogger(BaseLogger):
        def __init__(self):
            self.records = []

        def _create_output_handler(self, *args, **kwargs):
            return _ListOutput(*args, **kwargs)

        def _create_opt_params_handler(self, *args, **kwargs):
            raise NotImplementedError

    class _ListOutput(BaseOutputHandler):
        def __call__(self, engine, logger, event_name):
            step = self.global_step_transform(engine, event_name)
            for key, value in self._setup_output_metrics_state_attrs(
                engine, key_tuple=False
            ).items():
                logger.records.append((key, step, value))

    logger = ListLogger()
    engine = Engine(lambda e, b: {"loss": torch.tensor(0.5), "parts": torch.tensor([1.0, 2.0])})
    logger.attach_output_handler(
        engine, Events.EPOCH_COMPLETED, tag="x", output_transform=lambda o: o
    )
    engine.run([0, 1], max_epochs=2)
    assert logger.records == [
        ("x/loss", 1, 0.5),
        ("x/parts/0", 1, 1.0),
        ("x/parts/1", 1, 2.0),
        ("x/loss", 2, 0.5),
        ("x/parts/0", 2, 1.0),
        ("x/parts/1", 2, 2.0),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "OutputHandler",
        "OptimizerParamsHandler",
        "WeightsScalarHandler",
        "WeightsHistHandler",
        "GradsScalarHandler",
        "GradsHistHandler",
    ],
)
def test_wrong_logger_message_matches_ignite(name):
    import ignite.engine as ig_engine
    import ignite.handlers.tensorboard_logger as ig_tb
    import oxignite.handlers.tensorboard_logger as ox_tb

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    args = {"OutputHandler": ("tag", ["a"]), "OptimizerParamsHandler": (optimizer,)}
    messages = []
    for module, engine_cls in ((ox_tb, Engine), (ig_tb, ig_engine.Engine)):
        handler = getattr(module, name)(*args.get(name, (model,)))
        with pytest.raises(RuntimeError) as info:
            handler(engine_cls(lambda e, b: None), object(), Events.ITERATION_COMPLETED)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_no_writer_package_message_matches_ignite(monkeypatch):
    import ignite.handlers.tensorboard_logger as ig_tb

    # A None entry in sys.modules makes the import fail, as if the package were absent.
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    messages = []
    for logger_cls in (TensorboardLogger, ig_tb.TensorboardLogger):
        with pytest.raises(ModuleNotFoundError) as info:
            logger_cls(log_dir=None)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
