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


def _missing_inner_api(scenario: str) -> str | None:
    """What oxignite's engine still lacks of what ignite's time profilers use, or None.

    Both insert rows into ``engine._event_handlers``; HandlersTimeProfiler also names each
    row's handler by its ``__qualname__`` (ignite's filter wrapper copies the handler's, via
    functools.wraps).
    """
    from oxignite.engine import Engine, Events

    def handler(engine: Engine) -> None:
        pass

    engine = Engine(lambda engine, batch: None)
    try:
        engine._event_handlers[Events.STARTED].insert(0, (handler, (), {}))
    except (KeyError, AttributeError, TypeError):
        return "needs a live engine._event_handlers (issue 9 part 1)"
    # ignite dispatches over the live list: rows that a handler appends to, or replaces in,
    # the list of the event being dispatched are called in that same dispatch. The profilers
    # set up their timing of STARTED handlers that way, from a STARTED handler.
    calls: list = []

    def add_row(engine: Engine) -> None:
        engine._event_handlers[Events.STARTED].append((lambda: calls.append(1), (), {}))

    other = Engine(lambda engine, batch: None)
    other.add_event_handler(Events.STARTED, add_row)
    other.run([0])
    if not calls:
        return (
            "rows appended to engine._event_handlers[E] during E's dispatch are not called "
            "in that dispatch (ignite's profilers time STARTED handlers this way)"
        )
    if scenario != "handlers_time_profiler":
        return None
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), handler)
    row = engine._event_handlers[Events.ITERATION_COMPLETED][0][0]
    if getattr(row, "__qualname__", None) != handler.__qualname__:
        return (
            "a filtered handler's row in engine._event_handlers does not carry the "
            "handler's __qualname__ as ignite's functools.wraps wrapper does"
        )
    return None


def _profiler_mark(scenario: str) -> pytest.MarkDecorator:
    # Expected to fail, naming the reason, until the engine's inner API is complete.
    needs = _missing_inner_api(scenario) if scenario.endswith("time_profiler") else None
    return pytest.mark.xfail(needs is not None, reason=needs or "", strict=True)


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


@pytest.mark.parametrize(
    "scenario",
    [pytest.param(s, marks=_profiler_mark(s)) for s in SCENARIOS],
)
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
