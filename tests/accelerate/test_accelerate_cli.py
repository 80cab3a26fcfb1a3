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


def _engine_log(stderr: str, engine_only: bool) -> list[str]:
    """The logging lines that reach the root logger, with times masked.

    oxignite's engine does not log ignite's ``Epoch[n] Complete. Time taken: ...`` line
    after each epoch (reported to the engine's owners); it is left out on both sides. With
    oxignite's handlers (the default mode), only the engine's lines are compared: ignite's
    EarlyStopping and TerminateOnNan log through a handler of their own (ignite's
    ``setup_logger``, not propagated to the root logger), oxignite's through the root
    logger (a difference of the handlers, reported to their owners).
    """
    lines = [line for line in stderr.splitlines() if "|" in line]
    lines = [line for line in lines if not re.search(r"\|Epoch\[\d+\] Complete\.", line)]
    if not engine_only:
        lines = [line for line in lines if line.startswith("ignite.engine.engine.")]
    return [re.sub(r"\d\d:\d\d:\d\d\.\d+", "T", line) for line in lines]


@pytest.mark.parametrize("engine_only", [False, True], ids=["default", "engine_only"])
def test_an_unchanged_ignite_script_gives_ignites_logs_and_files(
    tmp_path: Path, engine_only: bool
) -> None:
    plain = subprocess.Popen(
        [sys.executable, str(TRAINING_SCRIPT), str(tmp_path / "ignite")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    option = ["--engine-only"] if engine_only else []
    ours = _run(["-m", "oxignite.accelerate", *option, str(TRAINING_SCRIPT), str(tmp_path / "ox")],
                tmp_path)
    theirs_out, theirs_err = plain.communicate(timeout=300)
    assert plain.returncode == 0, theirs_err[-3000:]
    assert ours.returncode == 0, ours.stderr[-3000:]
    theirs_log, ours_log = json.loads(theirs_out), json.loads(ours.stdout)
    assert theirs_log[-1] == ["end", 6, 72, True, "ignite.engine.engine"]  # early stopping
    assert ours_log[-1] == ["end", 6, 72, True, "oxignite.engine.engine"]
    assert ours_log[:-1] == theirs_log[:-1]
    assert _engine_log(ours.stderr, engine_only) == _engine_log(theirs_err, engine_only)
    assert any("ignite.engine.engine.Engine|INFO|Engine run starting" in line
               for line in _engine_log(ours.stderr, engine_only))
    theirs_files = {p.name: p.read_bytes() for p in (tmp_path / "ignite").iterdir()}
    ours_files = {p.name: p.read_bytes() for p in (tmp_path / "ox").iterdir()}
    assert len(theirs_files) == 2
    assert ours_files == theirs_files


PROBE = textwrap.dedent(
    """
    import json, os, sys
    print(json.dumps({
        "name": __name__,
        "file": __file__,
        "argv": sys.argv,
        "path0": sys.path[0],
        "spec": getattr(__spec__, "name", None),
        "package": __package__,
        "cached": globals().get("__cached__"),
        "main_is_this_module": vars(sys.modules["__main__"]) is globals(),
        "accelerated": "oxignite.accelerate" in sys.modules
        and sys.modules["oxignite.accelerate"].is_installed(),
    }))
    sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
    """
)


def _side_by_side(args: list[str], cwd: Path) -> tuple[dict, dict]:
    """The probe's report under plain ``python args`` and ``python -m oxignite.accelerate
    args``, with the one expected difference (accelerated or not) checked and removed."""
    plain = _run(args, cwd)
    ours = _run(["-m", "oxignite.accelerate", *args], cwd)
    assert plain.returncode == 0, plain.stderr
    assert ours.returncode == 0, ours.stderr
    theirs, mine = json.loads(plain.stdout), json.loads(ours.stdout)
    assert theirs.pop("accelerated") is False and mine.pop("accelerated") is True
    return theirs, mine


def test_a_script_in_a_subfolder_runs_as_python_runs_it(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "probe.py").write_text(PROBE)
    (tmp_path / "linked.py").symlink_to(folder / "probe.py")
    for script in ("project/probe.py", "./project/../project/probe.py", "linked.py"):
        theirs, mine = _side_by_side([script, "--lr", "0.1", "x"], tmp_path)
        assert mine == theirs
    # What python gives (3.9+): an absolute __file__ as joined, argv as given, the script's
    # real folder first on sys.path, no spec, the script's globals as __main__.
    assert mine == {
        "name": "__main__", "file": str(tmp_path / "linked.py"),
        "argv": ["linked.py", "--lr", "0.1", "x"], "path0": str(folder), "spec": None,
        "package": None, "cached": None, "main_is_this_module": True,
    }


def test_a_script_that_changes_folder_finds_files_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "data.txt").write_text("beside the script")
    (folder / "reader.py").write_text(
        "import os\nos.chdir('/')\n"
        "print(open(os.path.join(os.path.dirname(__file__), 'data.txt')).read())\n"
    )
    plain = _run(["sub/reader.py"], tmp_path)
    ours = _run(["-m", "oxignite.accelerate", "sub/reader.py"], tmp_path)
    assert plain.returncode == 0 and ours.returncode == 0, ours.stderr
    assert ours.stdout == plain.stdout == "beside the script\n"


def test_a_module_runs_as_python_dash_m_runs_it(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "probe_module.py").write_text(PROBE)
    theirs, mine = _side_by_side(["-m", "pkg.probe_module", "a"], tmp_path)
    assert mine == theirs
    assert mine["name"] == "__main__" and mine["spec"] == "pkg.probe_module"
    assert mine["argv"] == [str(package / "probe_module.py"), "a"]
    assert mine["path0"] == str(tmp_path) and mine["package"] == "pkg"


def test_a_folder_with_a_main_runs_with_that_folder_first_on_sys_path(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__main__.py").write_text(PROBE)
    theirs, mine = _side_by_side(["app"], tmp_path)
    # Known difference: runpy gives the folder's absolute path as sys.argv[0].
    assert theirs.pop("argv") == ["app"] and mine.pop("argv") == [str(tmp_path / "app")]
    assert mine == theirs


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
    assert "--engine-only" in helped.stdout and "--no-children" in helped.stdout
    missing = _run(["-m", "oxignite.accelerate", "no_such_script.py"], tmp_path)
    assert missing.returncode == 2
    assert "can't open file 'no_such_script.py'" in missing.stderr
    unknown = _run(["-m", "oxignite.accelerate", "--fast", "probe.py"], tmp_path)
    assert unknown.returncode == 2 and "unknown option '--fast'" in unknown.stderr
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
    accelerate.install(engine_only=True)
    accelerate.install(engine_only=True)  # a second call changes nothing
    import ignite.engine, ignite.engine.engine, ignite.metrics
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
        ignite.metrics.Accuracy.__module__,  # ignite's own metrics, on oxignite's engine
        accelerate.mode(),
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


def test_engine_only_serves_ignites_two_engine_modules_and_uninstall_undoes_it(tmp_path: Path) -> None:
    result = _run(["-c", ROUND_TRIP], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    served, restored = json.loads(result.stdout)
    assert served == [
        True, True, True, True, True, True, True,
        "oxignite.engine.engine",
        "ignite.engine.engine.Engine",
        1,
        "ignite.metrics.accuracy",
        "engine",
    ]
    assert restored == [False, "ignite.engine.engine", False, "oxignite.engine.engine.Engine"]


EVERYTHING = textwrap.dedent(
    """
    import importlib, importlib.metadata, json, os, pickle, re, sys
    import oxignite.accelerate as accelerate
    accelerate.install()
    import ignite
    import ignite.contrib.metrics.regression._base as ignites_own  # oxignite has no such file
    served = {}
    for name in %r:
        module = importlib.import_module("ignite." + name)
        served[name] = module is importlib.import_module("oxignite." + name)
    from ignite.metrics import Accuracy
    from ignite.handlers import ProgressBar
    import oxignite.metrics, oxignite.handlers
    accuracy = Accuracy()
    copy = pickle.loads(pickle.dumps(accuracy))
    print(json.dumps({
        "served": served,
        "version": [ignite.__version__, importlib.metadata.version("pytorch-ignite")],
        "package_file": os.path.relpath(ignite.__file__, os.path.dirname(ignite.__path__[0])),
        "lacking": [ignites_own.__name__,
                    ignites_own.__file__.startswith(ignite.__path__[0])],
        "same_classes": [Accuracy is oxignite.metrics.Accuracy,
                         ProgressBar is oxignite.handlers.ProgressBar,
                         isinstance(oxignite.metrics.Accuracy(), Accuracy),
                         type(copy) is Accuracy],
        "pickled_as": [n.decode() for n in sorted(set(re.findall(rb"\\w*ignite\\.[\\w.]+", pickle.dumps(accuracy))))],
        "mode": accelerate.mode(),
        "children": os.environ.get("OXIGNITE_ACCELERATE"),
        "engine_logger": ignite.engine.Engine(lambda e, b: None).logger.name,
    }))
    """
)
SERVED = [
    "engine", "engine.engine", "engine.events", "engine.deterministic", "handlers",
    "handlers.checkpoint", "handlers.tqdm_logger", "metrics", "metrics.accuracy",
    "metrics.nlp", "metrics.regression", "contrib", "contrib.handlers", "contrib.metrics",
    "distributed", "distributed.utils", "distributed.comp_models.native", "base",
    "base.mixins", "utils", "exceptions", "_utils",
]


def test_install_serves_every_module_oxignite_has_as_the_same_object(tmp_path: Path) -> None:
    result = _run(["-c", EVERYTHING % (SERVED,)], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["served"] == {name: True for name in SERVED}
    assert out["version"] == ["0.5.5", "0.5.5"]  # pytorch-ignite's, as installed
    assert out["package_file"] == os.path.join("ignite", "__init__.py")
    assert out["lacking"] == ["ignite.contrib.metrics.regression._base", True]
    assert out["same_classes"] == [True, True, True, True]
    # By oxignite's qualified names: any process can load it, accelerated or not.
    assert out["pickled_as"] and all(n.startswith("oxignite.") for n in out["pickled_as"])
    assert out["mode"] == "all" and out["children"] == "all"
    assert out["engine_logger"] == "ignite.engine.engine.Engine"


MISUSE = textwrap.dedent(
    """
    import oxignite.accelerate as accelerate
    errors = []
    for call in (lambda: accelerate.install(engine_only="yes"),
                 lambda: accelerate.install(children=1)):
        try:
            call()
        except TypeError as error:
            errors.append(str(error))
    accelerate.install()
    try:
        accelerate.install(engine_only=True)
    except RuntimeError as error:
        errors.append(str(error))
    print("\\n".join(errors))
    """
)


def test_bad_arguments_and_a_second_mode_are_refused(tmp_path: Path) -> None:
    result = _run(["-c", MISUSE], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        "engine_only must be a bool, got 'yes'",
        "children must be a bool, got 1",
        ("oxignite.accelerate is installed with engine_only=False; call uninstall() before "
         "installing it with another mode"),
    ]


def test_install_refuses_once_ignites_handlers_are_loaded(tmp_path: Path) -> None:
    code = "import ignite.handlers.timing, oxignite.accelerate as a\na.install()\n"
    result = _run(["-c", code], tmp_path)
    assert result.returncode == 1
    assert re.search(
        r"RuntimeError: oxignite.accelerate.install\(\) must run before ignite is imported: "
        r"ignite\.[\w.]+, ignite\.[\w.]+, ignite\.[\w.]+, \.\.\. already loaded with "
        r"pytorch-ignite's code",
        result.stderr,
    ), result.stderr[-2000:]
