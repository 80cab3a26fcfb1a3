"""Train an MLP on scikit-learn's digits data set (8x8 images, 10 classes; no download).

Shows the parts of a real training script, written as for pytorch-ignite (swap ignite for
oxignite in the imports):

- create_supervised_trainer / create_supervised_evaluator, validation accuracy and loss
  after every epoch, a progress bar;
- the 2 best models by validation accuracy, plus a "last" checkpoint of trainer, model,
  optimizer and handler states, from which --resume continues (the epoch count goes on);
- early stopping: with the defaults the run stops at about epoch 17 of 30, after 5 epochs
  without a better validation accuracy;
- preemption: SIGTERM (what a cluster sends before it stops a job), SIGUSR1 or Ctrl-C stop the
  run at the end of the current iteration, save the "last" checkpoint there and print the
  one command that continues it exactly (a DeterministicEngine: same batches, same results);
- TensorBoard logs; distributed data parallel on the CPU: --nproc 2 spawns 2 gloo processes
  (torchrun --nproc_per_node=2 -m oxignite.examples.digits works too), with the same sample
  order, global batches and exact evaluation whatever the number of processes.

Everything goes to OUTPUT_DIR: checkpoints/, tb/ (TensorBoard) and summary.json. A folder
holds one run: a new run into a folder with an earlier run's files refuses to start unless
given --resume (continue it) or --overwrite (delete its files first).

Usage:

    python -m oxignite.examples.digits
    python -m oxignite.examples.digits --epochs 40 --patience 10 --resume
    python -m oxignite.examples.digits --nproc 2 --output-dir runs/digits2
    python -m oxignite.examples.digits --overwrite --profile runs/digits/profile
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

# The run folder's layout (digits_training writes it).
SUMMARY_FILE = "summary.json"
CHECKPOINT_DIR = "checkpoints"
TENSORBOARD_DIR = "tb"


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the description's line breaks and shows every default."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options (parsed before torch is imported, so ``--help`` is instant).

    Example::

        args = parse_args(["--epochs", "3"])
    """
    p = argparse.ArgumentParser(
        prog="python -m oxignite.examples.digits",
        description=__doc__,
        formatter_class=_HelpFormatter,
    )
    p.add_argument("--epochs", type=int, default=30, help="total number of epochs")
    p.add_argument("--output-dir", default="runs/digits", help="checkpoints, logs and summary")
    p.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
    p.add_argument(
        "--overwrite", action="store_true", help="delete an earlier run in --output-dir first"
    )
    p.add_argument("--nproc", type=int, default=1, help="processes to spawn (gloo)")
    p.add_argument("--backend", default="gloo", help="distributed backend (gloo or nccl)")
    p.add_argument("--batch-size", type=int, default=64, help="global batch size")
    p.add_argument("--lr", type=float, default=0.1, help="SGD learning rate")
    p.add_argument(
        "--patience", type=int, default=5, help="early stopping: epochs without improvement"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the data split, order and init")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="time the run in the engine's core; write DIR/trace.json (open it in "
        "ui.perfetto.dev) and DIR/timeline.png (needs matplotlib)",
    )
    args = p.parse_args(argv)
    if args.resume and args.overwrite:
        p.error("--resume and --overwrite exclude each other")
    return args


def last_checkpoint(ckpt_dir: Path) -> Path | None:
    """The newest ``last_*.pt`` in ``ckpt_dir`` by the step number in its name, or None."""

    def step_of(path: Path) -> int:
        found = re.search(r"_(\d+)\.pt$", path.name)
        return int(found.group(1)) if found else -1

    files = sorted(ckpt_dir.glob("last_*.pt"), key=lambda p: (step_of(p), p.stat().st_mtime))
    return files[-1] if files else None


def continue_command(config: dict) -> str:
    """The command that continues a run stopped by a signal (the same options, --resume)."""
    parts = [f"{Path(sys.executable).name} -m oxignite.examples.digits", "--resume"]
    parts.append(f"--output-dir {config['output_dir']}")
    parts.append(f"--epochs {config['epochs']}")
    if config.get("nproc", 1) > 1:
        parts.append(f"--nproc {config['nproc']}")
    return " ".join(parts)


def train_further_hint(config: dict, early_stopped: bool) -> str:
    """The options that continue a finished run."""
    if early_stopped:
        return f"--resume --patience {config['patience'] + 5}"
    return f"--resume --epochs {config['epochs'] + 10}"


def tensorboard_command(tb_dir: Path) -> str:
    """A TensorBoard command that works without activating the virtual environment."""
    exe = Path(sys.executable).parent / "tensorboard"
    return f"{exe if exe.exists() else 'tensorboard'} --logdir {tb_dir}"


def _earlier_run_files(out: Path) -> list[Path]:
    found = [out / SUMMARY_FILE] if (out / SUMMARY_FILE).exists() else []
    for sub in (CHECKPOINT_DIR, TENSORBOARD_DIR):
        if (out / sub).is_dir() and any((out / sub).iterdir()):
            found.append(out / sub)
    return found


def _prepare_run_folder(args: argparse.Namespace, out: Path) -> Path | None:
    """Apply the one-run-per-folder rule; return the checkpoint to resume from, if any.

    Raises SystemExit with a one-line message (before anything is written) when the folder
    and the options disagree.
    """
    if args.resume:
        path = last_checkpoint(out / CHECKPOINT_DIR)
        if path is None:
            raise SystemExit(
                f"error: --resume: no checkpoint in {out / CHECKPOINT_DIR}; "
                "start a new run without --resume"
            )
        return path
    earlier = _earlier_run_files(out)
    if earlier and not args.overwrite:
        raise SystemExit(
            f"error: {out} holds an earlier run; continue it with --resume, "
            "or delete it and start over with --overwrite"
        )
    if os.environ.get("RANK", "0") != "0":
        return None  # under torchrun, rank 0 alone deletes
    for path in earlier:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return None


def finished_run_message(config: dict, epoch: int, stop_counter: int) -> str | None:
    """One line saying the run to resume is already finished, or None if it is not."""
    if epoch >= config["epochs"]:
        return (
            f"{config['output_dir']}: already trained {epoch} of --epochs {config['epochs']}; "
            f"to train further: {train_further_hint(config, early_stopped=False)}"
        )
    if stop_counter >= config["patience"]:
        return (
            f"{config['output_dir']}: stopped early at epoch {epoch} (no better accuracy for "
            f"{stop_counter} epochs, --patience {config['patience']}); to train further: "
            f"{train_further_hint(config, early_stopped=True)}"
        )
    return None


@contextlib.contextmanager
def _launcher_ignores_stop_signals(spawning: bool) -> Iterator[None]:
    """While --nproc processes run, the launcher ignores SIGTERM, SIGUSR1 and Ctrl-C: the
    processes stop on them by themselves (saving first), and the launcher waits for them."""
    if not spawning:
        yield
        return
    stops = (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in stops}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


def _launched_by_torchrun() -> bool:
    return all(k in os.environ for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE"))


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the example; return the summary (also written to OUTPUT_DIR/summary.json).

    Example::

        summary = main(["--epochs", "2", "--output-dir", "/tmp/digits", "--no-progress"])
        summary["best_val_accuracy"]
    """
    args = parse_args(argv)
    out = Path(args.output_dir).resolve()
    resume_from = _prepare_run_folder(args, out)
    config = {
        **vars(args),
        "output_dir": str(out),
        "resume_from": resume_from and str(resume_from),
        "profile": args.profile and str(Path(args.profile).resolve()),
    }

    # Imported here: torch takes seconds to import, and --help or a refusal need none of it.
    import oxignite.distributed as idist
    from oxignite.examples import digits_training

    if resume_from is not None:
        epoch, stop_counter = digits_training.checkpoint_progress(resume_from)
        message = finished_run_message(config, epoch, stop_counter)
        if message is not None:
            print(message, flush=True)  # nothing is written
            summary_path = out / SUMMARY_FILE
            return json.loads(summary_path.read_text()) if summary_path.exists() else {}

    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_FILE).unlink(missing_ok=True)
    if _launched_by_torchrun():
        parallel = idist.Parallel(backend=args.backend)  # join torchrun's process group
    elif args.nproc > 1:
        parallel = idist.Parallel(backend=args.backend, nproc_per_node=args.nproc)
    else:
        parallel = idist.Parallel(backend=None)
    spawning = args.nproc > 1 and not _launched_by_torchrun()
    with parallel as p, _launcher_ignores_stop_signals(spawning):
        p.run(digits_training.training, config)
    summary_path = out / SUMMARY_FILE
    return json.loads(summary_path.read_text()) if summary_path.exists() else {}


if __name__ == "__main__":
    main(sys.argv[1:])
