"""The digits demo end to end: 1 process in this process, 2 processes spawned by --nproc 2 in
a subprocess, and --resume. (torchrun launches are covered by tests/distributed; the demo under
torchrun adds ~10 s of process start-up, so it is not repeated here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")
digits = pytest.importorskip("oxignite.examples.digits")

TIMEOUT = 120
N_VAL = 359


def _env() -> dict:
    env = dict(os.environ)
    package_root = str(Path(digits.__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _run(out: Path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "oxignite.examples.digits", "--output-dir", str(out), *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Digits MLP: summary" in proc.stdout
    return json.loads((out / digits.SUMMARY_FILE).read_text())


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    out = tmp_path_factory.mktemp("digits1")
    summary = digits.main(["--epochs", "2", "--output-dir", str(out), "--no-progress"])
    return out, summary


def test_single_process_run(single: tuple) -> None:
    out, s = single
    assert s["epochs"] == 2 and s["start_epoch"] == 0 and s["world_size"] == 1
    assert [r["epoch"] for r in s["history"]] == [1, 2]
    assert s["best_val_accuracy"] > 0.85
    assert len(s["best_checkpoints"]) == 2
    assert [p.name for p in (out / "checkpoints").glob("last_*.pt")] == [
        Path(s["last_checkpoint"]).name
    ]
    assert any((out / "tb").iterdir())  # TensorBoard event file
    assert (out / digits.SUMMARY_FILE).exists()


def test_resume_continues_epoch_count(single: tuple) -> None:
    out, first = single
    s = digits.main(["--epochs", "4", "--output-dir", str(out), "--no-progress", "--resume"])
    assert s["start_epoch"] == 2 and s["epochs"] == 4
    # Epochs 1-2 come from the checkpointed history, 3-4 were trained now.
    assert [r["epoch"] for r in s["history"]] == [1, 2, 3, 4]
    assert s["history"][:2] == first["history"]
    assert len(list((out / "checkpoints").glob("best_*.pt"))) == 2  # still n_saved=2
    assert len(list((out / "checkpoints").glob("last_*.pt"))) == 1


def test_resume_without_checkpoint_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no last"):
        digits.main(["--epochs", "1", "--output-dir", str(tmp_path), "--resume", "--no-progress"])


def _same_accuracies(a: dict, b: dict) -> None:
    acc_a = [r["accuracy"] for r in a["history"]]
    acc_b = [r["accuracy"] for r in b["history"]]
    # Same global batches and exact evaluation: equal up to float rounding (at most one sample).
    assert acc_a == pytest.approx(acc_b, abs=1.01 / N_VAL)


def test_two_processes_match_one(single: tuple, tmp_path: Path) -> None:
    s = _run(tmp_path, "--nproc", "2", "--epochs", "2", "--no-progress")
    assert s["world_size"] == 2 and s["epochs"] == 2
    assert len(s["best_checkpoints"]) == 2  # written once, by rank 0
    _same_accuracies(s, single[1])

