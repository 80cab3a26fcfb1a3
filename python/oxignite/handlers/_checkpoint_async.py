"""DiskSaver's asynchronous saves: a snapshot of the checkpoint in memory, and a background
writer that runs the writes and the removals that follow them in order.

The snapshot copies every tensor away from the live training state (device tensors to the
CPU), once per storage, so views that share a storage keep sharing one copy, as ``torch.save``
stores them. The writer is one non-daemon thread per write, which also runs the removals and
temp-file cleanups queued behind that write and then exits: no idle thread is left when the
DataLoader forks its workers, and the interpreter waits for a write in flight at exit.
"""

from __future__ import annotations

import atexit
import copy
import sys
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), torch.dtype, torch.device)


class StoragePool:
    """Host storages of an earlier snapshot, reused by the next one (same byte sizes): the
    copy then costs a memcpy instead of fresh pages (page faults) each save. Only handed out
    once that earlier snapshot is written (the saver waits for its write first)."""

    def __init__(self) -> None:
        self._free: dict[int, list[torch.UntypedStorage]] = {}
        self._used: list[torch.UntypedStorage] = []

    def take(self, nbytes: int, pinned: bool) -> torch.UntypedStorage | None:
        free = self._free.get(nbytes)
        while free:
            storage = free.pop()
            if storage.is_pinned() == pinned:
                self._used.append(storage)
                return storage
        return None

    def keep(self, storage: torch.UntypedStorage) -> None:
        self._used.append(storage)

    def recycle(self) -> None:
        """The storages handed out since the last call become free (their write is done)."""
        self._free = {}
        for storage in self._used:
            self._free.setdefault(storage.nbytes(), []).append(storage)
        self._used = []


def snapshot(obj: Any, pool: StoragePool | None = None) -> Any:
    """A copy of ``obj`` (a checkpoint: nested dicts, lists and tuples of state) that shares no
    tensor storage with it; tensors on a device are copied to the CPU. Returns once the copy is
    complete, so the caller may change the live state right away. With ``pool``, host storages
    of the pool's earlier snapshot are reused (that snapshot must no longer be needed)."""
    memo: dict[Any, Any] = {}
    devices: set[torch.device] = set()
    if pool is not None:
        pool.recycle()
    out = _snapshot(obj, memo, devices, pool)
    for device in devices:  # the non-blocking device-to-host copies of this snapshot
        torch.cuda.current_stream(device).synchronize()
    return out


def _snapshot(obj: Any, memo: dict, devices: set, pool: StoragePool | None) -> Any:
    if isinstance(obj, torch.Tensor):
        return _copy_tensor(obj, memo, devices, pool)
    cls = type(obj)
    if cls in (dict, OrderedDict):
        return cls((k, _snapshot(v, memo, devices, pool)) for k, v in obj.items())
    if cls is list:
        return [_snapshot(v, memo, devices, pool) for v in obj]
    if cls is tuple:
        return tuple(_snapshot(v, memo, devices, pool) for v in obj)
    if isinstance(obj, _IMMUTABLE):
        return obj
    return copy.deepcopy(obj)  # anything else torch.save can pickle


def _copy_tensor(
    t: torch.Tensor, memo: dict, devices: set, pool: StoragePool | None
) -> torch.Tensor:
    plain = type(t) in (torch.Tensor, nn.Parameter)
    if not plain or t.layout is not torch.strided or t.is_quantized or t.is_nested:
        return t.detach().to("cpu", copy=True)
    storage = t.untyped_storage()
    key = (storage.data_ptr(), storage.device, storage.nbytes())
    copied = memo.get(key)
    if copied is None:
        copied = memo[key] = _copy_storage(storage, devices, pool)
    out = torch.empty(0, dtype=t.dtype).set_(copied, t.storage_offset(), t.size(), t.stride())
    if type(t) is nn.Parameter:
        return nn.Parameter(out, requires_grad=t.requires_grad)
    return out.requires_grad_(t.requires_grad) if t.requires_grad else out


def _copy_storage(
    storage: torch.UntypedStorage, devices: set, pool: StoragePool | None
) -> torch.UntypedStorage:
    kind = storage.device.type
    if kind not in ("cpu", "cuda"):
        return storage.cpu()
    nbytes = storage.nbytes()
    pinned = kind == "cuda"  # filled without a sync per tensor
    host = pool.take(nbytes, pinned) if pool is not None else None
    if host is None:
        host = torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned).untyped_storage()
        if pool is not None:
            pool.keep(host)
    if nbytes:
        source = torch.empty(0, dtype=torch.uint8, device=storage.device).set_(storage)
        target = torch.empty(0, dtype=torch.uint8).set_(host)
        target.copy_(source, non_blocking=pinned)
    if pinned:
        devices.add(storage.device)
    return host


class BackgroundWriter:
    """Runs a saver's writes one at a time in a background thread, each followed by the jobs
    queued behind it (removals of the files it supersedes). A failure is kept and raised by
    the next :meth:`wait`; the jobs queued behind a failed write are dropped."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._jobs: deque[Callable[[], None]] = deque()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        _WRITERS.add(self)

    @property
    def busy(self) -> bool:
        """Whether a write (or a job queued behind it) has not finished yet."""
        with self._lock:
            return self._thread is not None

    def start(self, job: Callable[[], None]) -> None:
        """Waits for the write in flight (raising its failure), then starts ``job``."""
        self.wait()
        with self._lock:
            self._jobs.append(job)
            self._thread = threading.Thread(target=self._drain, name=self._name, daemon=False)
            self._thread.start()

    def then(self, job: Callable[[], None]) -> None:
        """Runs ``job`` after the write in flight succeeds (now if none is in flight); it is
        dropped if that write fails."""
        with self._lock:
            if self._thread is not None:
                self._jobs.append(job)
                return
            if self._error is not None:
                return
        job()

    def wait(self, raise_error: bool = True) -> None:
        """Waits until nothing is in flight; raises (once) the failure of a write."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if raise_error:
            with self._lock:
                error, self._error = self._error, None
            if error is not None:
                raise error

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs or self._error is not None:
                    self._jobs.clear()
                    self._thread = None
                    return
                job = self._jobs.popleft()
            try:
                job()
            except BaseException as e:  # noqa: BLE001 - kept for the training thread
                with self._lock:
                    self._error = e


_WRITERS: weakref.WeakSet[BackgroundWriter] = weakref.WeakSet()


@atexit.register
def _report_lost_failures() -> None:
    # The interpreter has joined the writer threads (non-daemon) before atexit runs: a failure
    # nobody waited for is reported instead of vanishing.
    for writer in list(_WRITERS):
        error = writer._error
        if error is not None:
            print(
                f"oxignite: an asynchronous checkpoint write failed and was never reported: "
                f"{type(error).__name__}: {error}",
                file=sys.stderr,
            )
