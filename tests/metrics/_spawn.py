"""Two-process (gloo) runs of a worker script of this folder, for the distributed metrics
tests: the script runs once per test module, writing each rank's results as JSON, and is
also loaded as a module to compute the single-process reference."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import oxignite.distributed as idist


def load_worker(filename: str) -> ModuleType:
    path = Path(__file__).with_name(filename)
    spec = importlib.util.spec_from_file_location(f"_oxignite_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_worker(filename: str, out: Path, timeout: float) -> list[dict]:
    """Run the worker (which spawns 2 ranks) with results under ``out``; the ranks' results."""
    env = dict(os.environ)
    package_root = str(Path(idist.__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_PORT"):
        env.pop(key, None)
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name(filename)), str(out)],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]
