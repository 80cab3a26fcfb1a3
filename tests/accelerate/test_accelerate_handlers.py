"""pytorch-ignite's own handlers and metrics under ``python -m oxignite.accelerate``.

``ignite_handlers_script.py`` runs one scenario per handler as an ignite user writes it.
It runs twice, in fresh interpreters (so the import redirection never reaches this pytest
process): with plain ``python`` on ignite's engine, and under ``oxignite.accelerate`` on
oxignite's. Each scenario's result (metric values, learning rates, the early-stopping epoch,
progress-bar text with times masked, checkpoint names and contents, profiler tables
without their timings) must be the same, and no scenario may fail.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("ignite_handlers_script.py")


SCENARIOS = [
    "engine_identity",
    "running_average_and_accuracy",
    "terminate_on_nan",
    "timer",
    "piecewise_linear",
    "time_limit",
    "ema_handler",
    "early_stopping",
    "model_checkpoint",
    "progress_bar",
    "basic_time_profiler",
    "handlers_time_profiler",
    "custom_event_enum",
    "tbptt_events",
]


def _start(prefix: list[str], out_dir: Path) -> subprocess.Popen:
    out_dir.mkdir()
    return subprocess.Popen(
        [sys.executable, *prefix, str(SCRIPT), str(out_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("accelerate_handlers")
    # Both interpreters at once: most of each run is importing torch.
    ignite = _start([], root / "ignite")
    accelerated = _start(["-m", "oxignite.accelerate"], root / "accelerated")
    return {"ignite": _finish(ignite), "accelerated": _finish(accelerated), "root": root}


def test_the_accelerated_run_used_oxignites_engine(runs: dict) -> None:
    assert runs["ignite"]["_engine_module"] == "ignite.engine.engine"
    assert runs["accelerated"]["_engine_module"] == "oxignite.engine.engine"
    assert sorted(k for k in runs["accelerated"] if not k.startswith("_")) == sorted(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_an_ignite_handler_gives_ignites_result(runs: dict, scenario: str) -> None:
    theirs = runs["ignite"][scenario]
    ours = runs["accelerated"][scenario]
    assert not (isinstance(theirs, dict) and "error" in theirs), theirs
    assert not (isinstance(ours, dict) and "error" in ours), ours["error"]
    assert ours == theirs


def test_engine_identity_holds_under_accelerate(runs: dict) -> None:
    assert runs["accelerated"]["engine_identity"] == {
        "is_ignite_engine": True,
        "events_member": True,
        "logger": "ignite.engine.engine.Engine",
    }


def test_checkpoint_files_are_byte_identical(runs: dict) -> None:
    def digests(folder: Path) -> dict:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    theirs = digests(runs["root"] / "ignite" / "checkpoints")
    ours = digests(runs["root"] / "accelerated" / "checkpoints")
    assert len(theirs) == 6
    assert ours == theirs
