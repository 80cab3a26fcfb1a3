"""TerminateOnSignal: stop a run cleanly when the process is told to stop (preemption)."""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import oxignite.distributed as idist
from oxignite._core import Gate
from oxignite.engine import Engine
from oxignite.engine.natives import NativeSpec

__all__ = ["TerminateOnSignal"]

_NEVER = 2**62  # a count no run reaches


class TerminateOnSignal:
    """Terminate the engine at the end of the current iteration when the process receives one
    of ``signals`` (SIGTERM and SIGUSR1 by default), so that ``Events.TERMINATE`` fires and a
    :class:`~oxignite.handlers.Checkpoint` attached to it saves. oxignite only: ignite handles
    no signal.

    Clusters signal before they kill: SLURM sends SIGTERM (or the signal of ``--signal``)
    before the end of a job's time or a preemption, torchrun forwards SIGTERM to its workers,
    preemptible VMs give ~30 s of notice. Started again, a script that resumes from its newest
    checkpoint (:func:`~oxignite.handlers.resume_from_latest`) continues exactly where it
    stopped, with a :class:`~oxignite.engine.DeterministicEngine`.

    How it works: while the engine runs (``run()`` starts or resumes it; oxignite Engines
    only) this handler's signal handlers replace the previous ones, which are restored however
    the run ends (completed, terminated, interrupted, or raising). A signal only sets a flag;
    the handler terminates the engine at the next ``ITERATION_COMPLETED``, never in the middle
    of an iteration (a terminate from within data loading or ITERATION_STARTED would leave a
    counted iteration unprocessed, and a checkpoint at TERMINATE one iteration off). Until a
    signal arrives the core skips this handler: no Python call per iteration. A second SIGINT
    while stopping raises KeyboardInterrupt as usual; other repeated signals are ignored.

    In a distributed run (world size > 1) every process stops at the same iteration, even if
    only one got the signal: every ``sync_every`` iterations the processes all-reduce (max)
    one integer, the only cost (one small collective per ``sync_every`` iterations; with
    nccl it is also a host-device sync), and a signal takes effect at the next such
    iteration. Between them no Python call is made. Checkpoint with ``save_on_rank`` as usual.

    A signal to the whole process group (SLURM, a terminal's Ctrl-C) also reaches the
    DataLoader workers, which torch lets die on SIGTERM, and a dead worker fails the run. So
    while the run goes, the workers of the DataLoader the engine runs on (``state.dataloader``)
    ignore these signals: its ``worker_init_fn`` is wrapped for the run (the original is
    called after, and put back when the run ends); the main process stops the run and shuts
    the workers down as usual. For a DataLoader hidden inside another iterable, do the same
    in its ``worker_init_fn``: ``signal.signal(signal.SIGTERM, signal.SIG_IGN)``.

    Args:
        signals: the signals that stop the run; SIGKILL and SIGSTOP cannot be caught.
        sync_every: distributed runs only: iterations between two checks of all processes.

    Attributes:
        received_signal: the signal this process received during the last run (a
            ``signal.Signals``), or None.
        stopped: whether this handler terminated the last run (on any process's signal).

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import Checkpoint, TerminateOnSignal, resume_from_latest

        checkpoint = Checkpoint(to_save, DiskSaver("ckpt", require_empty=False), n_saved=2,
                                include_self=True)
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=500), checkpoint)
        trainer.add_event_handler(Events.TERMINATE, checkpoint)
        stop = TerminateOnSignal()
        trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
        resume_from_latest(checkpoint)  # nothing on the first start
        trainer.run(loader, max_epochs=10)
        if stop.stopped:
            print("Stopped by a signal; run the same command again to continue.")
    """

    def __init__(
        self,
        signals: Iterable[int] = (signal.SIGTERM, signal.SIGUSR1),
        sync_every: int = 10,
    ) -> None:
        try:
            chosen = tuple(signal.Signals(s) for s in signals)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Argument signals should be signal numbers, got {signals!r}") from e
        if not chosen:
            raise ValueError("Argument signals should name at least one signal")
        uncatchable = [s.name for s in chosen if s in (signal.SIGKILL, signal.SIGSTOP)]
        if uncatchable:
            raise ValueError(
                f"Argument signals cannot contain {uncatchable}: they cannot be caught"
            )
        if isinstance(sync_every, bool) or not isinstance(sync_every, int):
            raise TypeError(f"Argument sync_every should be an integer, got {sync_every!r}")
        if sync_every < 1:
            raise ValueError(f"Argument sync_every should be positive, got {sync_every}")
        self.signals = tuple(dict.fromkeys(chosen))
        self.sync_every = sync_every
        self.received_signal: signal.Signals | None = None
        self.stopped = False
        self.logger = logging.getLogger(f"{__name__}.{type(self).__name__}")
        self._gate = Gate()
        self._previous: dict[signal.Signals, Any] = {}
        self._active = False
        self._distributed = False

    def __call__(self, engine: Engine) -> None:
        if not self._active:
            raise RuntimeError(
                "TerminateOnSignal is called outside of a run of an oxignite Engine: its signal "
                "handlers are installed by oxignite.engine.Engine.run()"
            )
        if not self._distributed:
            if self.received_signal is not None:
                self._stop(engine, self.received_signal.name)
            return
        iteration = engine.state.iteration
        # Every process reaches this iteration and all-reduces, signal or not.
        if iteration % self.sync_every == 0 and idist.all_reduce(
            int(self.received_signal is not None), op="MAX"
        ):
            received = self.received_signal
            self._stop(engine, received.name if received else "a signal to another process")
        self._arm(iteration)

    def _stop(self, engine: Engine, reason: str) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.logger.warning(
            f"{type(self).__name__}: {reason} received: stopping after iteration "
            f"{engine.state.iteration}"
        )
        engine.terminate()

    def _native_spec(self) -> NativeSpec:
        """The core calls this handler only when its gate is open (``natives.rs``: ``Gate``):
        after a signal, at the distributed checks, and at an epoch's last iteration."""
        return NativeSpec.gate(self._gate)

    def _arm(self, iteration: int) -> None:
        """Skip the firings after ``iteration`` until the next distributed check (forever when
        not distributed, until a signal disarms the gate)."""
        force_at = (
            (iteration // self.sync_every + 1) * self.sync_every if self._distributed else _NEVER
        )
        self._gate.arm(iteration, force_at, _NEVER, math.inf, math.inf)

    def _on_signal(self, signum: int, frame: Any) -> None:
        # Runs in the main thread between two bytecodes: set the flag and open the gate only.
        if self.received_signal is None:
            self.received_signal = signal.Signals(signum)
            if not self._distributed:
                self._gate.disarm()
        elif signum == signal.SIGINT and callable(self._previous.get(signal.SIGINT)):
            self._previous[signal.SIGINT](signum, frame)  # a second Ctrl-C

    @contextlib.contextmanager
    def _run_scope(self, engine: Engine) -> Iterator[None]:
        """Installs the signal handlers for one run (``Engine._run_in_scopes``)."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(
                "TerminateOnSignal needs the engine to run in the main thread: Python delivers "
                "signals to the main thread only"
            )
        self.received_signal = None
        self.stopped = False
        self._distributed = idist.get_world_size() > 1
        self._arm(engine.state.iteration)
        self._previous = {s: signal.signal(s, self._on_signal) for s in self.signals}
        self._active = True
        loader = engine.state.dataloader
        if getattr(loader, "num_workers", 0) and hasattr(loader, "worker_init_fn"):
            loader.worker_init_fn = _IgnoreInWorkers(self.signals, loader.worker_init_fn)
        try:
            yield
        finally:
            self._active = False
            # DeterministicEngine may run on a copy of the loader, wrapper included.
            for used in (loader, engine.state.dataloader):
                wrapper = getattr(used, "worker_init_fn", None)
                if isinstance(wrapper, _IgnoreInWorkers):
                    used.worker_init_fn = wrapper.inner
            for s, previous in self._previous.items():
                # None: the previous handler was not set from Python; the default is the best guess.
                signal.signal(s, signal.SIG_DFL if previous is None else previous)
            self._gate.disarm()


class _IgnoreInWorkers:
    """A DataLoader ``worker_init_fn``: the worker ignores the run's stop signals (the main
    process stops the run, then shuts its workers down), then runs the original one.
    A class, so that it pickles for workers started with "spawn"."""

    def __init__(self, signals: tuple[signal.Signals, ...], inner: Any) -> None:
        self.signals = signals
        self.inner = inner

    def __call__(self, worker_id: int) -> None:
        for s in self.signals:
            signal.signal(s, signal.SIG_IGN)
        if self.inner is not None:
            self.inner(worker_id)
