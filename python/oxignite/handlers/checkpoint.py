"""Checkpointing: ``Checkpoint``, ``DiskSaver`` (atomic writes) and ``ModelCheckpoint``."""

from __future__ import annotations

import contextlib
import copy
import inspect
import numbers
import os
import re
import stat
import sys
import tempfile
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

import oxignite.distributed as idist
from oxignite.base import Serializable
from oxignite.engine import Engine, EventEnum, Events
from oxignite.engine.natives import overrides
from oxignite.handlers._checkpoint_async import BackgroundWriter, StoragePool, snapshot
from oxignite.handlers.utils import _tree_apply2
from oxignite.utils import _tree_map

# ignite's flag: whether ZeroRedundancyOptimizer exists (torch.distributed.optim, part of every
# torch built with torch.distributed). Known without importing that module (~1 s).
HAVE_ZERO = torch.distributed.is_available()


def _is_zero_redundancy_optimizer(obj: Any) -> bool:
    # Looked up only if the user imported it: importing torch.distributed.optim costs ~1 s.
    module = sys.modules.get("torch.distributed.optim")
    cls = getattr(module, "ZeroRedundancyOptimizer", None)
    return HAVE_ZERO and cls is not None and isinstance(obj, cls)


__all__ = ["BaseSaveHandler", "Checkpoint", "CheckpointEvents", "DiskSaver", "ModelCheckpoint"]

_TMP_SUFFIX = ".tmp"
# DiskSaver's temporary files: "." + final name + "." + mkstemp's 8 random characters + ".tmp".
_TMP_NAME = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$")


class CheckpointEvents(EventEnum):
    """Events fired by :class:`Checkpoint` on the engine it is attached to.

    - ``SAVED_CHECKPOINT``: fired after a checkpoint has been written.

    Example::

        trainer.register_events(*CheckpointEvents)
        trainer.add_event_handler(Checkpoint.SAVED_CHECKPOINT, lambda e: print("saved"))
    """

    SAVED_CHECKPOINT = "saved_checkpoint"


class BaseSaveHandler(metaclass=ABCMeta):
    """Base class of save handlers used by :class:`Checkpoint`.

    Subclasses implement ``__call__(checkpoint, filename, metadata=None)`` and ``remove(filename)``.
    ``metadata`` holds ``basename``, ``score_name`` and ``priority``.

    Example::

        class InMemorySaver(BaseSaveHandler):
            def __init__(self):
                self.files = {}
            def __call__(self, checkpoint, filename, metadata=None):
                self.files[filename] = checkpoint
            def remove(self, filename):
                del self.files[filename]
    """

    @abstractmethod
    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        """Save ``checkpoint`` under ``filename``."""

    @abstractmethod
    def remove(self, filename: str) -> None:
        """Remove the checkpoint saved under ``filename``."""


def _unwrap(obj: Any) -> Any:
    if isinstance(obj, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        return obj.module
    return obj


class Checkpoint(Serializable):
    """Save objects having ``state_dict`` (models, optimizers, schedulers, engines...) periodically.

    Each call stores one file: a dict ``{name: obj.state_dict()}`` (or just the state dict when
    ``to_save`` has a single entry). Only the ``n_saved`` files with the highest priority are
    kept; the priority is the score (``score_function``) or otherwise the global step.

    Default file name: ``{filename_prefix}_{name}_{suffix}.pt`` where ``name`` is the single key
    of ``to_save`` or ``"checkpoint"``, and ``suffix`` is ``{global_step}``, ``{score}``,
    ``{score_name}={score}``, ``{global_step}_{score}`` or ``{global_step}_{score_name}={score}``
    depending on which of ``global_step_transform``/``score_function``/``score_name`` are given
    (global step defaults to ``engine.state.iteration`` when there is no score). Float scores are
    written with 4 decimals.

    Args:
        to_save: dict of objects with ``state_dict``/``load_state_dict``.
        save_handler: a directory (str/Path, a :class:`DiskSaver` is created), a
            :class:`BaseSaveHandler` or a callable ``(checkpoint, filename)``.
        filename_prefix: prefix of the file names.
        score_function: callable ``(engine) -> number``; higher scores are kept.
        score_name: name of the score in the file name; alone, it defines
            ``score_function = Checkpoint.get_default_score_fn(score_name)``.
        n_saved: number of files to keep (``None``: keep all).
        global_step_transform: callable ``(engine, event_name) -> int`` giving the global step.
        filename_pattern: custom pattern with ``{filename_prefix}``, ``{name}``, ``{score}``,
            ``{score_name}``, ``{global_step}`` and ``{ext}``.
        include_self: also store this handler's ``state_dict`` under key ``"checkpointer"``
            (with a single object in ``to_save``, beside that object's state_dict entries,
            as ignite does).
        greater_or_equal: on equal scores, replace the older file with the newer one.
        save_on_rank: rank that writes in distributed runs.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import Checkpoint
        to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
        handler = Checkpoint(to_save, "/tmp/models", n_saved=2)
        trainer.add_event_handler(Events.EPOCH_COMPLETED, handler)
        trainer.run(data, max_epochs=4)
        handler.last_checkpoint  # Path('/tmp/models/checkpoint_<iteration>.pt')
    """

    SAVED_CHECKPOINT = CheckpointEvents.SAVED_CHECKPOINT

    class Item(NamedTuple):
        """A kept checkpoint: its priority and file name."""

        priority: int | float
        filename: str

    _state_dict_all_req_keys = ("_saved",)

    def __init__(
        self,
        to_save: Mapping,
        save_handler: str | Path | Callable | BaseSaveHandler,
        filename_prefix: str = "",
        score_function: Callable | None = None,
        score_name: str | None = None,
        n_saved: int | None = 1,
        global_step_transform: Callable | None = None,
        filename_pattern: str | None = None,
        include_self: bool = False,
        greater_or_equal: bool = False,
        save_on_rank: int = 0,
    ):
        if not isinstance(to_save, Mapping):
            raise TypeError(f"Argument `to_save` should be a dictionary, but given {type(to_save)}")
        self._check_objects(to_save, "state_dict")
        if include_self:
            if not isinstance(to_save, MutableMapping):
                raise TypeError(
                    f"If `include_self` is True, then `to_save` must be mutable, "
                    f"but given {type(to_save)}."
                )
            if "checkpointer" in to_save:
                raise ValueError(
                    f"Cannot have key 'checkpointer' if `include_self` is True: {to_save}"
                )
        if not isinstance(save_handler, (str, Path)) and not callable(save_handler):
            raise TypeError(
                "Argument `save_handler` should be a string or Path object or callable "
                "or inherit from BaseSaveHandler"
            )
        if score_function is not None and not callable(score_function):
            raise TypeError(
                f"Argument score_function should be a function, got {type(score_function)}"
            )
        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(
                f"global_step_transform should be a function, got {type(global_step_transform)} "
                "instead."
            )
        if n_saved is not None:
            if isinstance(n_saved, bool) or not isinstance(n_saved, numbers.Integral):
                raise TypeError(f"n_saved must be a positive integer or None, got {n_saved!r}")
            if n_saved < 1:
                raise ValueError(f"n_saved must be a positive integer or None, got {n_saved}")

        self.to_save = to_save
        self.filename_prefix = filename_prefix
        if isinstance(save_handler, (str, Path)):
            self.save_handler = DiskSaver(save_handler, create_dir=True, save_on_rank=save_on_rank)
        else:
            self.save_handler = save_handler
        self.score_function = score_function
        self.score_name = score_name
        if self.score_name is not None and self.score_function is None:
            self.score_function = self.get_default_score_fn(self.score_name)
        self.n_saved = n_saved
        self.ext = "pt"
        self.global_step_transform = global_step_transform
        self.filename_pattern = filename_pattern
        self._saved: list[Checkpoint.Item] = []
        self.include_self = include_self
        self.greater_or_equal = greater_or_equal
        self.save_on_rank = save_on_rank
        self._remove_temp_files()

    # ------------------------------------------------------------------ helpers
    def _owns_filename(self, filename: str) -> bool:
        """Whether ``filename`` is a name this handler could give a checkpoint."""
        return self._filename_fields(filename) is not None

    def _filename_fields(self, filename: str) -> dict[str, str | None] | None:
        """The ``global_step`` and ``score`` written in ``filename`` (None where the name has
        none), if it is a name this handler could give a checkpoint; otherwise None."""
        name = next(iter(self.to_save)) if len(self.to_save) == 1 else "checkpoint"
        known = {
            "filename_prefix": self.filename_prefix,
            "name": name,
            "ext": self.ext,
            "score_name": str(self.score_name),
        }
        for global_step in (None, 0):
            try:  # each field becomes a marker, so the rest of the pattern can be escaped
                pattern = self._get_filename_pattern(global_step)
                marked = pattern.format(**{f: f"\0{f}\0" for f in (*known, "score", "global_step")})
            except (ValueError, KeyError, IndexError):
                continue  # a pattern with format specs: claim nothing
            regex = re.escape(marked)
            for field in ("score", "global_step"):  # the first one is captured
                marker = re.escape(f"\0{field}\0")
                regex = regex.replace(marker, f"(?P<{field}>.*)", 1).replace(marker, ".*")
            for field, value in known.items():  # str(): like ignite, any prefix is formatted
                regex = regex.replace(re.escape(f"\0{field}\0"), re.escape(str(value)))
            match = re.fullmatch(regex, filename)
            if match is not None:
                groups = match.groupdict()
                return {"global_step": groups.get("global_step"), "score": groups.get("score")}
        return None

    def _remove_temp_files(self) -> None:
        """Removes temporary files left by saves of this handler that were killed mid-write
        (only DiskSaver's temp names for this handler's file names, in its directory)."""
        # ModelCheckpoint learns its objects' names at the first save.
        if self.to_save and isinstance(self.save_handler, DiskSaver):
            self.save_handler._remove_temp_files(self._owns_filename)

    def reset(self) -> None:
        """Forget the saved checkpoints (files are left on disk)."""
        self._saved = []

    @property
    def last_checkpoint(self) -> str | Path | None:
        """Path (with :class:`DiskSaver`) or filename of the most recently kept checkpoint.
        With an asynchronous DiskSaver, waits for the pending write first (raising its
        failure), so the file exists."""
        if len(self._saved) < 1:
            return None
        if not isinstance(self.save_handler, DiskSaver):
            return self._saved[-1].filename
        self.save_handler.wait()
        return self.save_handler.dirname / self._saved[-1].filename

    @contextlib.contextmanager
    def _run_scope(self, engine: Engine) -> Iterator[None]:
        """The end of each run of the engine this handler is attached to waits for the
        pending asynchronous write (``Engine._run_in_scopes``): its failure raises then,
        unless the run itself raised (the failure then stays pending for the next save)."""
        try:
            yield
        except BaseException:
            if isinstance(self.save_handler, DiskSaver) and self.save_handler._writer is not None:
                self.save_handler._writer.wait(raise_error=False)
            raise
        if isinstance(self.save_handler, DiskSaver):
            self.save_handler.wait()

    def _check_lt_n_saved(self, or_equal: bool = False) -> bool:
        if self.n_saved is None:
            return True
        return len(self._saved) < self.n_saved + int(or_equal)

    def _compare_fn(self, new: float) -> bool:
        if self.greater_or_equal:
            return new >= self._saved[0].priority
        return new > self._saved[0].priority

    def _get_filename_pattern(self, global_step: int | None) -> str:
        if self.filename_pattern is not None:
            return self.filename_pattern
        return self.setup_filename_pattern(
            with_prefix=len(self.filename_prefix) > 0,
            with_score=self.score_function is not None,
            with_score_name=self.score_name is not None,
            with_global_step=global_step is not None,
        )

    def _setup_checkpoint(self) -> dict[str, Any]:
        def func(obj: Any, **kwargs: Any) -> Any:
            obj = _unwrap(obj)
            if _is_zero_redundancy_optimizer(obj):
                obj.consolidate_state_dict(to=self.save_on_rank)
                if self.save_on_rank != idist.get_rank():
                    return {}
            return obj.state_dict()

        if self.to_save is None:
            return {}
        return dict(_tree_map(func, self.to_save))

    @staticmethod
    def _check_objects(objs: Mapping, attr: str) -> None:
        def func(obj: Any, **kwargs: Any) -> None:
            if not hasattr(obj, attr):
                raise TypeError(f"Object {type(obj)} should have `{attr}` method")

        _tree_map(func, objs)

    # ------------------------------------------------------------------ saving
    def __call__(self, engine: Engine, *args: Any, **kwargs: Any) -> None:
        if not engine.has_registered_events(CheckpointEvents.SAVED_CHECKPOINT):
            engine.register_events(*CheckpointEvents)

        global_step = None
        if self.global_step_transform is not None:
            global_step = self.global_step_transform(engine, engine.last_event_name)

        if self.score_function is not None:
            priority = self.score_function(engine)
            if not isinstance(priority, numbers.Number):
                raise ValueError("Output of score_function should be a number")
        else:
            if global_step is None:
                global_step = engine.state.get_event_attrib_value(Events.ITERATION_COMPLETED)
            priority = global_step

        if not (self._check_lt_n_saved() or self._compare_fn(priority)):
            return

        if isinstance(priority, numbers.Integral):
            priority_str = f"{priority}"
        else:
            priority_str = f"{priority:.4f}"

        checkpoint = self._setup_checkpoint()
        name = "checkpoint"
        if len(checkpoint) == 1:
            # One object is saved as its state_dict itself; with include_self, ignite adds a
            # "checkpointer" key to that state_dict (a copy here: the object's stays as is).
            name = next(iter(checkpoint))
            checkpoint = checkpoint[name]
            if self.include_self:
                checkpoint = copy.copy(checkpoint)

        filename = self._get_filename_pattern(global_step).format(
            filename_prefix=self.filename_prefix,
            ext=self.ext,
            name=name,
            score_name=self.score_name,
            score=priority_str if self.score_function is not None else None,
            global_step=global_step,
        )
        metadata = {
            "basename": f"{self.filename_prefix}{'_' if self.filename_prefix else ''}{name}",
            "score_name": self.score_name,
            "priority": priority,
        }

        # Compute the new list of kept items. With oxignite's own DiskSaver the file that drops
        # out is removed only after the new one has been written, so a failing save never
        # loses the previous checkpoint. Any other save handler gets ignite's order (remove,
        # then save): it may map names its own way (MONAI's CheckpointSaver writes every
        # checkpoint to one fixed name, which a later removal would delete).
        saved = list(self._saved)
        to_remove: Checkpoint.Item | None = None
        same = [i for i, it in enumerate(saved) if it.filename == filename]
        if same:
            saved.pop(same[0])
        elif self.n_saved is not None and len(saved) >= self.n_saved:
            to_remove = saved.pop(0)
        saved.append(Checkpoint.Item(priority, filename))
        saved.sort(key=lambda it: it[0])

        if self.include_self:
            checkpoint["checkpointer"] = self._items_state_dict(saved)

        removes = to_remove is not None and isinstance(self.save_handler, BaseSaveHandler)
        remove_after = removes and _names_files_as_given(self.save_handler)
        if removes and not remove_after:
            self.save_handler.remove(to_remove.filename)  # type: ignore[union-attr]
        if isinstance(self.save_handler, BaseSaveHandler) or _accepts_three_args(self.save_handler):
            self.save_handler(checkpoint, filename, metadata)
        else:  # plain callables taking only (checkpoint, filename)
            self.save_handler(checkpoint, filename)

        self._saved = saved
        if remove_after:
            self.save_handler.remove(to_remove.filename)  # type: ignore[union-attr]
        self._remove_temp_files()

        engine.fire_event(CheckpointEvents.SAVED_CHECKPOINT)

    # ------------------------------------------------------------------ patterns / loading
    @staticmethod
    def setup_filename_pattern(
        with_prefix: bool = True,
        with_score: bool = True,
        with_score_name: bool = True,
        with_global_step: bool = True,
    ) -> str:
        """Return the default filename pattern, e.g.
        ``"{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}"``."""
        if not (with_global_step or with_score):
            raise ValueError("At least one of with_score and with_global_step should be True.")
        pattern = "{name}"
        if with_global_step:
            pattern += "_{global_step}"
        if with_score_name and with_score:
            pattern += "_{score_name}={score}"
        elif with_score:
            pattern += "_{score}"
        elif with_score_name:
            raise ValueError("If with_score_name is True, with_score should be also True")
        if with_prefix:
            pattern = "{filename_prefix}_" + pattern
        return pattern + ".{ext}"

    @staticmethod
    def load_objects(to_load: Mapping, checkpoint: str | Path | Mapping, **kwargs: Any) -> None:
        """Call ``load_state_dict`` on each object of ``to_load`` with its state in ``checkpoint``.

        Args:
            to_load: dict of objects, e.g. ``{"model": model, "optimizer": optimizer}``.
            checkpoint: a file path or a dict of state dicts. With a single object in
                ``to_load``, it may also be that object's state dict directly.
            kwargs: passed to ``nn.Module.load_state_dict`` (e.g. ``strict=False``).

        Example::

            Checkpoint.load_objects({"model": model, "trainer": trainer}, "/tmp/models/x.pt")
        """
        if not isinstance(checkpoint, (Mapping, str, Path)):
            raise TypeError(
                "Argument checkpoint should be a string or a dictionary, "
                f"but given {type(checkpoint)}"
            )
        if not isinstance(to_load, Mapping):
            raise TypeError(f"Argument to_load should be a dictionary, but given {type(to_load)}")
        Checkpoint._check_objects(to_load, "load_state_dict")
        if isinstance(checkpoint, (str, Path)):
            checkpoint_obj = torch.load(checkpoint, weights_only=True)
        else:
            checkpoint_obj = checkpoint

        def _load(obj: Any, state: Any) -> None:
            obj = _unwrap(obj)
            if isinstance(obj, nn.Module):
                obj.load_state_dict(state, **kwargs)
            else:
                obj.load_state_dict(state)

        if len(to_load) == 1:
            key, obj = next(iter(to_load.items()))
            if key not in checkpoint_obj:
                _load(obj, checkpoint_obj)
                return
        _tree_apply2(_load, dict(to_load), checkpoint_obj)

    def reload_objects(
        self, to_load: Mapping, load_kwargs: dict | None = None, **filename_components: Any
    ) -> None:
        """Load ``to_load`` from the file this handler would name with ``filename_components``
        (``name``, ``score``, ``global_step``). Requires a :class:`DiskSaver`."""
        if not isinstance(self.save_handler, DiskSaver):
            raise AttributeError(  # noqa: TRY004 - same exception type as ignite
                "Checkpoint's `save_handler` should be of type `DiskSaver`, "
                f"given {type(self.save_handler)}"
            )
        global_step = filename_components.get("global_step", None)
        checkpoint = self._setup_checkpoint()
        name = "checkpoint"
        if len(checkpoint) == 1:
            name = next(iter(checkpoint))
        filename = self._get_filename_pattern(global_step).format(
            filename_prefix=self.filename_prefix,
            ext=self.ext,
            name=filename_components.get("name", name),
            score_name=self.score_name,
            score=filename_components.get("score", None),
            global_step=global_step,
        )
        path = self.save_handler.dirname / filename
        Checkpoint.load_objects(to_load=to_load, checkpoint=path, **(load_kwargs or {}))

    @staticmethod
    def _items_state_dict(items: list[Checkpoint.Item]) -> OrderedDict[str, Any]:
        return OrderedDict([("_saved", [(p, f) for p, f in items])])

    def state_dict(self) -> OrderedDict[str, Any]:
        """Return ``{"_saved": [(priority, filename), ...]}``."""
        return self._items_state_dict(self._saved)

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore the list of saved ``(priority, filename)`` items."""
        super().load_state_dict(state_dict)
        self._saved = [Checkpoint.Item(p, f) for p, f in state_dict["_saved"]]

    @staticmethod
    def get_default_score_fn(metric_name: str, score_sign: float = 1.0) -> Callable:
        """Score function returning ``score_sign * engine.state.metrics[metric_name]``.

        Example::

            score_fn = Checkpoint.get_default_score_fn("loss", -1.0)  # lower loss is better
        """
        if score_sign not in (1.0, -1.0):
            raise ValueError("Argument score_sign should be 1 or -1")

        def wrapper(engine: Engine) -> float:
            return score_sign * engine.state.metrics[metric_name]

        return wrapper


def _accepts_three_args(fn: Callable) -> bool:
    try:
        inspect.signature(fn).bind(None, None, None)
    except TypeError:
        return False
    except ValueError:  # pragma: no cover - builtins without signature
        return True
    return True


def _names_files_as_given(save_handler: Any) -> bool:
    """Whether ``save_handler`` is oxignite's DiskSaver as it is (the file it writes and the
    one it removes are the names it is given), not a subclass that changes either."""
    return isinstance(save_handler, DiskSaver) and not overrides(
        save_handler, DiskSaver, "__call__", "remove"
    )


class DiskSaver(BaseSaveHandler):
    """Save checkpoints to a directory with ``torch.save``, atomically by default.

    With ``atomic=True`` the checkpoint is written to a hidden temporary file in the same
    directory (``.<filename>.<random>.tmp``), flushed and fsync'ed, then renamed over the final
    name with ``os.replace``. A failure while writing removes the temporary file and never
    leaves a partial file under the final name; a temporary file left by a hard crash does not
    end in ``.pt`` and is never mistaken for a checkpoint.

    With ``async_save=True`` (oxignite only; ignite writes synchronously) a save returns as
    soon as a snapshot of the checkpoint is taken in memory: every tensor is copied away from
    the live training state (device tensors to the CPU, so the file holds CPU tensors, which
    ``load_state_dict`` of models and optimizers moves back), and the serialization and the
    (atomic) write run in a background thread while training goes on. Rules:

    - at most one write is in flight: the next save first waits for it to finish;
    - a failed write raises in the training process, at the next save, at :meth:`wait`, or
      when the run ends (an exception of the run itself is not masked: the failure then
      stays pending); the removals queued behind a failed write are dropped;
    - the end of a run (completed, terminated, interrupted or raising) waits for the pending
      write, as does the interpreter's exit, so nothing is lost;
    - removals of superseded files (``n_saved``) and temp-file cleanups run after the write
      that supersedes them has landed; :attr:`Checkpoint.last_checkpoint` waits for the
      pending write, so the path it gives exists;
    - ``Checkpoint.SAVED_CHECKPOINT`` fires once the snapshot is taken.

    The snapshot costs a copy of the state in host memory, kept between saves and reused by
    the next one (so each save is one memory copy, without fresh pages); the serialization
    and the write then overlap training, and take CPU time beside it.

    Args:
        dirname: directory where checkpoints are written.
        atomic: write through a temporary file and rename (see above).
        create_dir: create ``dirname`` if it does not exist.
        require_empty: raise if ``dirname`` already contains ``.pt`` files.
        save_on_rank: the only rank that writes/removes files in distributed runs.
        async_save: write in a background thread from an in-memory snapshot (see above).
        kwargs: extra keyword arguments for ``torch.save``.

    Example::

        from oxignite.handlers import Checkpoint, DiskSaver
        saver = DiskSaver("/tmp/models", create_dir=True, require_empty=False)
        handler = Checkpoint({"model": model}, saver, n_saved=3)
        # training goes on while the file is written:
        handler = Checkpoint({"model": model}, DiskSaver("/tmp/models", async_save=True))
    """

    def __init__(
        self,
        dirname: str | Path,
        atomic: bool = True,
        create_dir: bool = True,
        require_empty: bool = True,
        save_on_rank: int = 0,
        *,
        async_save: bool = False,
        **kwargs: Any,
    ):
        if not isinstance(async_save, bool):
            raise TypeError(f"Argument async_save should be a bool, got {async_save!r}")
        self.dirname = Path(dirname).expanduser()
        self._atomic = atomic
        self.save_on_rank = save_on_rank
        self.kwargs = kwargs
        self.async_save = async_save
        self._writer = (
            BackgroundWriter(f"oxignite-checkpoint:{self.dirname}") if async_save else None
        )
        # The snapshot's host memory, kept between saves and reused (no page faults each save).
        self._pool = StoragePool() if async_save else None
        if idist.get_rank() == save_on_rank:
            self._check_and_setup(self.dirname, create_dir, require_empty)

    @staticmethod
    def _check_and_setup(dirname: Path, create_dir: bool, require_empty: bool) -> None:
        if create_dir and not dirname.exists():
            dirname.mkdir(parents=True)
        if not dirname.exists():
            raise ValueError(f"Directory path '{dirname}' is not found")
        if require_empty:
            matched = [f for f in os.listdir(dirname) if f.endswith(".pt")]
            if matched:
                raise ValueError(
                    f"Files {matched} with extension '.pt' are already present in the directory "
                    f"{dirname}. If you want to use this directory anyway, pass "
                    "`require_empty=False`."
                )

    def __call__(self, checkpoint: Mapping, filename: str, metadata: Mapping | None = None) -> None:
        if idist.get_rank() != self.save_on_rank:
            return
        path = self.dirname / filename
        if self._writer is None:
            self._save_func(checkpoint, path, torch.save)
            return
        self._writer.wait()  # at most one write in flight (and one snapshot in memory)
        state = snapshot(checkpoint, self._pool)
        self._writer.start(lambda: self._save_func(state, path, torch.save))

    def wait(self) -> None:
        """Waits for the pending asynchronous write, if any, and raises its failure (once).
        Nothing to do without ``async_save``."""
        if self._writer is not None:
            self._writer.wait()

    def _save_func(self, checkpoint: Mapping, path: Path, func: Callable) -> None:
        """Writes ``checkpoint`` to ``path`` with ``func`` (``torch.save``'s signature), through
        a temporary file when atomic (ignite's method of the same name)."""
        if not self._atomic:
            func(checkpoint, path, **self.kwargs)
            return
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=str(self.dirname)
        )
        try:
            with os.fdopen(fd, "wb") as f:
                func(checkpoint, f, **self.kwargs)
                f.flush()
                os.fsync(f.fileno())
            # mkstemp creates files with mode 0600; make them readable like a normal file.
            mode = os.stat(tmp_name).st_mode | stat.S_IRGRP | stat.S_IROTH
            os.chmod(tmp_name, mode)
            os.replace(tmp_name, path)
        except BaseException:
            try:
                os.remove(tmp_name)
            except OSError:
                pass
            raise
        _fsync_dir(self.dirname)

    def remove(self, filename: str) -> None:
        if idist.get_rank() != self.save_on_rank:
            return
        path = self.dirname / filename
        if self._writer is None:
            path.unlink()
        else:  # after the write that supersedes it has landed
            self._writer.then(lambda: path.unlink(missing_ok=True))

    def _remove_temp_files(self, owns: Callable[[str], bool]) -> None:
        """Removes this saver's temporary files (left by a process killed while writing) whose
        final name satisfies ``owns``; files of other writers and other names stay. With
        ``async_save``, after the write in flight (whose own temporary file must stay)."""
        if idist.get_rank() != self.save_on_rank or not self._atomic:
            return
        if self._writer is None:
            self._remove_temp_files_now(owns)
        else:
            self._writer.then(lambda: self._remove_temp_files_now(owns))

    def _remove_temp_files_now(self, owns: Callable[[str], bool]) -> None:
        try:
            names = os.listdir(self.dirname)
        except OSError:
            return
        for name in names:
            match = _TMP_NAME.match(name)
            if match is not None and owns(match.group("target")):
                try:
                    os.remove(self.dirname / name)
                except OSError:  # removed meanwhile, or not ours to remove
                    pass


def _fsync_dir(dirname: Path) -> None:
    """Persist the rename itself (best effort; not supported on every platform)."""
    try:
        fd = os.open(str(dirname), os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class ModelCheckpoint(Checkpoint):
    """:class:`Checkpoint` writing to disk whose objects are passed when attaching.

    Args:
        dirname: directory for the checkpoints.
        filename_prefix: as in :class:`Checkpoint`.
        score_function: as in :class:`Checkpoint`.
        score_name: as in :class:`Checkpoint`.
        n_saved: as in :class:`Checkpoint`.
        global_step_transform: as in :class:`Checkpoint`.
        filename_pattern: as in :class:`Checkpoint`.
        include_self: as in :class:`Checkpoint`.
        greater_or_equal: as in :class:`Checkpoint`.
        save_on_rank: as in :class:`Checkpoint`.
        atomic: as in :class:`DiskSaver`.
        require_empty: as in :class:`DiskSaver`.
        create_dir: as in :class:`DiskSaver`.
        **kwargs: as in :class:`DiskSaver`.

    Example::

        from oxignite.engine import Events
        from oxignite.handlers import ModelCheckpoint
        handler = ModelCheckpoint("/tmp/models", "myprefix", n_saved=2, require_empty=False)
        trainer.add_event_handler(Events.EPOCH_COMPLETED(every=2), handler, {"mymodel": model})
        # -> files like myprefix_mymodel_20.pt, myprefix_mymodel_30.pt
    """

    def __init__(
        self,
        dirname: str | Path,
        filename_prefix: str = "",
        score_function: Callable | None = None,
        score_name: str | None = None,
        n_saved: int | None = 1,
        atomic: bool = True,
        require_empty: bool = True,
        create_dir: bool = True,
        global_step_transform: Callable | None = None,
        filename_pattern: str | None = None,
        include_self: bool = False,
        greater_or_equal: bool = False,
        save_on_rank: int = 0,
        **kwargs: Any,
    ):
        disk_saver = DiskSaver(
            dirname,
            atomic=atomic,
            create_dir=create_dir,
            require_empty=require_empty,
            save_on_rank=save_on_rank,
            **kwargs,
        )
        super().__init__(
            to_save={},
            save_handler=disk_saver,
            filename_prefix=filename_prefix,
            score_function=score_function,
            score_name=score_name,
            n_saved=n_saved,
            global_step_transform=global_step_transform,
            filename_pattern=filename_pattern,
            include_self=include_self,
            greater_or_equal=greater_or_equal,
            save_on_rank=save_on_rank,
        )

    @property
    def last_checkpoint(self) -> str | Path | None:
        if len(self._saved) < 1:
            return None
        if not isinstance(self.save_handler, DiskSaver):  # replaced after construction
            raise RuntimeError(  # noqa: TRY004 - same exception type as ignite
                f"Internal error, save_handler should be DiskSaver, but has {type(self.save_handler)}."
            )
        self.save_handler.wait()
        return self.save_handler.dirname / self._saved[-1].filename

    def __call__(self, engine: Engine, to_save: Mapping) -> None:  # type: ignore[override]
        if len(to_save) == 0:
            raise RuntimeError("No objects to checkpoint found.")
        self._check_objects(to_save, "state_dict")
        self.to_save = to_save
        super().__call__(engine)
