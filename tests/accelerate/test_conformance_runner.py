"""``scripts/ignite_conformance.py``: its rewrite, its per-file counts, its exit status.

The end-to-end test runs the script on a small stand-in for ignite's sdist folder (a
``tests/ignite`` with two files that need no torch), so it takes seconds; CI runs the
script on the real suite (``scripts/test.sh``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ignite_conformance.py"


@pytest.fixture(scope="module")
def conformance():
    spec = importlib.util.spec_from_file_location("ignite_conformance", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ignite_conformance"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["ignite_conformance"]


@pytest.mark.parametrize(
    ("source", "rewritten"),
    [
        ("import ignite\nx = 1\n", "import oxignite as ignite\nx = 1\n"),
        ("    import ignite\n", "    import oxignite as ignite\n"),
        ("from ignite import distributed as idist\n", "from oxignite import distributed as idist\n"),
        ("import ignite.distributed as idist\n", "import oxignite.distributed as idist\n"),
        ("from ignite.engine.engine import Engine\n", "from oxignite.engine.engine import Engine\n"),
        ('patch("ignite.engine._check_arg")\n', 'patch("oxignite.engine._check_arg")\n'),
        ('assert "ignite.distributed.utils INFO" in out\n',
         'assert "oxignite.distributed.utils INFO" in out\n'),
        # The suite's own package, prose and unrelated names stay.
        ("from tests.ignite import is_mps\n", "from tests.ignite import is_mps\n"),
        ("# pytorch-ignite.ai and ignite docs\n", "# pytorch-ignite.ai and ignite docs\n"),
        ("import ignite_extra\nmy_ignite.run()\n", "import ignite_extra\nmy_ignite.run()\n"),
    ],
)
def test_rewrite_changes_only_module_paths(conformance, source: str, rewritten: str) -> None:
    assert conformance.rewrite_source(source) == rewritten


FAKE_TEST = textwrap.dedent(
    """
    import pytest

    def test_passes():
        assert True

    def test_fails():
        assert 1 == 2, "one is not two"

    @pytest.mark.skip(reason="not here")
    def test_skipped():
        pass

    @pytest.mark.distributed
    def test_distributed_is_deselected():
        raise AssertionError("must not run")

    class TestGroup:
        @pytest.mark.parametrize("n", [1, 2])
        def test_param(self, n):
            assert n == 1
    """
)


def _fake_sdist(root: Path) -> Path:
    suite = root / "pytorch-ignite-0.5.5" / "tests" / "ignite"
    (suite / "engine").mkdir(parents=True)
    (root / "pytorch-ignite-0.5.5" / "tests" / "__init__.py").write_text("")
    (suite / "__init__.py").write_text("")
    (suite / "engine" / "__init__.py").write_text("")
    (suite / "engine" / "test_fake.py").write_text(FAKE_TEST)
    (suite / "test_broken.py").write_text("import ignite.no_such_module\n")
    return root / "pytorch-ignite-0.5.5"


def test_counts_per_file_and_mode_and_exit_status(tmp_path: Path, conformance) -> None:
    sdist = _fake_sdist(tmp_path)
    out = tmp_path / "results.json"
    cmd = [sys.executable, str(SCRIPT), "--sdist", str(sdist), "--paths", "tests/ignite",
           "--json", str(out), "--failures", "--jobs", "2"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {(r["path"], r["mode"]): r for r in json.loads(out.read_text())}
    for mode in ("rewrite", "accelerate"):
        fake = rows[("tests/ignite/engine/test_fake.py", mode)]
        assert (fake["passed"], fake["failed"], fake["errors"], fake["skipped"]) == (2, 2, 0, 1)
        assert sorted(line.split(":")[0] + ":" + line.split("::")[-1].split(":")[0]
                      for line in fake["failures"]) == [
            "FAILURE tests/ignite/engine/test_fake.py:test_fails",
            "FAILURE tests/ignite/engine/test_fake.py:test_param[2]",
        ]
        assert any("TestGroup::test_param[2]" in line for line in fake["failures"])
        broken = rows[("tests/ignite/test_broken.py", mode)]
        assert broken["errors"] == 1 and broken["passed"] == 0
    assert "oxignite.no_such_module" in rows[("tests/ignite/test_broken.py", "rewrite")]["failures"][0]
    assert "| `engine/test_fake.py` | 2 / 2 / 0 / 1 | 2 / 2 / 0 / 1 |" in result.stdout
    assert "| **total** | **2 / 2 / 1 / 1** | **2 / 2 / 1 / 1** |" in result.stdout

    # One file with failures is enough for --strict (the later --paths wins).
    strict_cmd = cmd + ["--strict", "--modes", "accelerate", "--paths", "tests/ignite/engine"]
    strict = subprocess.run(strict_cmd, capture_output=True, text=True, timeout=300, check=False)
    assert strict.returncode == 1


FAKE_DISTRIBUTED_TEST = textwrap.dedent(
    """
    import os
    from pathlib import Path

    import pytest

    MODE = Path(__file__).resolve().parents[3].name  # the runner's folder per mode

    @pytest.mark.distributed
    def test_every_rank_runs_it(worker_id):
        assert os.environ["WORLD_SIZE"] == "2"
        assert worker_id in ("gw0", "gw1")

    @pytest.mark.distributed
    def test_fails_on_one_rank(worker_id):
        assert worker_id == "gw0", "rank 1 differs"

    @pytest.mark.distributed
    def test_accelerate_hook_in_the_workers():
        import oxignite.accelerate

        assert oxignite.accelerate.is_installed() == (MODE == "accelerate")

    def test_not_distributed_is_deselected():
        raise AssertionError("must not run")
    """
)


def test_distributed_runs_marked_tests_once_per_rank_and_counts_them_once(
    tmp_path: Path,
) -> None:
    pytest.importorskip("xdist")
    sdist = _fake_sdist(tmp_path)
    (sdist / "tests" / "ignite" / "distributed").mkdir()
    (sdist / "tests" / "ignite" / "distributed" / "test_dist_fake.py").write_text(
        FAKE_DISTRIBUTED_TEST
    )
    out = tmp_path / "results.json"
    cmd = [sys.executable, str(SCRIPT), "--sdist", str(sdist), "--paths", "tests/ignite",
           "--distributed", "--modes", "rewrite", "accelerate", "ignite", "--json", str(out),
           "--failures"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {(r["path"], r["mode"]): r for r in json.loads(out.read_text())}
    # Only files with distributed tests run: engine/test_fake.py has one, test_broken.py none.
    assert sorted({path for path, _ in rows}) == [
        "tests/ignite/distributed/test_dist_fake.py",
        "tests/ignite/engine/test_fake.py",
    ]
    for mode in ("rewrite", "accelerate", "ignite"):
        fake = rows[("tests/ignite/distributed/test_dist_fake.py", mode)]
        assert (fake["passed"], fake["failed"], fake["errors"], fake["skipped"]) == (2, 1, 0, 0)
        assert len(fake["failures"]) == 1 and "test_fails_on_one_rank" in fake["failures"][0]
        engine = rows[("tests/ignite/engine/test_fake.py", mode)]
        assert (engine["passed"], engine["failed"]) == (0, 1)  # its marked test raises
    assert "2 processes, gloo" in result.stdout


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    for args, message in (
        (["--world-size", "1"], "--world-size must be at least 2"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--timeout", "-1"], "--timeout must be positive"),
        (["--modes", "other"], "invalid choice"),
        (["--sdist", str(tmp_path)], "no tests/ignite folder"),
    ):
        result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                                text=True, timeout=60, check=False)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr


def test_suite_env_runs_clearml_repo_detection_in_task_init(conformance, tmp_path):
    # Read back by ClearML itself: a config it did not understand would leave its default
    # (detection in a thread of its own, which races with its reporter's fork).
    pytest.importorskip("clearml")
    env = conformance.suite_env(tmp_path)
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    read = "from clearml.config import config; print(config.get('development.vcs_repo_detect_async'))"
    # No user configuration: a HOME of its own and no config file of the caller's.
    base = {k: v for k, v in os.environ.items() if k != "CLEARML_CONFIG_FILE"}
    base["HOME"] = str(tmp_path / "home")
    for extra, expected in (({}, "True"), (env, "False")):
        out = subprocess.run(
            [sys.executable, "-c", read],
            env={**base, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == expected
