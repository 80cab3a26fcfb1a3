"""pytorch-ignite's own mnist and reinforcement-learning examples, plain vs accelerated.

    python scripts/ignite_examples_side_by_side.py [--sdist pytorch_ignite-0.5.5.tar.gz]

Unpacks the examples of pytorch-ignite's sdist (``--sdist``: the archive or its unpacked
folder; default: ``pip download`` it) in a temporary folder and runs each example unchanged
twice, with plain ``python`` and with ``python -m oxignite.accelerate``, then compares their
output (stdout and stderr, times and tqdm's rates masked). Small and offline: ``mnist.py``
trains 2 epochs on a synthetic MNIST of 256 + 128 random images written in torchvision's raw
format where the example looks for it (so nothing is downloaded); ``reinforce.py`` and
``actor_critic.py`` run 20 CartPole episodes (they need ``gymnasium``; skipped without it).
The examples seed nothing before they build their models (and torch's default seed differs
per process), so each runs through a two-line wrapper that seeds torch, ``random`` and NumPy
with 0 and then runs the example as ``__main__`` with its own ``sys.argv`` and folder. Exit
status 0 when every example that ran printed the same on both sides.
"""

from __future__ import annotations

import argparse
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

EXAMPLES = {
    "mnist/mnist.py": ["--epochs", "2", "--batch_size", "32", "--val_batch_size", "64",
                       "--log_interval", "2"],
    "reinforcement_learning/reinforce.py": ["--max-episodes", "20", "--log-interval", "5"],
    "reinforcement_learning/actor_critic.py": ["--max-episodes", "20", "--log-interval", "5"],
}
NEEDS = {"reinforcement_learning/reinforce.py": "gymnasium",
         "reinforcement_learning/actor_critic.py": "gymnasium"}
MASKS = [
    (re.compile(r"\d+\.\d+(e-?\d+)? seconds"), "T seconds"),  # "EPOCH_COMPLETED took ..."
    (re.compile(r"\d\d:\d\d(:\d\d)?(<\d\d:\d\d)?, *[\d.?]+ ?(it|s)/(s|it)"), "RATE"),  # tqdm
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+"), "DATE"),  # logging's asctime
    (re.compile(r"Time taken: \d\d:\d\d:\d\d(\.\d+)?"), "Time taken: T"),
]


def write_mnist(root: Path, seed: int = 0) -> None:
    """A synthetic MNIST in torchvision's raw files (``MNIST/raw/*-ubyte``)."""
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, count in (("train", 256), ("t10k", 128)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 2049, count) + labels.tobytes())


SEEDED = """import random, runpy, sys
import numpy, torch
torch.manual_seed(0); random.seed(0); numpy.random.seed(0)
sys.argv = sys.argv[1:]
sys.path[0] = __import__("os").path.dirname(sys.argv[0])
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def masked(text: str) -> list[str]:
    # tqdm redraws with carriage returns: compare what each redraw showed.
    lines = [part for line in text.splitlines() for part in line.split("\r") if part.strip()]
    for pattern, replacement in MASKS:
        lines = [pattern.sub(replacement, line) for line in lines]
    return lines


def run(python: str, prefix: list[str], script: Path, args: list[str], cwd: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OXIGNITE_ACCELERATE"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    (cwd / "seeded.py").write_text(SEEDED)
    result = subprocess.run([python, *prefix, "seeded.py", str(script), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=1200, check=False)
    return [f"exit {result.returncode}", *masked(result.stdout), "--- stderr",
            *masked(result.stderr)]


def examples_folder(sdist: Path | None, work: Path, python: str) -> Path:
    if sdist is None:
        subprocess.run([python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "pytorch-ignite==0.5.5", "-d", str(work), "--quiet"], check=True)
        sdist = next(work.glob("pytorch*ignite*.tar.gz"))
    if sdist.is_dir():
        return sdist / "examples"
    with tarfile.open(sdist) as archive:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(work / "unpacked", **safe)
    return next((work / "unpacked").glob("*/examples"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdist", type=Path, help="pytorch-ignite 0.5.5's sdist or its folder")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to test")
    args = parser.parse_args()
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = examples_folder(args.sdist, work, args.python)
        for example, example_args in EXAMPLES.items():
            needs = NEEDS.get(example)
            check = [args.python, "-c", f"import {needs}"] if needs else None
            if check and subprocess.run(check, capture_output=True, check=False).returncode:
                print(f"SKIPPED {example}: needs {needs}")
                continue
            outputs = {}
            for side, prefix in (("ignite", []), ("accelerate", ["-m", "oxignite.accelerate"])):
                cwd = work / side / example.replace("/", "_")
                cwd.mkdir(parents=True)
                write_mnist(cwd)
                outputs[side] = run(args.python, prefix, folder / example, example_args, cwd)
            verdict = "SAME" if outputs["ignite"] == outputs["accelerate"] else "DIFFERENT"
            same &= verdict == "SAME"
            print(f"{verdict} {example} {' '.join(example_args)}: "
                  f"{len(outputs['ignite'])} lines ({outputs['ignite'][0]})")
            if verdict == "DIFFERENT":
                for theirs, ours in zip(outputs["ignite"], outputs["accelerate"]):
                    if theirs != ours:
                        print(f"  ignite:     {theirs}\n  accelerate: {ours}")
                print(f"  lengths: {len(outputs['ignite'])} vs {len(outputs['accelerate'])}")
            else:
                print("  " + "\n  ".join(outputs["ignite"][:12]))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
