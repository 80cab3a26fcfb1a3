"""``--json`` of compare.py and handlers.py, and the charts scripts/charts.py draws from it.

Runs both benches in quick mode (a few seconds each, nothing timed is asserted): the files
hold one record per printed row, and the charts script turns them into the same SVG bytes
each time.

    pytest benches/test_json_output.py
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

BENCHES = Path(__file__).resolve().parent
CHARTS = BENCHES.parent / "scripts" / "charts.py"
LIBS = ("hand", "ignite", "oxignite")


def run(script: str, *args: str) -> None:
    env = {**os.environ, "OXIGNITE_BENCH_QUICK": "1"}
    subprocess.run(
        [sys.executable, str(BENCHES / script), *args], check=True, env=env, cwd=BENCHES,
        stdout=subprocess.DEVNULL, timeout=600,
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("bench_json")
    paths = {"handlers": folder / "handlers.json", "compare": folder / "compare.json"}
    run("handlers.py", "--stacks", "a", "--json", str(paths["handlers"]))
    run("compare.py", "--skip-handlers", "--json", str(paths["compare"]))
    return paths


def test_handlers_json_has_a_record_per_row(outputs):
    doc = json.loads(outputs["handlers"].read_text())
    assert doc["bench"] == "handlers"
    assert doc["args"]["stacks"] == "a" and doc["args"]["quick"] is True
    assert doc["machine"]["python"] == platform.python_version()
    assert [(s["key"], s["output"]) for s in doc["stacks"]] == [("a", "tensor"), ("a", "float")]
    assert [m["name"] for m in doc["metrics"]] == ["Accuracy", "Loss", "ConfusionMatrix"]
    for record in doc["stacks"] + doc["metrics"]:
        assert all(record[lib] > 0 for lib in LIBS)
        assert record["ox_over_hand"] > 0
    assert doc["mismatches"] == []


def test_compare_json_has_every_scenario(outputs):
    sys.path.insert(0, str(BENCHES))
    try:
        from scenarios import SCENARIOS
    finally:
        sys.path.remove(str(BENCHES))
    doc = json.loads(outputs["compare"].read_text())
    assert doc["bench"] == "compare"
    assert [s["key"] for s in doc["scenarios"]] == [s.key for s in SCENARIOS]
    for record in doc["scenarios"]:
        assert record["calls_match"] is True
        assert record["spread"] is None  # one repeat: no spread to report
        assert all(record[engine] > 0 for engine in ("bare", "ignite", "oxignite"))
    assert doc["stacks"] == [] and doc["metrics"] == []  # --skip-handlers


def test_charts_are_drawn_deterministically(outputs, tmp_path):
    inputs = [str(outputs["compare"]), str(outputs["handlers"])]
    names = ["engine_overhead.svg", "handler_overhead.svg", "handler_stacks.svg",
             "metric_updates.svg"]
    drawn = []
    for attempt in ("first", "second"):
        out = tmp_path / attempt
        subprocess.run([sys.executable, str(CHARTS), *inputs, "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
        assert sorted(p.name for p in out.iterdir()) == names
        drawn.append({name: (out / name).read_bytes() for name in names})
    assert drawn[0] == drawn[1]
    # the footer names the run the figures come from
    assert b"QUICK MODE" in drawn[0]["handler_stacks.svg"]
