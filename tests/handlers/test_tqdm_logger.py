from __future__ import annotations

import contextlib
import io
import re

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
    """The bar's output stream, and its text (``str(bar)``) at each epoch's end."""
    stream = io.StringIO()
    losses = [0.5, 0.25, 0.125, 0.0625]
    engine = engine_mod.Engine(lambda e, b: losses[(e.state.iteration - 1) % len(losses)])

    @engine.on(engine_mod.Events.ITERATION_COMPLETED)
    def set_metric(e):
        e.state.metrics["acc"] = e.state.iteration / 10

    pbar = pbar_cls(file=stream, mininterval=0, bar_format=BAR_FORMAT, **pbar_kwargs)
    pbar.attach(engine, **(attach_kwargs or {}))
    # Registered after the bar's own handlers: sees the bar before it closes.
    epoch_end_texts = []
    engine.add_event_handler(
        engine_mod.Events.ITERATION_COMPLETED(every=n_iters),
        lambda e: epoch_end_texts.append(str(pbar.pbar)),
    )
    engine.run([0] * n_iters, max_epochs=max_epochs)
    return stream.getvalue(), epoch_end_texts


def _frames(out: str) -> list[str]:
    # rstrip: tqdm pads a frame with spaces to erase a longer previous one.
    return [f.rstrip() for f in re.split("[\r\n]", out) if f.strip()]


def _is_subsequence(short: list, long: list) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


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
def test_output_matches_ignite(attach_kwargs, pbar_kwargs, max_epochs):
    """The text at each epoch's end is ignite's; every frame drawn is one ignite draws too
    (ignite redraws three times per iteration: description, postfix, counter; we once)."""
    ours, our_ends = _run(
        __import__("oxignite.engine", fromlist=["Engine"]),
        ProgressBar,
        attach_kwargs=attach_kwargs,
        max_epochs=max_epochs,
        **pbar_kwargs,
    )
    ref, ref_ends = _run(
        ig_engine, ig.ProgressBar, attach_kwargs=attach_kwargs, max_epochs=max_epochs, **pbar_kwargs
    )
    assert our_ends == ref_ends and len(our_ends) == max_epochs
    assert _is_subsequence(_frames(ours), _frames(ref))
    assert _frames(ours)[-1] == _frames(ref)[-1]
    assert "[4/4]" in ours


def test_persisted_bar_shows_epochs_and_metrics():
    out, _ = _run(
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


@pytest.mark.parametrize("mininterval", [0, 1e6])
def test_text_when_terminated_mid_epoch_matches_ignite(mininterval):
    """A run stopped by TerminateOnNan leaves the bar open (no EPOCH_COMPLETED): it shows
    the NaN loss, as ignite's does, even between redraws."""
    import oxignite.engine as ox_engine
    import oxignite.handlers as ox_handlers

    losses = [1.0, 0.5, 0.25, float("nan"), 0.1, 0.1]
    texts = []
    for engine_mod, handlers_mod in [(ox_engine, ox_handlers), (ig_engine, ig)]:
        engine = engine_mod.Engine(lambda e, b: losses[e.state.iteration - 1])
        engine.add_event_handler(
            engine_mod.Events.ITERATION_COMPLETED, handlers_mod.TerminateOnNan()
        )
        pbar = handlers_mod.ProgressBar(
            file=io.StringIO(), mininterval=mininterval, bar_format=BAR_FORMAT
        )
        pbar.attach(engine, output_transform=lambda x: {"loss": x})
        engine.run([0] * 6, max_epochs=2)
        texts.append(str(pbar.pbar))
    assert texts[0] == texts[1]
    assert "[4/6]" in texts[0] and "loss=nan" in texts[0]


@pytest.mark.parametrize("natives", ["on", "off"])
@pytest.mark.parametrize("stop", ["terminate", "terminate_epoch"])
@pytest.mark.parametrize("miniters", [1, 3])
def test_bar_before_the_stopping_handler_draws_ignites_text(stop, natives, miniters):
    """The bar's handler runs before the one that stops the run (or the epoch) in the same
    firing, so its call only moved the counter; ignite's call drew that iteration's text."""
    import oxignite.engine as ox_engine
    import oxignite.handlers as ox_handlers
    import oxignite.natives

    losses = [1.0, 0.5, 0.25, 0.125, 0.1, 0.05]
    frames = []
    for engine_mod, handlers_mod in [(ox_engine, ox_handlers), (ig_engine, ig)]:
        stream = io.StringIO()
        engine = engine_mod.Engine(lambda e, b: losses[e.state.iteration - 1])
        bar = handlers_mod.ProgressBar(
            file=stream, mininterval=0, miniters=miniters, bar_format=BAR_FORMAT, persist=True
        )
        bar.attach(engine, output_transform=lambda x: {"loss": x})
        engine.add_event_handler(
            engine_mod.Events.ITERATION_COMPLETED(once=2), lambda e: getattr(e, stop)()
        )
        with oxignite.natives.disabled() if natives == "off" else contextlib.nullcontext():
            engine.run([0] * 3, max_epochs=2)
        frames.append(_frames(stream.getvalue()))
        if bar.pbar is not None:  # left open by terminate: later bars would sit below it
            bar.pbar.close()
    if stop == "terminate_epoch":
        # epoch 1's bar, closed at EPOCH_COMPLETED (after terminate_epoch ignite's next bar
        # counts iterations of the shifted epoch its own way)
        frames = [[f for f in fs if "Epoch [1/2]" in f] for fs in frames]
    ours, ignites = frames
    assert ours[-1] == ignites[-1]
    assert "loss=0.5" in ours[-1]  # the stopping iteration's loss
    assert _is_subsequence(ours, ignites)  # ignite draws more frames, never other ones


def test_missing_tqdm_error_is_ignites(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.autonotebook", None)
    errors = []
    for cls in (ProgressBar, ig.ProgressBar):
        with pytest.raises(ModuleNotFoundError) as info:
            cls()
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    assert "requires tqdm to be installed" in errors[0]


def test_unknown_logging_event_error_names_it_as_ignite():
    from types import SimpleNamespace

    messages = []
    for engine_cls, pbar_cls in [(Engine, ProgressBar), (ig_engine.Engine, ig.ProgressBar)]:
        with pytest.raises(ValueError) as info:
            pbar_cls().attach(engine_cls(lambda e, b: None), event_name=SimpleNamespace(name="abc"))
        messages.append(str(info.value))
    assert messages[0] == messages[1] == (
        "Logging event abc is not in allowed events for this engine"
    )
