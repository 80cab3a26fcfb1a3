"""MONAI's engine and handler tests, plain pytorch-ignite vs ``python -m oxignite.accelerate``.

MONAI builds its workflows (SupervisedTrainer, Evaluator) and handlers on pytorch-ignite.
This script runs MONAI's own tests of those, unchanged, twice: with plain ``python -m
pytest`` (pytorch-ignite's code) and with ``python -m oxignite.accelerate -m pytest`` (every
ignite module oxignite has is oxignite's, in the test process and in the processes that
MONAI's ``DistCall`` spawns for the ``*_dist`` tests). It prints passed / failed / errors /
skipped per file and side, and every test whose outcome differs between the two sides.

MONAI's tests are not in its wheel: pass the folder of a MONAI checkout (or unpacked sdist)
that holds ``tests/`` and matches the installed ``monai``, e.g. with git::

    git clone --depth 1 --branch 1.5.0 https://github.com/Project-MONAI/MONAI /tmp/MONAI
    pip install monai==1.5.0 --no-deps   # into a venv that has torch and pytorch-ignite
    python scripts/monai_side_by_side.py --monai /tmp/MONAI

Each side runs one pytest process over every file (importing MONAI once; the two sides at
the same time, ``--timeout`` seconds each), on the CPU (``CUDA_VISIBLE_DEVICES=""``);
``--paths`` picks files or folders under the checkout (default: ``tests/engines
tests/handlers``). The child processes are accelerated only where
oxignite is installed (its startup hook, ``oxignite_accelerate.pth``, is in site-packages).
Exit status: 0 when both sides give every test the same outcome, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SIDES = {"ignite": [], "accelerate": ["-m", "oxignite.accelerate"]}


def test_files(root: Path, paths: list[str]) -> list[str]:
    files: list[str] = []
    for entry in paths:
        target = root / entry
        if target.is_file():
            files.append(entry)
        elif target.is_dir():
            files += sorted(str(p.relative_to(root)) for p in target.glob("test_*.py"))
        else:
            sys.exit(f"--paths {entry}: not under {root}")
    return files


def run_side(python: str, root: Path, side: str, paths: list[str], reports: Path,
             timeout: float) -> dict[str, str]:
    """Every test's outcome on one side: ``file::class::test`` -> passed/failed/error/skipped."""
    report = reports / f"{side}.xml"
    cmd = [python, *SIDES[side], "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
           "--continue-on-collection-errors",
           f"--junitxml={report}", "-o", "junit_family=xunit1"]
    env = {k: v for k, v in os.environ.items() if k != "OXIGNITE_ACCELERATE"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    try:
        subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                       timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"<timeout>": "error"}
    if not report.exists():
        return {"<crashed>": "error"}
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        outcome = next((t for t in ("failure", "error", "skipped") if t in tags), "passed")
        module, _, cls = (case.get("classname") or "").rpartition(".")
        path = case.get("file") or f"{module.replace('.', '/')}.py"
        name = f"{path}::{cls}::{case.get('name')}"
        outcomes[name] = {"failure": "failed"}.get(outcome, outcome)
    return outcomes


def counts(outcomes: dict[str, str]) -> str:
    return " / ".join(str(sum(v == k for v in outcomes.values()))
                      for k in ("passed", "failed", "error", "skipped"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monai", type=Path, required=True,
                        help="a MONAI checkout or unpacked sdist (the folder holding tests/)")
    parser.add_argument("--paths", nargs="+", default=["tests/engines", "tests/handlers"])
    parser.add_argument("--python", default=sys.executable, help="the interpreter to test")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per side")
    args = parser.parse_args()
    if not (args.monai / "tests").is_dir():
        parser.error(f"--monai {args.monai}: no tests/ folder in it")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    files = test_files(args.monai, args.paths)
    with tempfile.TemporaryDirectory() as reports, ThreadPoolExecutor(len(SIDES)) as pool:
        jobs = {side: pool.submit(run_side, args.python, args.monai, side, files,
                                  Path(reports), args.timeout) for side in SIDES}
        outcomes = {side: job.result() for side, job in jobs.items()}
    results = {(side, path): {t: o for t, o in outcomes[side].items()
                              if t.split("::")[0] == path or t.startswith("<")}
               for side in SIDES for path in files}
    print("| file | ignite: passed / failed / errors / skipped "
          "| accelerate: passed / failed / errors / skipped |")
    print("|---|--:|--:|")
    total: dict[str, dict[str, str]] = {side: {} for side in SIDES}
    differ = []
    for path in files:
        theirs, ours = results["ignite", path], results["accelerate", path]
        total["ignite"].update(theirs)
        total["accelerate"].update(ours)
        print(f"| `{path}` | {counts(theirs)} | {counts(ours)} |")
        for test in sorted(set(theirs) | set(ours)):
            if theirs.get(test) != ours.get(test):
                differ.append(f"{test}: ignite {theirs.get(test)}, accelerate {ours.get(test)}")
    print(f"| **total** | **{counts(total['ignite'])}** | **{counts(total['accelerate'])}** |")
    for line in differ:
        print(f"DIFFERS {line}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
