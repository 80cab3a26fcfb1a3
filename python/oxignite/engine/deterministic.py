"""DeterministicEngine: ignite's reproducible dataflow, with exact resume from any iteration.

Same API as ``ignite.engine.deterministic``: :class:`DeterministicEngine`,
:class:`ReproducibleBatchSampler`, :func:`update_dataloader`, :func:`keep_random_state`.

Exact recovery. A run of ``DeterministicEngine`` checkpointed at iteration N (its
``state_dict()`` saved with the model, optimizer, schedulers... by ``Checkpoint``) and resumed
from that checkpoint gives the same batches, the same random numbers and therefore bit for
bit the same weights as a run that was never stopped, whether N is at an epoch end or in the
middle of one. How:

- every pass over the data (dataflow ``r``, counted in batches of the data: ``iteration //
  len(data)``) starts with ``manual_seed(state.seed + r)``, so the order a shuffling
  DataLoader draws (from torch's global generator, also with ``num_workers > 0``) depends on
  ``r`` only;
- a DataLoader's batch sampler is wrapped in :class:`ReproducibleBatchSampler`; on resume it
  skips the batches already used at the sampler, so they are never loaded;
- ``state_dict()`` saves the seed and the RNG states of ``random``, torch (CPU) and numpy, as
  tensors and plain values, so the file loads under ``torch.load(weights_only=True)`` (what
  ``Checkpoint.load_objects`` uses); on a mid-dataflow resume they are restored right after
  the sampler has drawn the resumed pass's order, before the first batch is loaded.

What must hold for exactness: the job is seeded and deterministic (same code, same
``torch.use_deterministic_algorithms``-level kernels, same number of threads where that
changes results); everything that carries state is checkpointed (model, optimizer, LR
schedulers, the engine); handlers between a checkpoint and the next iteration draw no random
numbers; the data comes in the same order from the sampler (a ``DataLoader`` over a map-style
dataset, or a list/any re-iterable whose order depends only on the seed), and a dataset read
by ``num_workers > 0`` workers draws no random numbers in ``__getitem__`` (workers are
assigned batches from the resumed position, so their random streams differ). CUDA RNG states
are not saved (as in ignite).

The plain :class:`~oxignite.engine.Engine` instead restarts the interrupted epoch's data
from its first batch and runs only the iterations left (ignite's documented behaviour:
"approximately" the same run); resuming at epoch ends is exact with it too when the data
order depends on the epoch only.

Differences from ignite: ignite's ``rng_states`` hold numpy arrays and Python tuples that
``torch.load(weights_only=True)`` refuses, so ``Checkpoint.load_objects`` cannot load them; and
ignite restores them before a single-process DataLoader draws the resumed pass's order, so
its mid-epoch resume is not exact. Files written by ignite's DeterministicEngine load here;
ignite cannot read this engine's ``rng_states``.
"""

from __future__ import annotations

import random
import warnings
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Mapping
from functools import wraps
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data.sampler import BatchSampler

from oxignite.engine.engine import Engine
from oxignite.engine.events import Events
from oxignite.utils import manual_seed

__all__ = [
    "DeterministicEngine",
    "ReproducibleBatchSampler",
    "keep_random_state",
    "update_dataloader",
]


def update_dataloader(dataloader: DataLoader, new_batch_sampler: BatchSampler) -> DataLoader:
    """A copy of ``dataloader`` (same dataset, workers, collate function, ...) that draws its
    batches from ``new_batch_sampler``.

    Example::

        loader = update_dataloader(loader, ReproducibleBatchSampler(loader.batch_sampler))
    """
    params_keys = [k for k in dataloader.__dict__ if not k.startswith("_")]
    for k in ("batch_size", "sampler", "drop_last", "batch_sampler", "dataset_kind"):
        if k in params_keys:
            params_keys.remove(k)
    params = {k: getattr(dataloader, k) for k in params_keys}
    params["batch_sampler"] = new_batch_sampler
    return type(dataloader)(**params)


class ReproducibleBatchSampler(BatchSampler):
    """Draws all batch indices of ``batch_sampler`` when an iteration starts, so that it can
    start from ``start_iteration`` without loading the batches before it.

    Args:
        batch_sampler: a ``torch.utils.data.BatchSampler``.
        start_iteration: batches to skip at the next iteration (then reset to None).

    Example::

        from oxignite.engine.deterministic import ReproducibleBatchSampler, update_dataloader

        loader = update_dataloader(loader, ReproducibleBatchSampler(loader.batch_sampler))
        loader.batch_sampler.start_iteration = 5  # the next pass starts at its 6th batch
    """

    def __init__(self, batch_sampler: BatchSampler, start_iteration: int | None = None):
        if not isinstance(batch_sampler, BatchSampler):
            raise TypeError("Argument batch_sampler should be torch.utils.data.sampler.BatchSampler")
        self.batch_indices: list = []
        self.batch_sampler = batch_sampler
        self.start_iteration = start_iteration
        self.sampler = self.batch_sampler.sampler
        # Called once, right after the next pass's indices are drawn (DeterministicEngine
        # restores its saved RNG states there).
        self._after_setup: Callable[[], None] | None = None

    def setup_batch_indices(self) -> None:
        """Draws the batch indices of one pass, and skips ``start_iteration`` of them."""
        self.batch_indices = list(self.batch_sampler)
        if self.start_iteration is not None:
            self.batch_indices = self.batch_indices[self.start_iteration :]
            self.start_iteration = None

    def __iter__(self) -> Generator:
        self.setup_batch_indices()
        after_setup, self._after_setup = self._after_setup, None
        if after_setup is not None:
            after_setup()
        yield from self.batch_indices

    def __len__(self) -> int:
        return len(self.batch_sampler)


def _get_rng_states() -> list[Any]:
    """ignite's ``[random, torch, numpy]`` states, with tuples of ints and numpy arrays
    stored as int64 tensors so that ``torch.load(weights_only=True)`` accepts them."""
    version, internal, gauss = random.getstate()
    output: list[Any] = [
        (version, torch.tensor(internal, dtype=torch.int64), gauss),
        torch.get_rng_state(),
    ]
    try:
        import numpy as np
    except ImportError:
        return output
    name, keys, pos, has_gauss, cached = np.random.get_state()
    output.append((name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached))
    return output


def _as_ints(value: Any) -> Any:
    return tuple(value.tolist()) if isinstance(value, torch.Tensor) else value


def _set_rng_states(rng_states: list[Any]) -> None:
    """Restores states from :func:`_get_rng_states`, or from ignite's (raw) ones."""
    version, internal, gauss = rng_states[0]
    random.setstate((version, _as_ints(internal), gauss))
    torch_state = rng_states[1]
    if torch_state.device.type != "cpu":
        torch_state = torch_state.cpu()
    torch.set_rng_state(torch_state)
    if len(rng_states) < 3:
        return
    try:
        import numpy as np
    except ImportError:
        return
    name, keys, pos, has_gauss, cached = rng_states[2]
    if isinstance(keys, torch.Tensor):
        keys = keys.numpy().astype(np.uint32)
    np.random.set_state((name, keys, pos, has_gauss, cached))


def _repr_rng_state(rng_states: list[Any]) -> str:
    from hashlib import md5

    return " ".join(md5(str(list(s)).encode("utf-8")).hexdigest() for s in rng_states)


def keep_random_state(func: Callable) -> Callable:
    """Decorator: the random states of ``random``, torch and numpy after the call are those
    before it (as in ignite, the function's return value is dropped).

    Example::

        @keep_random_state
        def peek():
            print(torch.rand(1))

        peek()  # torch.rand(1) afterwards gives what it would have given without peek()
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        rng_states = _get_rng_states()
        func(*args, **kwargs)
        _set_rng_states(rng_states)

    return wrapper


def _is_map_style(loader: DataLoader) -> bool:
    from torch.utils.data.dataloader import _DatasetKind

    return getattr(loader, "_dataset_kind", _DatasetKind.Map) == _DatasetKind.Map


class DeterministicEngine(Engine):
    """An Engine whose dataflow is reproducible, and resumable exactly from any iteration.

    Each pass over the data is seeded with ``state.seed + pass index``; a DataLoader over a
    map-style dataset gets a :class:`ReproducibleBatchSampler` (``state.dataloader`` is the
    updated loader); ``state_dict()`` adds the seed and the RNG states, so that a run resumed
    from a checkpoint taken at any iteration continues as if it had never stopped. See the
    module docstring for what must hold for exactness. As in ignite, cuDNN is set to
    deterministic, non-benchmark mode when CUDA is available.

    Args:
        process_function: ``(engine, batch) -> output``.

    Example::

        trainer = DeterministicEngine(train_step)
        to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED(every=100), Checkpoint(to_save, "/tmp/ckpt")
        )
        if resume_from is not None:
            Checkpoint.load_objects(to_save, resume_from)
        trainer.run(loader, max_epochs=10)  # same weights as a run that was never stopped
    """

    def __init__(self, process_function: Callable[[Engine, Any], Any]):
        super().__init__(process_function)
        self.state_dict_user_keys.append("rng_states")
        if not hasattr(self.state, "rng_states"):
            self.state.rng_states = None
        self.__dict__.update(_dataloader_len=None, _loaded_seed=None)
        self.add_event_handler(Events.STARTED, self._init_run)
        self.add_event_handler(
            Events.DATALOADER_STOP_ITERATION | Events.TERMINATE_SINGLE_EPOCH, self._setup_seed
        )

    def state_dict(self) -> OrderedDict:
        """The Engine's state_dict, plus ``rng_states`` (``random``, torch, numpy) and
        ``seed``; every value loads under ``torch.load(weights_only=True)``."""
        state_dict = super().state_dict()
        state_dict["rng_states"] = _get_rng_states()
        if self.state.seed is not None:
            state_dict["seed"] = self.state.seed
        return state_dict

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restores a ``state_dict()`` (also one written by ignite's DeterministicEngine)."""
        seed = state_dict.get("seed") if isinstance(state_dict, Mapping) else None
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise TypeError(f"state_dict['seed'] should be an integer, got {seed!r}")
        super().load_state_dict(state_dict)
        self._loaded_seed = seed

    def _init_run(self) -> None:
        seed = int(torch.randint(0, int(1e9), (1,)).item())
        if self._loaded_seed is not None:
            seed, self._loaded_seed = self._loaded_seed, None
        self.state.seed = seed
        if torch.cuda.is_available():
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False

    def _setup_engine(self) -> None:
        """Starts a run's pass over the data positioned at ``state.iteration`` (the core calls
        this override at a run's first epoch instead of its native setup)."""
        state = self.state
        if state.dataloader is None:
            raise ValueError(
                "Deterministic engine does not support the option of data=None. "
                "Please, provide data as iterable"
            )
        self._dataloader_len = self._get_data_length(state.dataloader)
        loader = state.dataloader
        # A sampler's set_epoch, when opted in (Engine.set_sampler_epoch), as the plain Engine.
        hook = self._epoch_hook(loader)
        if isinstance(loader, DataLoader) and _is_map_style(loader):
            if (
                self._dataloader_len is not None
                and hasattr(loader.sampler, "epoch")
                and self._dataloader_len != state.epoch_length
            ):
                warnings.warn(
                    "When defined engine's epoch length is different of input dataloader "
                    "length, distributed sampler indices can not be setup in a "
                    "reproducible manner",
                    stacklevel=2,
                )
            batch_sampler = loader.batch_sampler
            if not (batch_sampler is None or isinstance(batch_sampler, ReproducibleBatchSampler)):
                state.dataloader = update_dataloader(loader, ReproducibleBatchSampler(batch_sampler))

        iteration = state.iteration
        in_the_middle = bool(self._dataloader_len) and iteration % self._dataloader_len > 0
        rng_states = getattr(state, "rng_states", None)
        restore = None
        if rng_states is not None and in_the_middle:
            state.rng_states = None

            def restore() -> None:
                _set_rng_states(rng_states)

        # As the plain Engine's run start (called after EPOCH_STARTED: 0-based epoch), with the
        # data positioned by _from_iteration.
        if hook is not None:
            hook(state.epoch - 1)
        self._dataloader_iter = self._from_iteration(iteration, restore)
        if state.epoch_length is not None:
            iteration %= state.epoch_length
        self._init_iter = iteration

    def _from_iteration(self, iteration: int, restore: Callable[[], None] | None = None) -> Iterator:
        """An iterator over ``state.dataloader`` positioned at ``iteration``: at the sampler
        for a DataLoader with a ReproducibleBatchSampler, otherwise by skipping items.
        ``restore`` is called once the pass's order is drawn, before any batch is loaded."""
        data = self.state.dataloader
        if data is None:
            raise RuntimeError(
                "Internal error, self.state.dataloader is None. Please, file an issue if you "
                "encounter this error."
            )
        batch_sampler = getattr(data, "batch_sampler", None)
        if isinstance(data, DataLoader) and isinstance(batch_sampler, ReproducibleBatchSampler):
            iteration %= len(batch_sampler)
            self._setup_seed()
            if iteration > 0:
                batch_sampler.start_iteration = iteration
            batch_sampler._after_setup = restore
            return iter(data)

        if iteration > 0:
            self.logger.info(
                "Resuming from iteration for provided data will fetch data until required "
                "iteration ..."
            )
        if self._dataloader_len:
            # Sized data: the seed of the pass being resumed (ignite seeds the first pass's,
            # which is not exact when a later pass is resumed).
            iteration %= self._dataloader_len
            self._setup_seed()
        else:
            # An iterator without length is replayed from its start, under the first seed.
            self._setup_seed(iteration=0)
        data_iter = iter(data)
        counter = 0
        while counter < iteration:
            try:
                next(data_iter)
                counter += 1
            except StopIteration:
                data_iter = iter(data)
        if restore is not None:
            restore()
        return data_iter

    def _setup_seed(
        self, _: Any = None, iter_counter: int | None = None, iteration: int | None = None
    ) -> None:
        """``manual_seed(state.seed + iteration // passes)``: seeds the pass that starts."""
        if iter_counter is None:
            le = self._dataloader_len if self._dataloader_len is not None else 1
        elif not iter_counter > 0:
            raise ValueError("iter_counter should be positive value")
        else:
            le = iter_counter
        if iteration is None:
            iteration = self.state.iteration
        manual_seed(self.state.seed + iteration // le)
