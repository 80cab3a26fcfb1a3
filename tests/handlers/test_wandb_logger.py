"""WandBLogger against real wandb runs in offline mode (the run's ``.wandb`` file is read back),
side by side with pytorch-ignite's."""

from __future__ import annotations

import json
import struct
import sys
import time

import ignite.handlers.wandb_logger as ig_wandb
import oxignite.handlers.wandb_logger as ox_wandb
import pytest
import torch

from ._logger_parity import (
    IGNITE,
    OXIGNITE,
    bad_step,
    check_module_paths,
    same_error,
    train,
    wrong_logger,
)

wandb = pytest.importorskip("wandb")

MODS = {"ignite": ig_wandb, "oxignite": ox_wandb}


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    if wandb.run is not None:  # a failed test must not leak its run
        wandb.finish()


def _light():
    """Run settings that skip what these tests do not read (console capture, system stats,
    environment metadata): a run then starts in well under a second."""
    return wandb.Settings(
        console="off",
        x_disable_stats=True,
        x_disable_meta=True,
        x_save_requirements=False,
        disable_git=True,
    )


def _records(path) -> list:
    """The protobuf records of an offline run's ``run-*.wandb`` file (a LevelDB-style log)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    block, pos, chunk, records = 32768, 7, b"", []  # 7: the file header ":W&B" + magic/version
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0 and length == 0:
            break
        chunk += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # FULL or LAST fragment
            records.append(chunk)
            chunk = b""
    out = []
    for raw in records:
        rec = pb.Record()
        rec.ParseFromString(raw)
        out.append(rec)
    return out


def _history(run_dir) -> list[tuple[int, dict]]:
    """The ``(step, {name: value})`` history records of a finished offline run."""
    (path,) = run_dir.glob("run-*.wandb")
    # wandb's service may still be writing the file after finish() returned: wait for the
    # run's final "exit" record.
    deadline = time.monotonic() + 30
    records = _records(path)
    while not any(r.WhichOneof("record_type") == "exit" for r in records):
        assert time.monotonic() < deadline, "the offline run was never completed"
        time.sleep(0.05)
        records = _records(path)
    out = []
    for rec in records:
        if rec.WhichOneof("record_type") == "history":
            items = {
                item.key or "/".join(item.nested_key): json.loads(item.value_json)
                for item in rec.history.item
                if not (item.key or item.nested_key[0]).startswith("_")  # _timestamp, _runtime
            }
            out.append((rec.history.step.num, items))
    return out


def _run_and_read(lib, tmp_path):
    mod = MODS[lib.name]
    logger = mod.WandBLogger(
        project="p", dir=str(tmp_path), config={"lr": 0.05}, reinit=True, settings=_light()
    )
    run_dir = tmp_path / "wandb" / "latest-run"
    assert logger.config["lr"] == 0.05  # attributes are forwarded to the wandb module

    def attach(lib, trainer, evaluator, model, optimizer):
        # wandb drops rows logged at a step lower than the last one: the evaluator logs at
        # the trainer's iteration, the learning rate at each iteration.
        logger.attach_output_handler(
            trainer,
            event_name=lib.Events.ITERATION_COMPLETED,
            tag="training",
            output_transform=lambda loss: {"loss": loss},
            state_attributes=["alpha"],
        )
        logger.attach(
            evaluator,
            log_handler=mod.OutputHandler(
                tag="validation",
                metric_names="all",
                global_step_transform=lambda *_: trainer.state.iteration,
            ),
            event_name=lib.Events.EPOCH_COMPLETED,
        )
        logger.attach_opt_params_handler(
            trainer, event_name=lib.Events.ITERATION_STARTED, optimizer=optimizer, tag="opt"
        )

    train(lib, attach)
    logger.close()
    return _history(run_dir.resolve())


def test_same_history_as_ignite(offline):
    ig_hist = _run_and_read(IGNITE, offline)
    ox_hist = _run_and_read(OXIGNITE, offline)

    assert ox_hist == ig_hist
    # wandb merges what is logged at the same step into one history row
    steps = dict(ox_hist)
    assert sorted(steps) == list(range(1, 7))
    assert steps[4]["opt/lr/group_0"] == 0.025
    assert steps[3]["validation/nested/b/1"] == 2.5
    assert steps[6]["validation/per_class/1"] == 0.5
    assert steps[6]["validation/name"] == "run"  # text is logged
    assert steps[6]["training/alpha"] == 0.5
    assert "validation/acc" not in steps[5]


def test_init_false_uses_the_callers_run(offline):
    run = wandb.init(project="p", dir=str(offline), settings=_light())
    logger = ox_wandb.WandBLogger(init=False)
    assert logger.run is run
    engine = OXIGNITE.Engine(lambda e, b: 2.0)
    logger.attach_output_handler(
        engine, event_name=OXIGNITE.Events.EPOCH_COMPLETED, tag="t", output_transform=lambda o: o
    )
    engine.run([0], max_epochs=2)
    logger.close()
    assert _history((offline / "wandb" / "latest-run").resolve()) == [
        (1, {"t/output": 2.0}),
        (2, {"t/output": 2.0}),
    ]


def test_sync_argument_warns_as_ignite():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    for make in (
        lambda m: m.OutputHandler("t", metric_names="all", sync=True),
        lambda m: m.OptimizerParamsHandler(opt, sync=False),
    ):
        with pytest.warns(UserWarning) as ig:
            make(ig_wandb)
        with pytest.warns(UserWarning) as ours:
            make(ox_wandb)
        assert [str(w.message) for w in ours] == [str(w.message) for w in ig]


def test_bad_input_raises_as_ignite(offline):
    logger = ox_wandb.WandBLogger(project="p", dir=str(offline), settings=_light())
    ig_logger = ig_wandb.WandBLogger(init=False)
    try:
        same_error(bad_step(IGNITE, ig_logger, ig_wandb), bad_step(OXIGNITE, logger, ox_wandb))
    finally:
        logger.close()
    same_error(
        wrong_logger(IGNITE, ig_wandb.OutputHandler("t", metric_names="all")),
        wrong_logger(OXIGNITE, ox_wandb.OutputHandler("t", metric_names="all")),
    )
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    same_error(
        wrong_logger(IGNITE, ig_wandb.OptimizerParamsHandler(opt)),
        wrong_logger(OXIGNITE, ox_wandb.OptimizerParamsHandler(opt)),
    )


def test_missing_package_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    same_error(ig_wandb.WandBLogger, ox_wandb.WandBLogger)


def test_module_paths_as_ignite():
    check_module_paths("wandb_logger")
