"""The digits demo end to end: 1 process in this process, 2 processes spawned by --nproc 2 in
a subprocess, and --resume. (torchrun launches are covered by tests/distributed; the demo under
torchrun adds ~10 s of process start-up, so it is not repeated here.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
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


def _files(folder: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_resume_without_checkpoint_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with pytest.raises(SystemExit, match=r"^error: --resume: no checkpoint in .*checkpoints"):
        digits.main(["--epochs", "1", "--output-dir", str(out), "--resume", "--no-progress"])
    assert not out.exists()


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    out = tmp_path_factory.mktemp("digits_default")
    return out, digits.main(["--output-dir", str(out), "--no-progress"])


def test_default_run_shows_early_stopping(default_run: tuple) -> None:
    _, s = default_run
    assert s["max_epochs"] == 30
    assert s["early_stopped"] and s["epochs"] < 30
    # Stopped `patience` epochs after the best one.
    assert s["epochs"] - s["best_epoch"] == digits.parse_args([]).patience


def test_fresh_run_into_earlier_run_refuses(default_run: tuple) -> None:
    out, _ = default_run
    before = _files(out)
    with pytest.raises(SystemExit, match=r"earlier run.*--resume.*--overwrite"):
        digits.main(["--epochs", "1", "--output-dir", str(out), "--no-progress"])
    assert _files(out) == before


def test_resume_of_finished_run_says_how_to_go_on(default_run: tuple, capsys) -> None:
    out, s = default_run
    before = _files(out)
    again = digits.main(["--output-dir", str(out), "--no-progress", "--resume"])
    message = capsys.readouterr().out.strip()
    assert message.count("\n") == 0
    assert "stopped early" in message and "--resume --patience 10" in message
    assert again == s and _files(out) == before


def test_resume_after_all_epochs_says_how_to_go_on(tmp_path: Path, capsys) -> None:
    digits.main(["--epochs", "1", "--output-dir", str(tmp_path), "--no-progress"])
    capsys.readouterr()
    before = _files(tmp_path)
    digits.main(["--epochs", "1", "--output-dir", str(tmp_path), "--no-progress", "--resume"])
    message = capsys.readouterr().out.strip()
    assert message.endswith(
        "already trained 1 of --epochs 1; to train further: --resume --epochs 11"
    )
    assert _files(tmp_path) == before


def test_overwrite_replaces_the_earlier_run(tmp_path: Path) -> None:
    digits.main(["--epochs", "2", "--output-dir", str(tmp_path), "--no-progress"])
    s = digits.main(
        ["--epochs", "1", "--output-dir", str(tmp_path), "--no-progress", "--overwrite"]
    )
    assert s["epochs"] == 1 and len(s["history"]) == 1
    ckpts = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert ckpts == sorted([*s["best_checkpoints"], Path(s["last_checkpoint"]).name])
    assert len(list((tmp_path / "tb").iterdir())) == 1


def test_help_is_quick_and_shows_defaults() -> None:
    code = (
        "import sys\n"
        "from oxignite.examples import digits\n"
        "try:\n"
        "    digits.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO TORCH')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env={**_env(), "COLUMNS": "200"},  # one line per option
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("NO TORCH")
    for default in ("(default: 30)", "(default: runs/digits)", "(default: 5)", "(default: 0)"):
        assert default in proc.stdout
    assert "``" not in proc.stdout


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


def test_profile_writes_a_trace_and_a_timeline(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    profile = tmp_path / "profile"
    digits.main(
        [
            "--epochs",
            "2",
            "--output-dir",
            str(tmp_path / "run"),
            "--no-progress",
            "--profile",
            str(profile),
        ]
    )
    trace = json.loads((profile / "trace.json").read_text())
    names = {e["name"] for e in trace["traceEvents"] if e.get("ph") == "X"}
    # The trainer's events, its batches, and the handlers of both engines.
    expected = {"EPOCH_COMPLETED", "process", "fetch", "training.<locals>.validate"}
    assert expected | {"Checkpoint", "EarlyStopping", "OutputHandler"} <= names
    png = (profile / "timeline.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_with_a_save_and_one_line_then_resume_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, signum: int
) -> None:
    """Ctrl-C / SIGTERM while a batch of epoch 2 is loaded: the iteration finishes, the "last"
    checkpoint is saved there, one line says how to continue; that command finishes the run
    with every epoch validated once."""
    from oxignite.examples import digits_training

    real_load_data = digits_training.load_data

    class SignalOnce(torch.utils.data.Dataset):
        def __init__(self, dataset, at: int) -> None:
            self.dataset, self.left = dataset, at

        def __len__(self) -> int:
            return len(self.dataset)

        def __getitem__(self, index):
            self.left -= 1
            if self.left == 0:
                os.kill(os.getpid(), signum)  # the demo's loader runs in this process
            return self.dataset[index]

    def load_data(seed: int = 0):
        train, val = real_load_data(seed)
        return SignalOnce(train, at=len(train) + 100), val

    monkeypatch.setattr(digits_training, "load_data", load_data)
    out = tmp_path / "run"
    stopped = digits.main(["--epochs", "3", "--output-dir", str(out), "--no-progress"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Stopped")]
    assert len(lines) == 1
    assert stopped["stopped_by_signal"] == signal.Signals(signum).name
    assert stopped["epoch"] == 2 and 22 < stopped["iteration"] < 44  # 22 batches per epoch
    checkpoint = Path(stopped["checkpoint"])
    assert checkpoint.name == f"last_checkpoint_{stopped['iteration']}.pt"
    command = lines[0].split("To continue: ")[1].split()
    assert command[1:] == [
        "-m", "oxignite.examples.digits", "--resume", "--output-dir", str(out), "--epochs", "3"
    ]  # fmt: skip

    monkeypatch.setattr(digits_training, "load_data", real_load_data)
    summary = digits.main([*command[3:], "--no-progress"])
    assert summary["epochs"] == 3 and summary["start_epoch"] == 1
    assert [r["epoch"] for r in summary["history"]] == [1, 2, 3]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
