"""An ignite user's script runs unchanged on oxignite but for its imports.

The script below is written for pytorch-ignite. The test runs it as is, then with
``ignite`` replaced by ``oxignite`` in its imports, each in a fresh interpreter, and checks
that both print the same training log and final metrics.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

IGNITE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from ignite.engine import Events, create_supervised_trainer, create_supervised_evaluator
    from ignite.metrics import Accuracy, Loss, RunningAverage
    from ignite.handlers import EarlyStopping, ModelCheckpoint, Timer, TerminateOnNan

    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = torch.randn(256, 8)
    y = (x[:, 0] + x[:, 1] > 0).long()
    train = DataLoader(TensorDataset(x[:192], y[:192]), batch_size=16, shuffle=False)
    val = DataLoader(TensorDataset(x[192:], y[192:]), batch_size=32)

    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    criterion = nn.CrossEntropyLoss()
    trainer = create_supervised_trainer(model, optimizer, criterion)
    evaluator = create_supervised_evaluator(
        model, metrics={"accuracy": Accuracy(), "loss": Loss(criterion)}
    )
    RunningAverage(output_transform=lambda out: out).attach(trainer, "avg_loss")
    trainer.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    timer = Timer(average=True)
    timer.attach(trainer, step=Events.ITERATION_COMPLETED)
    log = []

    @trainer.on(Events.ITERATION_COMPLETED(every=6))
    def log_loss(engine):
        log.append(["iter", engine.state.iteration, round(engine.state.metrics["avg_loss"], 5)])

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine):
        evaluator.run(val)
        metrics = evaluator.state.metrics
        log.append(["epoch", engine.state.epoch, round(metrics["accuracy"], 5),
                    round(metrics["loss"], 5)])

    def score(engine):
        return engine.state.metrics["accuracy"]

    evaluator.add_event_handler(
        Events.COMPLETED, EarlyStopping(patience=2, score_function=score, trainer=trainer)
    )
    checkpoint = ModelCheckpoint(sys.argv[1], "model", n_saved=2, require_empty=False,
                                 score_function=score, score_name="acc")
    evaluator.add_event_handler(Events.COMPLETED, checkpoint, {"model": model})
    state = trainer.run(train, max_epochs=6)
    log.append(["end", state.epoch, state.iteration, timer.value() > 0])
    print(json.dumps(log))
    """
)


def _run(script: str, out_dir: str) -> list:
    result = subprocess.run(
        [sys.executable, "-c", script, out_dir],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_ignite_script_runs_unchanged_but_for_its_imports(tmp_path):
    oxignite_script = IGNITE_SCRIPT.replace("from ignite.", "from oxignite.")
    assert oxignite_script.count("from oxignite.") == 3
    theirs = _run(IGNITE_SCRIPT, str(tmp_path / "ignite"))
    ours = _run(oxignite_script, str(tmp_path / "oxignite"))
    assert ours == theirs
    assert ours[-1][0] == "end" and ours[-1][3] is True
    saved = sorted(p.name for p in (tmp_path / "oxignite").iterdir())
    assert saved == sorted(p.name for p in (tmp_path / "ignite").iterdir())
    assert len(saved) == 2
