from __future__ import annotations

import io

import ignite.engine as ig_engine
import ignite.handlers as ig
import oxignite.distributed as idist
import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import ProgressBar

from .conftest import make_data, make_update

# no timing fields: the output is then fully deterministic and comparable with ignite's
BAR_FORMAT = "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%{postfix}"


def _run(engine_mod, pbar_cls, n_iters=4, max_epochs=2, attach_kwargs=None, **pbar_kwargs):
    stream = io.StringIO()
    losses = [0.5, 0.25, 0.125, 0.0625]
    engine = engine_mod.Engine(lambda e, b: losses[(e.state.iteration - 1) % len(losses)])

    @engine.on(engine_mod.Events.ITERATION_COMPLETED)
    def set_metric(e):
        e.state.metrics["acc"] = e.state.iteration / 10

    pbar = pbar_cls(file=stream, mininterval=0, bar_format=BAR_FORMAT, **pbar_kwargs)
    pbar.attach(engine, **(attach_kwargs or {}))
    engine.run([0] * n_iters, max_epochs=max_epochs)
    return stream.getvalue()


@pytest.mark.parametrize(
    "attach_kwargs, pbar_kwargs, max_epochs",
    [
        ({}, {}, 2),
        ({"output_transform": lambda x: {"loss": x}}, {"persist": True}, 2),
        ({"metric_names": ["acc"], "output_transform": lambda x: x}, {"persist": True}, 1),
        ({"metric_names": "all"}, {"desc": "Train"}, 3),
        ({"state_attributes": ["iteration"]}, {"persist": True}, 2),
    ],
)
def test_output_identical_to_ignite(attach_kwargs, pbar_kwargs, max_epochs):
    ours = _run(
        __import__("oxignite.engine", fromlist=["Engine"]),
        ProgressBar,
        attach_kwargs=attach_kwargs,
        max_epochs=max_epochs,
        **pbar_kwargs,
    )
    ref = _run(
        ig_engine, ig.ProgressBar, attach_kwargs=attach_kwargs, max_epochs=max_epochs, **pbar_kwargs
    )
    assert ours == ref
    assert "[4/4]" in ours


def test_persisted_bar_shows_epochs_and_metrics():
    out = _run(
        __import__("oxignite.engine", fromlist=["Engine"]),
        ProgressBar,
        persist=True,
        attach_kwargs={"metric_names": ["acc"], "output_transform": lambda x: {"loss": x}},
    )
    lines = [ln for ln in out.replace("\r", "\n").split("\n") if ln.strip()]
    assert "Epoch [1/2]: [1/4]  25%, acc=0.1, loss=0.5" in lines
    assert lines[-1] == "Epoch [2/2]: [4/4] 100%, acc=0.8, loss=0.0625"


def test_epoch_level_bar_written_to_file(tmp_path):
    path = tmp_path / "pbar.txt"
    with open(path, "w") as f:
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        trainer = Engine(make_update(model, opt))
        pbar = ProgressBar(persist=True, file=f, mininterval=0, bar_format=BAR_FORMAT)
        pbar.attach(
            trainer,
            output_transform=lambda loss: {"loss": loss},
            event_name=Events.EPOCH_COMPLETED,
            closing_event_name=Events.COMPLETED,
        )
        trainer.run(make_data(3), max_epochs=3)
    text = path.read_text()
    assert "Epoch: [3/3] 100%, loss=" in text
    assert pbar.pbar is None  # closed on COMPLETED


def test_log_message_goes_to_file():
    stream = io.StringIO()
    pbar = ProgressBar(file=stream)
    pbar.log_message("hello from the bar")
    assert stream.getvalue() == "hello from the bar\n"


def test_filtered_update_event():
    stream = io.StringIO()
    engine = Engine(lambda e, b: None)
    ProgressBar(file=stream, mininterval=0, bar_format=BAR_FORMAT, persist=True).attach(
        engine, event_name=Events.ITERATION_COMPLETED(every=5)
    )
    engine.run([0] * 10, max_epochs=1)
    text = stream.getvalue()
    assert "Iteration: [5/10]  50%" in text and "Iteration: [10/10] 100%" in text
    assert "[7/10]" not in text


def test_only_rank_zero_draws(monkeypatch):
    monkeypatch.setattr(idist, "get_rank", lambda: 1)
    stream = io.StringIO()
    engine = Engine(lambda e, b: None)
    pbar = ProgressBar(file=stream, mininterval=0)
    pbar.attach(engine)
    pbar.log_message("not shown")
    engine.run([0] * 3, max_epochs=2)
    assert stream.getvalue() == ""
    assert pbar.pbar is None


def test_attach_argument_checks():
    engine = Engine(lambda e, b: None)
    pbar = ProgressBar()
    with pytest.raises(ValueError, match="filtered"):
        pbar.attach(engine, closing_event_name=Events.EPOCH_COMPLETED(every=2))
    with pytest.raises(ValueError, match="before closing"):
        pbar.attach(
            engine, event_name=Events.EPOCH_COMPLETED, closing_event_name=Events.EPOCH_STARTED
        )
    with pytest.raises(ValueError, match="not in allowed events"):
        pbar.attach(engine, event_name=Events.GET_BATCH_STARTED)
    with pytest.raises(TypeError, match="output_transform"):
        pbar.attach(engine, output_transform=5)
