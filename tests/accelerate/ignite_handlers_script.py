"""pytorch-ignite's own handlers and metrics on an engine, as an ignite user writes them.

Not a test module: ``test_ignite_handlers.py`` runs this file in a subprocess twice, once
with plain ``python`` (ignite's engine) and once with ``python -m oxignite.accelerate``
(oxignite's engine), and compares what it prints: one JSON object with a result per
scenario (or the error it raised). Argument: a folder for the checkpoint files.

Everything that depends on wall-clock time is left out of the results (times, rates) or
made deterministic (a process function that sleeps longer than TimeLimit's limit).
"""

import hashlib
import io
import json
import math
import re
import sys
import time
import traceback
from pathlib import Path

import torch
from ignite.engine import Engine, EventEnum, Events, create_supervised_evaluator
from ignite.handlers import (
    BasicTimeProfiler,
    EarlyStopping,
    EMAHandler,
    HandlersTimeProfiler,
    ModelCheckpoint,
    PiecewiseLinear,
    ProgressBar,
    TerminateOnNan,
    TimeLimit,
    Timer,
)
from ignite.handlers.checkpoint import CheckpointEvents
from ignite.metrics import Accuracy, Loss, RunningAverage
from torch import nn

OUT = Path(sys.argv[1])
torch.manual_seed(0)
torch.set_num_threads(1)
X = torch.randn(48, 4)
Y = (X[:, 0] > X[:, 1]).long()
BATCHES = [(X[i : i + 8], Y[i : i + 8]) for i in range(0, 48, 8)]
SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def model_and_optimizer(lr=0.1):
    torch.manual_seed(1)
    model = nn.Linear(4, 2)
    return model, torch.optim.SGD(model.parameters(), lr=lr)


def trainer_for(model, optimizer):
    criterion = nn.CrossEntropyLoss()

    def step(engine, batch):
        x, y = batch
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return Engine(step)


def r(value):
    return round(float(value.detach() if torch.is_tensor(value) else value), 6)


@scenario
def engine_identity():
    engine = Engine(lambda e, b: None)
    return {
        "is_ignite_engine": isinstance(engine, Engine),
        "events_member": isinstance(Events.STARTED, Events),
        "logger": engine.logger.name,
    }


@scenario
def running_average_and_accuracy():
    model, optimizer = model_and_optimizer()
    trainer = trainer_for(model, optimizer)
    RunningAverage(output_transform=lambda out: out).attach(trainer, "avg_loss")
    evaluator = create_supervised_evaluator(
        model, metrics={"acc": Accuracy(), "loss": Loss(nn.CrossEntropyLoss())}
    )
    log = []

    @trainer.on(Events.ITERATION_COMPLETED(every=2))
    def log_avg(engine):
        log.append(r(engine.state.metrics["avg_loss"]))

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine):
        metrics = evaluator.run(BATCHES).metrics
        log.append([r(metrics["acc"]), r(metrics["loss"])])

    trainer.run(BATCHES, max_epochs=3)
    return log


@scenario
def terminate_on_nan():
    def step(engine, batch):
        return float("nan") if engine.state.iteration == 5 else 1.0

    engine = Engine(step)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    completed = []
    engine.add_event_handler(Events.COMPLETED, lambda e: completed.append(e.state.iteration))
    state = engine.run(BATCHES, max_epochs=3)
    return [state.iteration, state.epoch, completed]


@scenario
def timer():
    engine = Engine(lambda e, b: time.sleep(0.001))
    average = Timer(average=True)
    average.attach(
        engine,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )
    total = Timer()
    total.attach(engine)
    engine.run(BATCHES, max_epochs=2)
    return [average.step_count, average.value() > 0.0005, total.value() > 0.01]


@scenario
def piecewise_linear():
    model, optimizer = model_and_optimizer()
    trainer = trainer_for(model, optimizer)
    scheduler = PiecewiseLinear(
        optimizer, "lr", milestones_values=[(0, 0.0), (6, 0.6), (12, 0.1)]
    )
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    lrs = []
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED, lambda e: lrs.append(r(optimizer.param_groups[0]["lr"]))
    )
    trainer.run(BATCHES, max_epochs=3)
    return [lrs, r(model.weight.sum())]


@scenario
def time_limit():
    # ignite takes whole seconds: the limit passes during the second iteration.
    engine = Engine(lambda e, b: time.sleep(0.6))
    engine.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit(limit_sec=1))
    state = engine.run(BATCHES, max_epochs=2)
    unlimited = Engine(lambda e, b: None)
    unlimited.add_event_handler(Events.ITERATION_COMPLETED, TimeLimit(limit_sec=600))
    return [state.iteration, unlimited.run(BATCHES, max_epochs=2).iteration]


@scenario
def ema_handler():
    model, optimizer = model_and_optimizer()
    trainer = trainer_for(model, optimizer)
    ema = EMAHandler(model, momentum=0.01, momentum_warmup=0.1, warmup_iters=4)
    ema.attach(trainer, name="ema_momentum")
    momenta = []
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED, lambda e: momenta.append(r(e.state.ema_momentum))
    )
    trainer.run(BATCHES, max_epochs=2)
    return [momenta, [r(p.sum()) for p in ema.ema_model.parameters()]]


@scenario
def early_stopping():
    trainer = Engine(lambda e, b: None)
    evaluator = Engine(lambda e, b: None)
    scores = iter([0.5, 0.6, 0.55, 0.58, 0.59, 0.7, 0.8])
    stopper = EarlyStopping(patience=3, score_function=lambda e: next(scores), trainer=trainer)
    evaluator.add_event_handler(Events.COMPLETED, stopper)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([0]))
    state = trainer.run([0, 0], max_epochs=10)
    return [state.epoch, stopper.counter, dict(stopper.state_dict())]


@scenario
def model_checkpoint():
    model, optimizer = model_and_optimizer()
    trainer = trainer_for(model, optimizer)
    evaluator = create_supervised_evaluator(model, metrics={"acc": Accuracy()})
    folder = OUT / "checkpoints"
    checkpoint = ModelCheckpoint(
        folder,
        "mlp",
        n_saved=2,
        score_function=lambda e: e.state.metrics["acc"],
        score_name="acc",
        global_step_transform=lambda *_: trainer.state.epoch,
    )
    saved_events = []
    # Registered up front (ModelCheckpoint registers CheckpointEvents itself otherwise).
    evaluator.register_events(*CheckpointEvents)
    evaluator.add_event_handler(
        CheckpointEvents.SAVED_CHECKPOINT, lambda e: saved_events.append(Path(checkpoint.last_checkpoint).name)
    )
    evaluator.add_event_handler(Events.COMPLETED, checkpoint, {"model": model, "opt": optimizer})
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(BATCHES))
    every = ModelCheckpoint(folder, "every", n_saved=None, require_empty=False)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=5), every, {"model": model})

    @trainer.on(Events.ITERATION_COMPLETED(once=5))
    def listen(engine):
        # ModelCheckpoint registered CheckpointEvents on the trainer at its first save.
        engine.add_event_handler(
            CheckpointEvents.SAVED_CHECKPOINT, lambda e: saved_events.append(e.state.iteration)
        )

    trainer.run(BATCHES, max_epochs=4)
    files = {}
    for path in sorted(folder.iterdir()):
        loaded = torch.load(path, weights_only=True)
        files[path.name] = hashlib.sha256(repr(loaded).encode()).hexdigest()[:16]
    return [files, saved_events, [list(map(str, item)) for item in checkpoint._saved]]


def _masked(text):
    # Times and rates are the only parts of the bar that depend on the clock.
    return re.sub(r"\d\d:\d\d(<[^\],]*)?|[\d.?]+(it|s)/(s|it)", "T", text)


@scenario
def progress_bar():
    model, optimizer = model_and_optimizer()
    trainer = trainer_for(model, optimizer)
    RunningAverage(output_transform=lambda out: out).attach(trainer, "avg")
    stream = io.StringIO()
    bar = ProgressBar(file=stream, mininterval=0, ncols=100)
    bar.attach(trainer, metric_names=["avg"])
    bar.log_message("a message")
    custom = io.StringIO()
    ProgressBar(file=custom, mininterval=0, persist=True, desc="custom").attach(
        trainer, event_name=Events.ITERATION_COMPLETED(every=2), closing_event_name=Events.COMPLETED
    )
    trainer.run(BATCHES, max_epochs=2)
    return [_masked(stream.getvalue()), _masked(custom.getvalue())]


def _shape(value):
    """A profiler's result without its timings: numbers become "number"; the texts a
    profiler shows for events that never fired (e.g. "not yet triggered") stay."""
    if isinstance(value, (list, tuple)):
        return [_shape(v) for v in value]
    if isinstance(value, dict):  # e.g. event_handlers_stats: per event, per statistic
        return {str(k): _shape(v) for k, v in value.items()}
    if isinstance(value, str):
        return value
    return "number" if math.isfinite(float(value)) else "not finite"


@scenario
def basic_time_profiler():
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: None)
    # The profilers set up their timing of STARTED handlers while STARTED is dispatched.
    engine.add_event_handler(Events.STARTED, lambda e: None)
    profiler = BasicTimeProfiler()
    profiler.attach(engine)
    engine.run(BATCHES, max_epochs=2)
    results = profiler.get_results()
    names = {str(k): v for k, v in profiler.event_handlers_names.items()}
    shapes = {key: {name: _shape(v) for name, v in value.items()} for key, value in results.items()}
    total = results["processing_stats"]["total"]
    return [names, shapes, math.isfinite(float(total))]


@scenario
def handlers_time_profiler():
    engine = Engine(lambda e, b: None)

    def log_epoch(engine):
        pass

    engine.add_event_handler(Events.EPOCH_COMPLETED, log_epoch)
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), log_epoch)
    engine.add_event_handler(Events.STARTED, log_epoch)
    profiler = HandlersTimeProfiler()
    profiler.attach(engine)
    engine.run(BATCHES, max_epochs=2)
    rows = profiler.get_results()
    after = {str(e): [getattr(h, "__qualname__", "?") for h, _, _ in engine._event_handlers[e]]
             for e in (Events.EPOCH_COMPLETED, Events.ITERATION_COMPLETED)}
    return [[row[:2] + [_shape(cell) for cell in row[2:]] for row in rows], after]


class CustomEvents(EventEnum):
    SUB_STEP = "sub_step"


@scenario
def custom_event_enum():
    def step(engine, batch):
        for _ in range(3):
            engine.state.sub_steps += 1
            engine.fire_event(CustomEvents.SUB_STEP)

    engine = Engine(step)
    engine.register_events(*CustomEvents, event_to_attr={CustomEvents.SUB_STEP: "sub_steps"})
    seen = []
    engine.add_event_handler(CustomEvents.SUB_STEP(every=4), lambda e: seen.append(e.state.sub_steps))
    engine.run([0, 0, 0], max_epochs=2)
    return seen


@scenario
def tbptt_events():
    from ignite.contrib.engines.tbptt import Tbptt_Events, create_supervised_tbptt_trainer

    torch.manual_seed(2)
    model = nn.RNN(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    class Last(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = model

        def forward(self, x, hidden=None):
            out, hidden = self.rnn(x, hidden)
            return out, hidden

    trainer = create_supervised_tbptt_trainer(
        Last(), optimizer, lambda out, y: ((out - y) ** 2).mean(), tbtt_step=2
    )
    seen = []
    trainer.add_event_handler(
        Tbptt_Events.TIME_ITERATION_COMPLETED, lambda e: seen.append(r(e.state.output))
    )
    data = [(torch.randn(6, 2, 3), torch.randn(6, 2, 2)) for _ in range(2)]
    trainer.run(data, max_epochs=1)
    return seen


if __name__ == "__main__":
    results = {}
    for name, fn in SCENARIOS.items():
        try:
            results[name] = fn()
        except Exception:  # noqa: BLE001 - the error is the result the test compares
            results[name] = {"error": traceback.format_exc(limit=-3)}
    results["_engine_module"] = Engine.__module__
    print(json.dumps(results))
