from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import ignite.handlers as ig
import oxignite.handlers as ours

# Opt-in additions that ignite lacks (documented as oxignite only).
OXIGNITE_ONLY = {"TerminateOnSignal", "find_latest_checkpoint", "resume_from_latest"}


def test_public_names_match_ignite():
    for name in ours.__all__:
        assert hasattr(ours, name)
        if name in OXIGNITE_ONLY:
            assert not hasattr(ig, name)
            continue
        in_ignite = hasattr(ig, name) or hasattr(ig.checkpoint, name)
        assert in_ignite, f"{name} is not an ignite.handlers name"
    for module in (
        "checkpoint",
        "tensorboard_logger",
        "tqdm_logger",
        "param_scheduler",
        "base_logger",
    ):
        ours_mod = getattr(ours, module)
        ig_mod = getattr(ig, module)
        for name in getattr(ours_mod, "__all__", []):
            assert hasattr(ig_mod, name), f"ignite.handlers.{module} has no {name}"


def test_engine_does_not_import_handlers_or_torch():
    script = textwrap.dedent(
        """
        import sys
        import oxignite, oxignite.engine
        loaded = [m for m in ("oxignite.handlers", "torch") if m in sys.modules]
        assert not loaded, loaded
        print("ok")
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_handlers_never_import_ignite():
    root = Path(ours.__file__).parent
    files = sorted(root.glob("*.py"))
    assert len(files) >= 9
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "ignite", f"{path.name} imports {name}"
