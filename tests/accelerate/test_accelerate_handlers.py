"""pytorch-ignite's own handlers and metrics under ``python -m oxignite.accelerate``.

``ignite_handlers_script.py`` runs one scenario per handler as an ignite user writes it.
It runs three times, in fresh interpreters (so the import redirection never reaches this
pytest process): with plain ``python`` (pytorch-ignite's code), under ``oxignite.accelerate``
(oxignite's handlers and metrics under ignite's names) and under ``oxignite.accelerate
--engine-only`` (ignite's handlers and metrics on oxignite's engine). Each scenario's result
(metric values, learning rates, the early-stopping epoch, progress-bar text with times
masked, checkpoint names and contents, profiler tables without their timings) must be the
same, and no scenario may fail, except two documented differences of oxignite's own
handlers in the default mode (``DIFFERENCES``).
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
    # The interpreters at once: most of each run is importing torch.
    started = {
        "ignite": _start([], root / "ignite"),
        "accelerated": _start(["-m", "oxignite.accelerate"], root / "accelerated"),
        "engine_only": _start(["-m", "oxignite.accelerate", "--engine-only"],
                              root / "engine_only"),
    }
    return {**{side: _finish(process) for side, process in started.items()}, "root": root}


def test_the_accelerated_runs_used_oxignites_engine(runs: dict) -> None:
    assert runs["ignite"]["_engine_module"] == "ignite.engine.engine"
    for side in ("accelerated", "engine_only"):
        assert runs[side]["_engine_module"] == "oxignite.engine.engine"
        assert sorted(k for k in runs[side] if not k.startswith("_")) == sorted(SCENARIOS)


def _frames(text: str) -> list[str]:
    return [frame for frame in text.split("\r") if frame.strip()]


def _bar_shows_ignites_frames(ours: list[str], theirs: list[str]) -> None:
    """oxignite's ProgressBar draws only when tqdm's redraw test passes, with the text
    ignite's would show then (README: "ProgressBar"); ignite redraws after each of its calls.
    Every frame drawn is one of ignite's, in ignite's order, and each bar ends on ignite's
    last frame."""
    assert len(ours) == len(theirs)
    for our_text, their_text in zip(ours, theirs):
        ours_frames, theirs_frames = _frames(our_text), iter(_frames(their_text))
        assert all(frame in theirs_frames for frame in ours_frames)  # an ordered subsequence
        assert ours_frames[-1] == _frames(their_text)[-1]


def _profiler_times_filtered_handlers(ours: list, theirs: list) -> None:
    """oxignite's HandlersTimeProfiler times a filtered handler's real calls; ignite's hides
    every call of a filtered handler under a time threshold, so a quick one reads "not
    triggered". And the core does the timing, so no profiler handler stays attached to the
    engine, where ignite's leaves its ``_timeit_processing`` (oxignite.handlers.time_profilers
    documents both)."""
    not_triggered = ["not triggered", ["None", "None"], ["None", "None"], "None", "None"]
    timed = ["number", ["number", "number"], ["number", "number"], "number", "number"]
    rows, their_rows = ours[0], theirs[0]
    assert len(rows) == len(their_rows)
    for row, their_row in zip(rows, their_rows):
        if row[1] == "ITERATION_COMPLETED" and their_row[2:] == not_triggered:
            assert row[:2] == their_row[:2] and row[2:] == timed
        else:
            assert row == their_row
    handlers, their_handlers = ours[1], theirs[1]
    assert handlers == {event: [name for name in names
                                if not name.startswith("HandlersTimeProfiler.")]
                        for event, names in their_handlers.items()}


# Scenarios where oxignite's own handler (the default mode) differs from ignite's on purpose.
DIFFERENCES = {
    "progress_bar": _bar_shows_ignites_frames,
    "handlers_time_profiler": _profiler_times_filtered_handlers,
}


@pytest.mark.parametrize("side", ["accelerated", "engine_only"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_an_ignite_handler_gives_ignites_result(runs: dict, scenario: str, side: str) -> None:
    theirs = runs["ignite"][scenario]
    ours = runs[side][scenario]
    assert not (isinstance(theirs, dict) and "error" in theirs), theirs
    assert not (isinstance(ours, dict) and "error" in ours), ours["error"]
    if side == "accelerated" and scenario in DIFFERENCES:
        assert ours != theirs  # else the difference is gone: drop it from DIFFERENCES
        DIFFERENCES[scenario](ours, theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize("side", ["accelerated", "engine_only"])
def test_engine_identity_holds_under_accelerate(runs: dict, side: str) -> None:
    assert runs[side]["engine_identity"] == {
        "is_ignite_engine": True,
        "events_member": True,
        "logger": "ignite.engine.engine.Engine",
    }


@pytest.mark.parametrize("side", ["accelerated", "engine_only"])
def test_checkpoint_files_are_byte_identical(runs: dict, side: str) -> None:
    def digests(folder: Path) -> dict:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    theirs = digests(runs["root"] / "ignite" / "checkpoints")
    ours = digests(runs["root"] / side / "checkpoints")
    assert len(theirs) == 6
    assert ours == theirs
