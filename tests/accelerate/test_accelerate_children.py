"""The Python processes an accelerated process starts are accelerated too.

``oxignite.accelerate.install()`` sets ``OXIGNITE_ACCELERATE``; the startup hook installed
with oxignite (``oxignite_accelerate.pth`` in site-packages) installs the same mode at the
start of every Python that inherits it. ``children_script.py`` runs plain and under
``python -m oxignite.accelerate``: each child (``idist.Parallel``'s spawned ranks, a
``subprocess`` Python, spawn DataLoader workers, torchrun's workers) reports which code serves ``ignite`` and a
value it computed, which must be the same on both sides.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("children_script.py")
HOOK = "oxignite_accelerate.pth"


def _hook_installed() -> bool:
    folders = [*site.getsitepackages(), site.getusersitepackages()]
    return any(os.path.isfile(os.path.join(folder, HOOK)) for folder in folders)


pytestmark = pytest.mark.skipif(
    not _hook_installed(),
    reason=f"oxignite's startup hook ({HOOK}) is not in this Python's site-packages: "
    "oxignite runs from a source folder, not installed (pip install -e . installs it)",
)

IGNITE = {"engine": "ignite.engine.engine", "accuracy": "ignite.metrics.accuracy", "mode": None}
OXIGNITE = {"engine": "oxignite.engine.engine", "accuracy": "oxignite.metrics.accuracy",
            "mode": "all"}
ENGINE_ONLY = {"engine": "oxignite.engine.engine", "accuracy": "ignite.metrics.accuracy",
               "mode": "engine"}


def _start(kinds: str, prefix: list[str], out_dir: Path) -> subprocess.Popen:
    out_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "OXIGNITE_ACCELERATE"}
    return subprocess.Popen(
        [sys.executable, *prefix, str(SCRIPT), kinds, str(out_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _reports(process: subprocess.Popen, out_dir: Path) -> dict:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    return {path.stem: json.loads(path.read_text()) for path in out_dir.iterdir()}


def _split(reports: dict) -> tuple[dict, dict]:
    """Which code served each process, and what each computed."""
    served = {name: {k: v for k, v in r.items() if k != "value"} for name, r in reports.items()}
    return served, {name: r["value"] for name, r in reports.items()}


def _side_by_side(kinds: str, tmp_path: Path, option: list[str]) -> dict:
    """Which code served each process under accelerate, after checking that plain python
    gave ignite's everywhere and that every process computed the same values."""
    plain = _start(kinds, [], tmp_path / "plain")
    accelerated = _start(kinds, ["-m", "oxignite.accelerate", *option], tmp_path / "ours")
    theirs = _split(_reports(plain, tmp_path / "plain"))
    ours = _split(_reports(accelerated, tmp_path / "ours"))
    assert ours[1] == theirs[1]
    assert all(served == IGNITE for served in theirs[0].values())
    return ours[0]


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # One run per side for the three kinds: each starts torch in several processes.
    kinds = "spawn,subprocess,dataloader,torchrun"
    return _side_by_side(kinds, tmp_path_factory.mktemp("children"), [])


def test_idist_parallel_spawn_ranks_are_accelerated(every_kind: dict) -> None:
    assert every_kind["parent"] == OXIGNITE
    assert every_kind["rank0"] == every_kind["rank1"] == OXIGNITE


def test_torchrun_workers_are_accelerated(every_kind: dict) -> None:
    assert every_kind["torchrun0"] == every_kind["torchrun1"] == OXIGNITE


def test_subprocess_pythons_are_accelerated_unless_turned_off(every_kind: dict) -> None:
    assert every_kind["child"] == OXIGNITE
    assert every_kind["child_off"] == IGNITE  # OXIGNITE_ACCELERATE=0 in its environment


def test_spawn_dataloader_workers_are_accelerated(every_kind: dict) -> None:
    assert every_kind["worker0"] == every_kind["worker1"] == OXIGNITE
    assert every_kind["batches"] == OXIGNITE


def test_children_get_the_engine_only_mode(tmp_path: Path) -> None:
    ours = _side_by_side("subprocess", tmp_path, ["--engine-only"])
    assert ours == {"parent": ENGINE_ONLY, "child": ENGINE_ONLY, "child_off": IGNITE}


def test_no_children_keeps_it_to_the_process(tmp_path: Path) -> None:
    ours = _side_by_side("subprocess", tmp_path, ["--no-children"])
    assert ours == {"parent": OXIGNITE, "child": IGNITE, "child_off": IGNITE}


def test_the_hook_costs_nothing_without_the_variable(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "OXIGNITE_ACCELERATE"}
    code = "import sys; print(sorted(m for m in sys.modules if 'ignite' in m))"
    for value in (None, "0", ""):
        run_env = env if value is None else {**env, "OXIGNITE_ACCELERATE": value}
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True, env=run_env, cwd=tmp_path)
        assert result.stdout == "[]\n"  # nothing of oxignite's (or ignite's) imported
    check = "import oxignite.accelerate as a; print(a.mode())"
    bad = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         check=True, env={**env, "OXIGNITE_ACCELERATE": "yes"}, cwd=tmp_path)
    assert bad.stdout == "None\n"
    assert "OXIGNITE_ACCELERATE='yes' is not one of 'all', 'engine', '0'" in bad.stderr
