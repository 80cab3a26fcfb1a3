"""ignite's BasicTimeProfiler and HandlersTimeProfiler, on the core's native timing.

Same API and result formats as ``ignite.handlers.time_profilers``. ignite wraps every handler
in a Python timer, which slows the loop it measures by microseconds per call; here the core
times each firing, handler call, process-function call and batch fetch itself (see
:mod:`oxignite.profiling`), and the profilers only read its aggregates and spans.

Differences from ignite, on purpose: ``write_results`` writes the CSV with the standard
library (ignite needs pandas, and raises ModuleNotFoundError without it); HandlersTimeProfiler
needs no threshold to hide the calls of filtered handlers whose filter did not pass, because
the core never calls them.
"""

from __future__ import annotations

import csv
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch

from oxignite.engine import Engine, Events
from oxignite.engine.engine import _FilteredRow, _IgniteRow

__all__ = ["BasicTimeProfiler", "HandlersTimeProfiler"]

_NS = 1e-9
# Raw spans kept per profiled iteration (firings, handler calls, process, fetch), plus slack.
_SPANS_PER_ITERATION = 16
_MAX_CAPACITY = 1 << 24


def _check_engine(engine: Any) -> None:
    if not isinstance(engine, Engine):
        raise TypeError(f"Argument engine should be ignite.engine.Engine, but given {type(engine)}")


def _handler_name(func: Any) -> str:
    if isinstance(func, _IgniteRow):
        func = func.func
    if isinstance(func, _FilteredRow):
        func = func._func
    return getattr(func, "__qualname__", func.__class__.__name__)


def _start_profiling(engine: Engine, iterations: int | None) -> None:
    """(Re)starts the core's recording at the start of a run, sized for ``iterations``."""
    capacity = _SPANS_PER_ITERATION * (iterations or 0) + 4096
    engine._core.profile_start(min(capacity, _MAX_CAPACITY))


def _merge(stats: list[tuple]) -> tuple | None:
    """Aggregates of several handlers shown under one name (Chan et al.'s variance merge)."""
    stats = [s for s in stats if s[0] > 0]
    if not stats:
        return None
    count, total, mn, mn_i, mx, mx_i, mean, std = stats[0]
    m2 = (std or 0.0) ** 2 * (count - 1)
    for c, t, lo, lo_i, hi, hi_i, m, s in stats[1:]:
        delta = m - mean
        new_count = count + c
        mean += delta * c / new_count
        m2 += (s or 0.0) ** 2 * (c - 1) + delta**2 * count * c / new_count
        if lo < mn:
            mn, mn_i = lo, count + lo_i
        if hi > mx:
            mx, mx_i = hi, count + hi_i
        count, total = new_count, total + t
    std = math.sqrt(m2 / (count - 1)) if count > 1 else None
    return (count, total, mn, mn_i, mx, mx_i, mean, std)


class BasicTimeProfiler:
    """Profiles the handlers of each event, data loading and data processing times.

    Examples:
        .. code-block:: python

            from oxignite.handlers import BasicTimeProfiler

            profiler = BasicTimeProfiler()
            profiler.attach(trainer)
            trainer.run(dataloader, max_epochs=3)
            profiler.print_results(profiler.get_results())
            profiler.write_results("time_profiling.csv")
    """

    events_to_ignore: ClassVar[list] = [
        Events.EXCEPTION_RAISED,
        Events.TERMINATE,
        Events.TERMINATE_SINGLE_EPOCH,
        Events.DATALOADER_STOP_ITERATION,
        Events.INTERRUPT,
    ]

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.event_handlers_names: dict = {}
        self.max_epochs = 0
        self.total_num_iters = 0

    def _profiled_events(self) -> list:
        return [e for e in Events if e not in self.events_to_ignore]

    def _as_first_started(self, engine: Engine) -> None:
        if hasattr(engine.state.dataloader, "__len__"):
            num_iters_per_epoch = len(engine.state.dataloader)
        else:
            if engine.state.epoch_length is None:
                raise ValueError(
                    "As epoch_length is not set, we can not use BasicTimeProfiler in this case."
                    "Please, set trainer.run(..., epoch_length=epoch_length) in order to fix this."
                )
            num_iters_per_epoch = engine.state.epoch_length
        self.max_epochs = engine.state.max_epochs
        self.total_num_iters = self.max_epochs * num_iters_per_epoch
        self.event_handlers_names = {
            e: [
                _handler_name(h)
                for (h, _, _) in engine._event_handlers[e]
                if "BasicTimeProfiler." not in repr(h)
            ]
            for e in self._profiled_events()
        }
        _start_profiling(engine, self.total_num_iters)

    def attach(self, engine: Engine) -> None:
        """Attaches the profiler to ``engine``: its next runs are timed by the core."""
        _check_engine(engine)
        if not engine.has_event_handler(self._as_first_started):
            engine._event_handlers[Events.STARTED].insert(0, (self._as_first_started, (engine,), {}))
        self._engine = engine
        _start_profiling(engine, None)  # so that the STARTED firing itself is timed

    @staticmethod
    def _compute_basic_stats(stats: tuple | None) -> OrderedDict:
        if stats is None or stats[0] == 0:
            return OrderedDict([("total", "not yet triggered")])
        count, total, mn, mn_i, mx, mx_i, mean, std = stats
        out: list = [("total", total * _NS)]
        if count > 1:
            out += [
                ("min/index", (mn * _NS, mn_i)),
                ("max/index", (mx * _NS, mx_i)),
                ("mean", mean * _NS),
                ("std", std * _NS),
            ]
        return OrderedDict(out)

    def _stats(self) -> dict:
        if self._engine is None:
            return {"events": {}, "process": None, "fetch": None}
        return self._engine._core.profile_stats()

    def get_results(self) -> dict[str, dict[str, Any]]:
        """Aggregated results, in ignite's format (seconds)."""
        stats = self._stats()
        engine = self._engine
        by_event = {}
        total = 0.0
        for e in self._profiled_events():
            event_stats = None
            if engine is not None:
                event_stats = stats["events"].get(engine._event_ids[e.name])
            by_event[e.name] = self._compute_basic_stats(event_stats)
            total += event_stats[1] * _NS if event_stats else 0.0
        # A 0-d float32 tensor, as ignite's (callers use ``.item()`` on it).
        by_event["total_time"] = torch.tensor(total, dtype=torch.float32)
        return OrderedDict(
            [
                ("processing_stats", self._compute_basic_stats(stats["process"])),
                ("dataflow_stats", self._compute_basic_stats(stats["fetch"])),
                ("event_handlers_stats", by_event),
                (
                    "event_handlers_names",
                    {f"{e.name}_names": v for e, v in self.event_handlers_names.items()},
                ),
            ]
        )

    def write_results(self, output_path: str) -> None:
        """Writes the per-iteration times (seconds) as CSV, with ignite's columns."""
        engine = self._engine
        iters = self.total_num_iters
        columns = {
            name: [0.0] * iters
            for name in (
                "processing_stats",
                "dataflow_stats",
                "Event_STARTED",
                "Event_COMPLETED",
                "Event_EPOCH_STARTED",
                "Event_EPOCH_COMPLETED",
                "Event_ITERATION_STARTED",
                "Event_ITERATION_COMPLETED",
                "Event_GET_BATCH_STARTED",
                "Event_GET_BATCH_COMPLETED",
            )
        }
        per_epoch = iters // self.max_epochs if self.max_epochs else 0
        spans = engine._core.profile_spans() if engine is not None else []
        names = {i: e.name for i, e in enumerate(engine._events_by_id)} if engine else {}
        for kind, event, _, epoch, iteration, start, end in spans:
            seconds = (end - start) * _NS
            if kind == 2:  # process: ITERATION_STARTED has counted the iteration
                rows, column = [iteration - 1], "processing_stats"
            elif kind == 3:  # fetch: before the iteration is counted
                rows, column = [iteration], "dataflow_stats"
            elif kind == 0 and f"Event_{names.get(event)}" in columns:
                column = f"Event_{names[event]}"
                name = names[event]
                if name in ("STARTED", "COMPLETED"):
                    rows = list(range(iters))
                elif name in ("EPOCH_STARTED", "EPOCH_COMPLETED"):
                    rows = list(range((epoch - 1) * per_epoch, epoch * per_epoch))
                elif name in ("GET_BATCH_STARTED", "GET_BATCH_COMPLETED"):
                    rows = [iteration]
                else:
                    rows = [iteration - 1]
            else:
                continue
            for row in rows:
                if 0 <= row < iters:
                    columns[column][row] = seconds
        with open(output_path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", "iteration", *columns])
            for i in range(iters):
                epoch = i // per_epoch + 1 if per_epoch else 1
                writer.writerow([float(epoch), float(i + 1), *(c[i] for c in columns.values())])

    @staticmethod
    def print_results(results: dict) -> str:
        """Prints (and returns) the aggregated results as ignite does."""

        def to_str(v: Any) -> str:
            if isinstance(v, str):
                return v
            if isinstance(v, tuple):
                return f"{v[0]:.5f}/{v[1]}"
            return f"{v:.5f}"

        def row(d: Mapping) -> str:
            return " | ".join(to_str(v) for v in d.values())

        stats = results["event_handlers_stats"]
        names = results["event_handlers_names"]
        sections = [
            f"- Events.{e}: {names[e + '_names']}\n{row(stats[e])}\n"
            for e in (
                "STARTED",
                "EPOCH_STARTED",
                "ITERATION_STARTED",
                "ITERATION_COMPLETED",
                "EPOCH_COMPLETED",
                "COMPLETED",
            )
        ]
        message = (
            "\n ----------------------------------------------------\n"
            "| Time profiling stats (in seconds):                 |\n"
            " ----------------------------------------------------\n"
            "total  |  min/index  |  max/index  |  mean  |  std\n\n"
            f"Processing function:\n{row(results['processing_stats'])}\n\n"
            f"Dataflow:\n{row(results['dataflow_stats'])}\n\n"
            f"Event handlers:\n{to_str(stats['total_time'])}\n\n" + "\n".join(sections)
        )
        print(message)
        return message


class HandlersTimeProfiler:
    """Profiles each handler (custom events included), data loading and processing times.

    Examples:
        .. code-block:: python

            from oxignite.handlers import HandlersTimeProfiler

            profiler = HandlersTimeProfiler()
            profiler.attach(trainer)
            trainer.run(dataloader, max_epochs=3)
            profiler.print_results(profiler.get_results())
            profiler.write_results("handlers_time_profiling.csv")
    """

    EVENT_FILTER_THESHOLD_TIME = 0.0001  # ignite's; unused: filtered-out calls never happen

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.event_handlers_names: dict = {}
        # (event, name) -> handler ids shown under that name
        self._ids: dict[tuple[Any, str], list[int]] = {}

    @staticmethod
    def _get_callable_name(handler: Any) -> str:
        return _handler_name(handler)

    @staticmethod
    def _is_internal_handler(handler: Any) -> bool:
        return any(n in repr(handler) for n in ["HandlersTimeProfiler.", "Timer."])

    def _as_first_started(self, engine: Engine) -> None:
        core = engine._core
        self.event_handlers_names = {}
        self._ids = {}
        for e in engine._allowed_events:
            names = []
            for handler_id, func, *_ in core.handler_rows(engine._event_id(e)):
                if self._is_internal_handler(func):
                    continue
                name = _handler_name(func)
                names.append(name)
                self._ids.setdefault((e, name), []).append(handler_id)
            self.event_handlers_names[e] = names
        state = engine.state
        iterations = None
        if state.epoch_length is not None and state.max_epochs is not None:
            iterations = state.epoch_length * state.max_epochs
        _start_profiling(engine, iterations or state.max_iters)

    def attach(self, engine: Engine) -> None:
        """Attaches the profiler to ``engine``: its next runs are timed by the core."""
        _check_engine(engine)
        if not engine.has_event_handler(self._as_first_started):
            engine._event_handlers[Events.STARTED].insert(0, (self._as_first_started, (engine,), {}))
        self._engine = engine
        _start_profiling(engine, None)

    @staticmethod
    def _basic_stats(stats: tuple | None) -> list:
        if stats is None or stats[0] == 0:
            return ["not triggered", ("None", "None"), ("None", "None"), "None", "None"]
        count, total, mn, mn_i, mx, mx_i, mean, std = stats
        return [
            round(total * _NS, 5),
            (round(mn * _NS, 5), mn_i),
            (round(mx * _NS, 5), mx_i),
            round(mean * _NS, 5),
            round(std * _NS, 5) if count > 1 else "None",
        ]

    def _handler_stats(self) -> list[tuple[Any, str, tuple | None]]:
        stats = self._engine._core.profile_stats() if self._engine is not None else None
        out = []
        for e, names in self.event_handlers_names.items():
            for name in dict.fromkeys(names):
                ids = self._ids.get((e, name), [])
                found = [stats["handlers"][i][1] for i in ids if stats and i in stats["handlers"]]
                out.append((e, name, _merge(found)))
        return out

    def get_results(self) -> list[list[Any]]:
        """Aggregated results, in ignite's format: one row per handler, then the total, the
        processing and the dataflow rows (seconds, rounded to 5 digits)."""
        rows = []
        total = 0.0
        for e, name, stats in self._handler_stats():
            rows.append([name, getattr(e, "name", str(e)), *self._basic_stats(stats)])
            total += stats[1] * _NS if stats else 0.0
        core_stats = self._engine._core.profile_stats() if self._engine is not None else {}
        rows.append(["Total", "", round(total, 5), "", "", "", ""])
        rows.append(["Processing", "None", *self._basic_stats(core_stats.get("process"))])
        rows.append(["Dataflow", "None", *self._basic_stats(core_stats.get("fetch"))])
        return rows

    def write_results(self, output_path: str) -> None:
        """Writes every call's time (seconds) as CSV, one column per handler, as ignite."""
        engine = self._engine
        spans = engine._core.profile_spans() if engine is not None else []
        processing = [(e - s) * _NS for k, _, _, _, _, s, e in spans if k == 2]
        dataflow = [(e - s) * _NS for k, _, _, _, _, s, e in spans if k == 3]
        by_handler: dict[int, list[float]] = {}
        for kind, _, handler, _, _, start, end in spans:
            if kind == 1:
                by_handler.setdefault(handler, []).append((end - start) * _NS)
        headers = ["#", "processing_stats", "dataflow_stats"]
        cols: list[Sequence[float]] = [processing, dataflow]
        for e, names in self.event_handlers_names.items():
            for name in dict.fromkeys(names):
                headers.append(f"{name} ({getattr(e, 'name', str(e))})")
                times: list[float] = []
                for i in self._ids.get((e, name), []):
                    times += by_handler.get(i, [])
                cols.append(times)
        length = max(len(c) for c in cols)
        with open(output_path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            for i in range(length):
                writer.writerow([float(i + 1), *(c[i] if i < len(c) else 0.0 for c in cols)])

    @staticmethod
    def print_results(results: list[list[Any]]) -> None:
        """Prints the aggregated results as a table, as ignite does."""
        handler_width = max(len(str(r[0])) for r in results) + 4
        event_width = max(len(str(r[1])) for r in results) + 4
        widths = [handler_width, event_width] + [14] * 5
        row_format = "".join(
            "{: " + ("<" if i < 2 else ">") + str(w) + "}  " for i, w in enumerate(widths)
        )
        sep = "".join("-" * w + "  " for w in widths)
        headers = ["Handler", "Event Name", "Total(s)", "Min(s)/IDX", "Max(s)/IDX", "Mean(s)",
                   "Std(s)"]
        lines = ["", sep, row_format.format(*headers), sep]
        for row in results[:-3]:
            row = list(row)
            row[3] = "{}/{}".format(*row[3])
            row[4] = "{}/{}".format(*row[4])
            lines.append(row_format.format(*row))
        lines += [sep, row_format.format(*results[-3]), sep]
        summary = "{} took total {}s [min/index: {}, max/index: {}, mean: {}s, std: {}s]"
        for row in results[-2:]:
            row = list(row)
            row[3] = "{}s/{}".format(*row[3])
            row[4] = "{}s/{}".format(*row[4])
            del row[1]
            lines.append(summary.format(*row))
        print("\n".join(lines) + "\n")
