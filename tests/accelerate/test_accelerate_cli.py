"""``python -m oxignite.accelerate`` and ``oxignite.accelerate.install()``.

Everything that installs the import redirection runs in a fresh interpreter, so it never
reaches the other tests in this pytest process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import oxignite
import oxignite.accelerate
import pytest

HERE = Path(__file__).parent
TRAINING_SCRIPT = HERE / "ignite_training_script.py"


def _run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


def _engine_log(stderr: str) -> list[str]:
    """The engines' logging lines, with times masked.

    oxignite's engine does not log ignite's ``Epoch[n] Complete. Time taken: ...`` line
    after each epoch (reported to the engine's owners); it is left out on both sides.
    """
    lines = [line for line in stderr.splitlines() if "|" in line]
    lines = [line for line in lines if not re.search(r"\|Epoch\[\d+\] Complete\.", line)]
    return [re.sub(r"\d\d:\d\d:\d\d\.\d+", "T", line) for line in lines]


def test_an_unchanged_ignite_script_gives_ignites_logs_and_files(tmp_path: Path) -> None:
    plain = subprocess.Popen(
        [sys.executable, str(TRAINING_SCRIPT), str(tmp_path / "ignite")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    ours = _run(["-m", "oxignite.accelerate", str(TRAINING_SCRIPT), str(tmp_path / "ox")], tmp_path)
    theirs_out, theirs_err = plain.communicate(timeout=300)
    assert plain.returncode == 0, theirs_err[-3000:]
    assert ours.returncode == 0, ours.stderr[-3000:]
    theirs_log, ours_log = json.loads(theirs_out), json.loads(ours.stdout)
    assert theirs_log[-1] == ["end", 6, 72, True, "ignite.engine.engine"]  # early stopping
    assert ours_log[-1] == ["end", 6, 72, True, "oxignite.engine.engine"]
    assert ours_log[:-1] == theirs_log[:-1]
    assert _engine_log(ours.stderr) == _engine_log(theirs_err)
    assert any("ignite.engine.engine.Engine|INFO|Engine run starting" in line
               for line in _engine_log(ours.stderr))
    theirs_files = {p.name: p.read_bytes() for p in (tmp_path / "ignite").iterdir()}
    ours_files = {p.name: p.read_bytes() for p in (tmp_path / "ox").iterdir()}
    assert len(theirs_files) == 2
    assert ours_files == theirs_files


PROBE = textwrap.dedent(
    """
    import json, os, sys
    print(json.dumps({
        "name": __name__,
        "argv": sys.argv,
        "path0": sys.path[0],
        "installed": __import__("oxignite.accelerate").accelerate.is_installed(),
    }))
    sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
    """
)


def test_a_script_runs_as_main_with_its_own_argv_and_directory(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "probe.py").write_text(PROBE)
    result = _run(["-m", "oxignite.accelerate", "project/probe.py", "--lr", "0.1", "x"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "name": "__main__",
        "argv": ["project/probe.py", "--lr", "0.1", "x"],
        "path0": str(folder),
        "installed": True,
    }


def test_a_module_runs_as_main_like_python_dash_m(tmp_path: Path) -> None:
    (tmp_path / "probe_module.py").write_text(PROBE)
    result = _run(["-m", "oxignite.accelerate", "-m", "probe_module", "a"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["name"] == "__main__" and out["installed"] is True
    assert out["argv"][1:] == ["a"] and out["argv"][0].endswith("probe_module.py")


def test_the_scripts_exit_status_and_errors_come_through(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    exited = _run(["-m", "oxignite.accelerate", "probe.py"], tmp_path,
                  env={**os.environ, "PROBE_EXIT": "3"})
    assert exited.returncode == 3
    (tmp_path / "fails.py").write_text("raise KeyError('from the script')\n")
    failed = _run(["-m", "oxignite.accelerate", "fails.py"], tmp_path)
    assert failed.returncode == 1
    assert "KeyError: 'from the script'" in failed.stderr


def test_usage_errors(tmp_path: Path) -> None:
    bare = _run(["-m", "oxignite.accelerate"], tmp_path)
    assert bare.returncode == 2 and "usage: python -m oxignite.accelerate" in bare.stderr
    no_module = _run(["-m", "oxignite.accelerate", "-m"], tmp_path)
    assert no_module.returncode == 2 and "-m needs a module name" in no_module.stderr
    helped = _run(["-m", "oxignite.accelerate", "--help"], tmp_path)
    assert helped.returncode == 0 and "usage:" in helped.stdout
    missing = _run(["-m", "oxignite.accelerate", "no_such_script.py"], tmp_path)
    assert missing.returncode == 2
    assert "can't open file 'no_such_script.py'" in missing.stderr
    no_such = _run(["-m", "oxignite.accelerate", "-m", "no_such_module_xyz"], tmp_path)
    assert no_such.returncode == 1
    assert "no module named 'no_such_module_xyz'" in no_such.stderr


def test_without_pytorch_ignite_it_says_so_and_exits_non_zero(tmp_path: Path) -> None:
    # A real interpreter without site-packages: oxignite from its source folder, no ignite.
    (tmp_path / "probe.py").write_text(PROBE)
    source = str(Path(oxignite.__file__).parent.parent)
    result = _run(["-S", "-m", "oxignite.accelerate", "probe.py"], tmp_path,
                  env={**os.environ, "PYTHONPATH": source})
    assert result.returncode == 1
    assert "pytorch-ignite is not installed" in result.stderr
    assert result.stdout == ""


def test_install_refuses_once_ignites_engine_is_loaded() -> None:
    import ignite.engine  # noqa: F401 - ignite's own engine, in this process

    with pytest.raises(RuntimeError, match="must run before ignite is imported"):
        oxignite.accelerate.install()
    assert not oxignite.accelerate.is_installed()


ROUND_TRIP = textwrap.dedent(
    """
    import json, sys
    import oxignite.accelerate as accelerate
    import oxignite.engine
    accelerate.install()
    accelerate.install()  # a second call changes nothing
    import ignite.engine, ignite.engine.engine
    from ignite.engine import Engine, Events, EventEnum, State
    from ignite.engine.engine import Engine as DeepEngine
    from ignite.engine.deterministic import DeterministicEngine
    served = [
        Engine is oxignite.engine.Engine, DeepEngine is Engine,
        ignite.engine.engine is sys.modules["oxignite.engine.engine"],
        Events is oxignite.engine.Events, EventEnum is oxignite.engine.EventEnum,
        State is oxignite.engine.State, issubclass(DeterministicEngine, oxignite.engine.Engine),
        oxignite.engine.engine.__spec__.name,
        Engine(lambda e, b: None).logger.name,
        sys.meta_path.count(accelerate._FINDER),
    ]
    accelerate.uninstall()
    import ignite.engine
    restored = [
        ignite.engine.Engine is oxignite.engine.Engine, ignite.engine.Engine.__module__,
        accelerate.is_installed(),
        oxignite.engine.Engine(lambda e, b: None).logger.name,
    ]
    print(json.dumps([served, restored]))
    """
)


def test_install_serves_ignites_engine_modules_and_uninstall_undoes_it(tmp_path: Path) -> None:
    result = _run(["-c", ROUND_TRIP], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    served, restored = json.loads(result.stdout)
    assert served == [
        True, True, True, True, True, True, True,
        "oxignite.engine.engine",
        "ignite.engine.engine.Engine",
        1,
    ]
    assert restored == [False, "ignite.engine.engine", False, "oxignite.engine.engine.Engine"]
