"""An unchanged pytorch-ignite training script (not a test module).

``test_accelerate_cli.py`` runs it with ``python`` and with ``python -m oxignite.accelerate``
and compares its printed log, its logging output and the checkpoint files it writes.
Usage: ``ignite_training_script.py OUTPUT_DIR [MAX_EPOCHS]``.
"""

import json
import logging
import sys

import torch
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import (
    EarlyStopping,
    ModelCheckpoint,
    TerminateOnNan,
    Timer,
    global_step_from_engine,
)
from ignite.metrics import Accuracy, Loss, RunningAverage
from ignite.utils import setup_logger
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

logging.basicConfig(
    level=logging.INFO, format="%(name)s|%(levelname)s|%(message)s", stream=sys.stderr
)
torch.manual_seed(0)
torch.set_num_threads(1)
x = torch.randn(256, 8)
y = (x[:, 0] + x[:, 1] > 0).long()
train = DataLoader(TensorDataset(x[:192], y[:192]), batch_size=16, shuffle=True)
val = DataLoader(TensorDataset(x[192:], y[192:]), batch_size=32)

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
trainer = create_supervised_trainer(model, optimizer, criterion)
evaluator = create_supervised_evaluator(
    model, metrics={"accuracy": Accuracy(), "loss": Loss(criterion)}
)
evaluator.logger = setup_logger("evaluator", level=logging.WARNING, stream=sys.stderr)
assert isinstance(trainer, Engine)
RunningAverage(output_transform=lambda out: out).attach(trainer, "avg_loss")
trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
timer = Timer(average=True)
timer.attach(trainer, step=Events.ITERATION_COMPLETED)
log = []


@trainer.on(Events.ITERATION_COMPLETED(every=5))
def log_loss(engine):
    log.append(["iter", engine.state.iteration, round(engine.state.metrics["avg_loss"], 5)])


@trainer.on(Events.EPOCH_COMPLETED)
def validate(engine):
    evaluator.run(val)
    metrics = evaluator.state.metrics
    log.append(["epoch", engine.state.epoch, round(metrics["accuracy"], 5), round(metrics["loss"], 5)])


def score(engine):
    return -engine.state.metrics["loss"]


def accuracy(engine):
    return engine.state.metrics["accuracy"]


evaluator.add_event_handler(
    Events.COMPLETED, EarlyStopping(patience=2, score_function=accuracy, trainer=trainer)
)
checkpoint = ModelCheckpoint(
    sys.argv[1],
    "model",
    n_saved=2,
    require_empty=False,
    score_function=score,
    score_name="neg_loss",
    global_step_transform=global_step_from_engine(trainer),
)
evaluator.add_event_handler(Events.COMPLETED, checkpoint, {"model": model, "optimizer": optimizer})
state = trainer.run(train, max_epochs=int(sys.argv[2]) if len(sys.argv) > 2 else 8)
log.append(["end", state.epoch, state.iteration, timer.value() > 0, type(trainer).__module__])
print(json.dumps(log))
