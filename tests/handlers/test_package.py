from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import ignite.handlers as ig
import oxignite.handlers as ours


def test_public_names_match_ignite():
    for name in ours.__all__:
        assert hasattr(ours, name)
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


def test_import_isolation():
    """The engine never pulls in the handlers, and the handlers never import ignite."""
    script = textwrap.dedent(
        """
        import sys
        import oxignite, oxignite.engine
        assert "oxignite.handlers" not in sys.modules
        import oxignite.handlers
        import oxignite.handlers.tensorboard_logger, oxignite.handlers.base_logger
        bad = sorted(m for m in sys.modules if m == "ignite" or m.startswith("ignite."))
        assert not bad, bad
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
