"""Host reads of the engine output by the built-in handlers (issue 8, part 3).

On an accelerator, reading a tensor on the host (``.item()``, ``float(t)``, ``bool(t)``,
``t.tolist()``, ``t.numpy()``, ``t.cpu()``, formatting it) waits for the device. These tests
run on the CPU with a tensor subclass that counts such reads, and check that the handlers
read the loss only where their documented meaning needs it.
"""

from __future__ import annotations

import io

import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import ProgressBar, TerminateOnNan
from oxignite.metrics import RunningAverage

HOST_READS = {
    "item",
    "__float__",
    "__int__",
    "__index__",
    "__bool__",
    "tolist",
    "numpy",
    "cpu",
    "__format__",
    "__repr__",
}


class CountingTensor(torch.Tensor):
    """A tensor that counts the host reads done on it (and on tensors computed from it)."""

    reads = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", None) in HOST_READS:
            CountingTensor.reads += 1
        return super().__torch_function__(func, types, args, kwargs or {})


def _loss_engine(n_iters: int) -> Engine:
    losses = [torch.tensor(1.0 / (i + 1)).as_subclass(CountingTensor) for i in range(n_iters)]
    return Engine(lambda e, i: losses[i])


def _run(engine: Engine, n_iters: int, max_epochs: int) -> None:
    CountingTensor.reads = 0
    engine.run(range(n_iters), max_epochs=max_epochs)


def _redraws(stream: io.StringIO) -> int:
    return stream.getvalue().count("\r")


def test_counting_tensor_counts_host_reads():
    t = torch.tensor(0.5).as_subclass(CountingTensor)
    CountingTensor.reads = 0
    t.item(), float(t), bool(t), t.tolist(), t.numpy(), t.cpu(), f"{t}"
    assert CountingTensor.reads == 7
    (t * 2 + 1).detach().clone()
    assert CountingTensor.reads == 7


def test_progress_bar_alone_reads_nothing():
    stream = io.StringIO()
    engine = _loss_engine(5_000)
    ProgressBar(file=stream).attach(engine)
    _run(engine, 5_000, max_epochs=2)
    assert CountingTensor.reads == 0
    assert engine.state.iteration == 10_000


def test_progress_bar_reads_the_loss_only_to_draw_it():
    stream = io.StringIO()
    engine = _loss_engine(5_000)
    pbar = ProgressBar(file=stream, persist=True)
    pbar.attach(engine, output_transform=lambda loss: {"loss": loss})
    _run(engine, 5_000, max_epochs=2)
    # once per redraw, plus the text each epoch's bar closes with
    assert 2 <= CountingTensor.reads <= _redraws(stream) + 2
    assert CountingTensor.reads < 1_000
    assert "Epoch [2/2]: [5000/5000] 100%|##########, loss=0.0002 [" in stream.getvalue()


def test_progress_bar_with_device_running_average_reads_only_to_draw():
    stream = io.StringIO()
    engine = _loss_engine(5_000)
    RunningAverage(output_transform=lambda x: x, keep_on_device=True).attach(engine, "loss")
    ProgressBar(file=stream, persist=True).attach(engine, metric_names=["loss"])
    _run(engine, 5_000, max_epochs=2)
    assert 2 <= CountingTensor.reads <= _redraws(stream) + 2
    assert CountingTensor.reads < 1_000
    assert isinstance(engine.state.metrics["loss"], torch.Tensor)


def test_running_average_default_reads_once_per_iteration():
    # ignite's meaning: state.metrics holds a Python float after every iteration.
    engine = _loss_engine(100)
    RunningAverage(output_transform=lambda x: x).attach(engine, "loss")
    _run(engine, 100, max_epochs=2)
    assert CountingTensor.reads == 200
    assert type(engine.state.metrics["loss"]) is float


@pytest.mark.parametrize("every, reads", [(1, 200), (50, 4)])
def test_terminate_on_nan_reads_at_its_event(every, reads):
    engine = _loss_engine(100)
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=every), TerminateOnNan())
    _run(engine, 100, max_epochs=2)
    assert CountingTensor.reads == reads
    assert engine.state.iteration == 200


def test_terminate_on_nan_and_running_average_share_one_read_per_iteration():
    # Both read the same loss: the core reads it once and gives both the same value.
    engine = _loss_engine(100)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    RunningAverage(output_transform=lambda x: x).attach(engine, "loss")
    _run(engine, 100, max_epochs=2)
    assert CountingTensor.reads == 200
    assert type(engine.state.metrics["loss"]) is float


def test_a_loss_changed_in_place_between_them_is_read_again():
    engine = _loss_engine(10)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    engine.add_event_handler(
        Events.ITERATION_COMPLETED,
        lambda e: e.state.output.mul_(0.0) if e.state.iteration == 10 else None,
    )
    metric = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    metric.attach(engine, "loss")
    _run(engine, 10, max_epochs=1)
    assert CountingTensor.reads == 11  # the 10th loss twice: before and after the change
    expected = 1.0
    for i in range(2, 11):
        expected = expected * 0.5 + 0.5 * (0.0 if i == 10 else 1.0 / i)
    assert engine.state.metrics["loss"] == pytest.approx(expected)
