"""scripts/gpu_check.py: without CUDA it says so and exits 0; with ``--cpu`` its checks run
on the CPU (so that the script itself does not rot where no GPU is lent)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"


def _run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    # No GPU visible, whatever the machine has.
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_without_cuda_it_says_so_and_exits_0():
    done = _run()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "CUDA is not available (torch.cuda.is_available() is False): no GPU check to run."
    )


def test_its_checks_pass_on_the_cpu():
    pytest.importorskip("ignite")
    done = _run("--cpu")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("oxignite GPU checks on CPU")
    assert lines[1].split() == ["check", "time", "result"]
    results = {line[: line.index("  ")]: line for line in lines[2:]}
    assert len(results) == 7
    for line in results.values():
        assert " ok: " in line or " skipped: " in line, line
    # the CUDA-only ones say why they did not run
    assert (
        "skipped: AMP with a GradScaler is checked on CUDA"
        in results['AMP (amp_mode="amp", GradScaler)']
    )
    assert "ok: gloo: world size 2" in results["2 processes"]


def _load_script():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failing_check_is_reported_and_the_others_still_run(monkeypatch, capsys):
    gpu_check = _load_script()

    def broken(device):
        raise RuntimeError("this check fails\nsecond line")

    checks = [("broken", broken), ("GpuInfo", gpu_check.check_gpu_info)]
    monkeypatch.setattr(gpu_check, "CHECKS", checks)
    assert gpu_check.main(["--cpu"]) == 1
    captured = capsys.readouterr()
    table = captured.out.splitlines()[2:]
    assert table[0].startswith("broken") and table[0].endswith(
        "FAILED: RuntimeError: this check fails"
    )
    assert table[1].startswith("GpuInfo") and table[1].endswith("skipped: GpuInfo needs CUDA")
    assert "--- broken ---" in captured.err and "Traceback" in captured.err
