"""See where a run's time goes: the core's own timing as a Chrome trace and a timeline picture.

When profiling is on, an engine's core records every firing of an event, every handler call,
every call of the process function and every fetch of a batch as a span on one monotonic
clock shared by all engines (so a trainer and the evaluator it runs line up). Aggregates are
kept for all of them; raw spans go to a ring buffer of bounded size (the oldest are dropped
and counted). When profiling is off, the loop pays one flag check per event.

Examples:
    >>> from oxignite.engine import Engine, Events
    >>> from oxignite import profiling
    >>> engine = Engine(lambda engine, batch: batch)
    >>> profiling.start(engine)
    >>> _ = engine.run([1, 2, 3])
    >>> [s.name for s in profiling.spans(engine) if s.kind == "event"][:3]
    ['STARTED', 'EPOCH_STARTED', 'GET_BATCH_STARTED']
    >>> trace = profiling.chrome_trace({"trainer": engine})
    >>> sorted(trace)
    ['displayTimeUnit', 'otherData', 'traceEvents']

``python -m oxignite.examples.digits --profile DIR`` writes both files for the demo.
Open the ``.json`` file in https://ui.perfetto.dev or ``chrome://tracing``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from oxignite._core import SPAN_KINDS

__all__ = [
    "DEFAULT_CAPACITY",
    "Span",
    "chrome_trace",
    "draw_timeline",
    "spans",
    "start",
    "stats",
    "stop",
    "write_chrome_trace",
]

DEFAULT_CAPACITY = 1 << 16


class Span(NamedTuple):
    """One timed interval: ``kind`` is ``"event"``, ``"handler"``, ``"process"`` or
    ``"fetch"``; ``name`` the event's name, the handler's name, or the kind; ``event`` the name
    of the event a handler ran for (None for process/fetch); times in seconds on the core's
    clock (``oxignite._core.monotonic_ns() * 1e-9``)."""

    kind: str
    name: str
    event: str | None
    epoch: int
    iteration: int
    start: float
    end: float


def start(engine: Any, capacity: int = DEFAULT_CAPACITY, reset: bool = True) -> None:
    """Starts recording ``engine``'s spans, keeping at most ``capacity`` raw spans."""
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
        raise ValueError(f"Argument capacity should be a non-negative integer, got {capacity!r}")
    engine._core.profile_start(capacity, reset)


def stop(engine: Any) -> None:
    """Stops recording; what was recorded stays readable."""
    engine._core.profile_stop()


def _handler_names(engine: Any) -> dict[int, str]:
    names = {}
    for event_id in engine._event_ids.values():
        for handler_id, func, *_ in engine._core.handler_rows(event_id):
            func = getattr(func, "func", func)  # a raw (handler, args, kwargs) row
            names[handler_id] = getattr(func, "__qualname__", type(func).__name__)
    return names


def _event_name(engine: Any, event_id: int) -> str:
    events = engine._events_by_id
    if 0 <= event_id < len(events):
        event = events[event_id]
        return getattr(event, "name", str(event))
    return "?"


def spans(engine: Any) -> list[Span]:
    """The raw spans recorded for ``engine``, oldest first. A handler removed since it ran is
    named ``handler#<id>``."""
    names = _handler_names(engine)
    out = []
    for kind, event, handler, epoch, iteration, start_ns, end_ns in engine._core.profile_spans():
        kind_name = SPAN_KINDS[kind]
        if kind_name == "event":
            name, of = _event_name(engine, event), None
        elif kind_name == "handler":
            name, of = names.get(handler, f"handler#{handler}"), _event_name(engine, event)
        else:
            name, of = kind_name, None
        out.append(Span(kind_name, name, of, epoch, iteration, start_ns * 1e-9, end_ns * 1e-9))
    return out


def stats(engine: Any) -> dict[str, Any]:
    """Aggregates over everything recorded (also what the ring buffer dropped), in seconds:
    ``{"events": {name: s}, "handlers": {(event, name): s}, "process": s, "fetch": s,
    "dropped": n}``, each ``s`` a dict of count, total, min, max, mean and std."""
    raw = engine._core.profile_stats()
    names = _handler_names(engine)

    def seconds(s: tuple) -> dict[str, Any]:
        count, total, mn, mn_i, mx, mx_i, mean, std = s
        return {
            "count": count,
            "total": total * 1e-9,
            "min": mn * 1e-9,
            "min_index": mn_i,
            "max": mx * 1e-9,
            "max_index": mx_i,
            "mean": mean * 1e-9,
            "std": None if std is None else std * 1e-9,
        }

    handlers: dict[tuple[str, str], dict[str, Any]] = {}
    for handler_id, (event_id, s) in raw["handlers"].items():
        key = (_event_name(engine, event_id), names.get(handler_id, f"handler#{handler_id}"))
        handlers[key] = seconds(s)
    return {
        "events": {_event_name(engine, e): seconds(s) for e, s in raw["events"].items()},
        "handlers": handlers,
        "process": seconds(raw["process"]),
        "fetch": seconds(raw["fetch"]),
        "dropped": raw["dropped"],
    }


def _named(engines: Mapping[str, Any] | Iterable[Any]) -> list[tuple[str, Any]]:
    if isinstance(engines, Mapping):
        return list(engines.items())
    return [(f"engine {i}", engine) for i, engine in enumerate(engines)]


def chrome_trace(engines: Mapping[str, Any] | Iterable[Any]) -> dict[str, Any]:
    """The spans of ``engines`` (``{"trainer": trainer, "evaluator": evaluator}``, or a list)
    as a Chrome trace / Perfetto JSON object: one track per engine, handler calls nested under
    the firing of their event, the process function and data fetches beside them."""
    events: list[dict[str, Any]] = []
    dropped = {}
    for tid, (label, engine) in enumerate(_named(engines), start=1):
        events.append(
            {"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "args": {"name": label}}
        )
        events.append(
            {"ph": "M", "name": "thread_sort_index", "pid": 1, "tid": tid, "args": {"sort_index": tid}}
        )
        for span in spans(engine):
            args: dict[str, Any] = {"epoch": span.epoch, "iteration": span.iteration}
            if span.event is not None:
                args["event"] = span.event
            events.append(
                {
                    "ph": "X",
                    "name": span.name,
                    "cat": span.kind,
                    "pid": 1,
                    "tid": tid,
                    "ts": span.start * 1e6,
                    "dur": (span.end - span.start) * 1e6,
                    "args": args,
                }
            )
        dropped[label] = engine._core.profile_stats()["dropped"]
    events.insert(
        0, {"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "oxignite"}}
    )
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"dropped": dropped}}


def write_chrome_trace(path: str | Path, engines: Mapping[str, Any] | Iterable[Any]) -> Path:
    """Writes :func:`chrome_trace` to ``path`` (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(chrome_trace(engines)))
    return path


_COLORS = {"event": "#4c72b0", "handler": "#dd8452", "process": "#55a868", "fetch": "#c44e52"}
_LANES = ("fetch", "process", "event", "handler")


def draw_timeline(
    path: str | Path,
    engines: Mapping[str, Any] | Iterable[Any],
    *,
    title: str = "Timeline and events",
    max_spans: int = 20_000,
    window: tuple[float, float] | None = None,
) -> Path:
    """Draws the spans of ``engines`` on a time axis as a PNG (needs matplotlib): per engine,
    lanes for data fetches, the process function, event firings and handler calls, with the
    run-level events (STARTED, EPOCH_STARTED/COMPLETED, COMPLETED, ...) marked and handlers
    long enough to read labelled. Only the first ``max_spans`` spans of each engine are drawn;
    ``window=(from_s, to_s)``, in seconds after the first span, draws only that stretch.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    named = [(label, spans(engine)) for label, engine in _named(engines)]
    starts = [s.start for _, ss in named for s in ss]
    if not starts:
        raise ValueError("no spans were recorded: call profiling.start(engine) before run()")
    origin = min(starts)
    if window is not None:
        low, high = origin + window[0], origin + window[1]
        named = [(label, [s for s in ss if s.end >= low and s.start <= high]) for label, ss in named]
        origin = low
    named = [(label, ss[:max_spans]) for label, ss in named]
    end = max((s.end for _, ss in named for s in ss), default=origin)
    total_ms = (end - origin) * 1e3 or 1.0

    rows = len(named) * len(_LANES)
    fig, ax = plt.subplots(figsize=(16, 1.2 + 0.55 * rows))
    yticks, ylabels = [], []
    for n, (label, ss) in enumerate(named):
        for lane, kind in enumerate(_LANES):
            y = (len(named) - 1 - n) * (len(_LANES) + 1) + (len(_LANES) - 1 - lane)
            yticks.append(y)
            ylabels.append(f"{label}: {kind}")
            bars = [((s.start - origin) * 1e3, (s.end - s.start) * 1e3) for s in ss if s.kind == kind]
            if bars:
                ax.broken_barh(bars, (y - 0.4, 0.8), facecolors=_COLORS[kind], linewidth=0)
            for s in ss:
                if s.kind != kind:
                    continue
                x, width = (s.start - origin) * 1e3, (s.end - s.start) * 1e3
                if kind == "event" and s.name not in (
                    "ITERATION_STARTED", "ITERATION_COMPLETED", "GET_BATCH_STARTED",
                    "GET_BATCH_COMPLETED",
                ):
                    ax.axvline(x, color="#999999", linewidth=0.5, zorder=0)
                    ax.text(x, y + 0.45, s.name, fontsize=6, rotation=30, va="bottom")
                elif kind == "handler" and width > total_ms / 60:
                    ax.text(x + width / 2, y, s.name, fontsize=6, ha="center", va="center")
    ax.set_yticks(yticks)
    ax.set_yticklabels(ylabels, fontsize=8)
    ax.set_xlabel("time (ms)")
    ax.set_xlim(0, total_ms)
    ax.set_title(title)
    ax.legend(
        handles=[Patch(color=c, label=k) for k, c in _COLORS.items()],
        loc="upper right",
        fontsize=7,
    )
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
