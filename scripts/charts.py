"""Draw the Performance page's charts from the benches' machine-readable output.

    python scripts/charts.py docs/data/compare.json --out docs/charts

Reads one or more files written by ``benches/compare.py --json`` or ``benches/handlers.py
--json`` (a later file's handler stacks and metrics replace an earlier one's) and writes SVGs:

- ``engine_overhead.svg``: the engine's own cost per iteration over a bare Python loop,
  ignite vs oxignite, for the scenarios of ``benches/scenarios.py`` (log scale);
- ``handler_stacks.svg``: µs per iteration of each built-in handler stack, hand-written loop
  vs ignite vs oxignite, for a tensor and a float output (log scale);
- ``handler_overhead.svg``: the same stacks' overhead over the hand-written loop;
- ``metric_updates.svg``: µs per batch of metric updates on an evaluator.

Each chart's footer names the run (date, CPU, versions, clock, repeats, load average). The SVGs
are deterministic for given input (no date stamp, fixed ids), so rebuilding changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.transforms import blended_transform_factory

COLORS = {"bare": "#9e9e9e", "hand": "#607d8b", "ignite": "#e64a19", "oxignite": "#1976d2"}
LABELS = {
    "bare": "bare Python loop",
    "hand": "hand-written loop",
    "ignite": "pytorch-ignite",
    "oxignite": "oxignite",
}


def load(paths: list) -> dict:
    """The runs merged: scenarios from the file that has them, later stacks/metrics win."""
    merged: dict = {"runs": []}
    for path in paths:
        doc = json.loads(Path(path).read_text())
        merged["runs"].append(doc)
        for key in ("scenarios", "stacks", "metrics"):
            if doc.get(key):
                merged[key] = doc[key]
                merged[f"{key}_run"] = doc
    return merged


def footer(run: dict) -> str:
    m, a = run["machine"], run["args"]
    load_avg = m.get("load_average")
    load_txt = f", load average {load_avg:.1f}" if load_avg is not None else ""
    quick = " QUICK MODE: not a measurement." if a.get("quick") else ""
    return (
        f"benches/{run['bench']}.py --clock {a.get('clock')} --repeat {a.get('repeat')}, "
        f"{m['date']}: {m['cpu']}, {m['cores']} cores{load_txt}; Python {m['python']}, "
        f"torch {m['torch']}, pytorch-ignite {m['pytorch_ignite']}. Medians.{quick}"
    )


def grouped_barh(ax, labels: list, series: dict, unit: str, log: bool) -> None:
    """Horizontal bars, one group per label, one bar per series, values printed at the tips."""
    n = len(series)
    height = 0.8 / n
    at_axis_foot = blended_transform_factory(ax.transAxes, ax.transData)
    ys = range(len(labels))
    for i, (name, values) in enumerate(series.items()):
        pos = [y - 0.4 + height * (i + 0.5) for y in ys]
        shown = [v if v > 0 else float("nan") for v in values]  # no bar for "none measured"
        bars = ax.barh(pos, shown, height=height, color=COLORS[name], label=LABELS[name])
        for bar, v in zip(bars, values):
            y = bar.get_y() + bar.get_height() / 2
            if v > 0:
                text = f"{v:,.2f}" if v < 10 else f"{v:,.0f}"
                ax.text(bar.get_width() * (1.08 if log else 1.01), y, text, va="center", fontsize=9)
            else:  # at or below the reference: no bar on a log axis, say so at its foot
                ax.text(0.01, y, "≤ 0", va="center", fontsize=9, transform=at_axis_foot)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=10)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(unit)
    ax.grid(axis="x", alpha=0.3, which="both")
    ax.set_axisbelow(True)


def top_legend(fig, ax, ncol: int) -> None:
    """The legend in one row under the title, clear of the bars."""
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, fontsize=10, ncol=ncol, loc="upper center",
               bbox_to_anchor=(0.5, 0.945), frameon=False)


def save(fig, out: Path, run: dict) -> None:
    fig.text(0.01, 0.01, footer(run), fontsize=8, color="#555555", wrap=True)
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)
    print(f"wrote {out}")


def engine_overhead(data: dict, out: Path) -> None:
    rows = [s for s in data["scenarios"] if s["unit"] == "ns" and s["key"] != "torch"]
    labels = [s["title"] for s in rows]
    series = {
        lib: [max(s[lib] - s["bare"], 0.0) for s in rows] for lib in ("ignite", "oxignite")
    }
    fig, ax = plt.subplots(figsize=(9, 5))
    grouped_barh(ax, labels, series, "ns per iteration over a bare Python loop (log scale)", True)
    fig.suptitle("The engine's own cost per iteration (overhead over a bare loop)", fontsize=13)
    low, high = ax.get_xlim()
    ax.set_xlim(low, high * 2.5)  # room for the values printed at the bars' tips
    top_legend(fig, ax, 2)
    fig.subplots_adjust(left=0.3, right=0.97, top=0.84, bottom=0.2)
    save(fig, out / "engine_overhead.svg", data["scenarios_run"])


# Short names for the stacks of benches/handlers.py (its titles are long table cells).
STACK_LABELS = {
    "a": "a. TerminateOnNan",
    "b": "b. Timer",
    "c": "c. RunningAverage",
    "d": "d. ProgressBar",
    "e": "e. ProgressBar + RunningAverage",
    "f": "f. typical trainer (e + 5 handlers)",
    "g": "g. (f) + supervised trainer",
}
# g's process function returns a float (loss.item(), as ignite's trainer does): its two
# models go with the float panel.
PANELS = {"tensor": ("tensor",), "float": ("float", "linear", "mlp")}
KIND_SUFFIX = {"linear": ", Linear", "mlp": ", MLP"}


def stack_label(row: dict) -> str:
    return STACK_LABELS.get(row["key"], row["title"][:36]) + KIND_SUFFIX.get(row["output"], "")


def stacks_chart(data: dict, out: Path, overhead: bool) -> None:
    panels = {
        name: [s for s in data["stacks"] if s["output"] in kinds]
        for name, kinds in PANELS.items()
    }
    panels = {name: rows for name, rows in panels.items() if rows}
    heights = [len(rows) for rows in panels.values()]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(9, 1.6 + 0.6 * sum(heights)), squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    libs = ("ignite", "oxignite") if overhead else ("hand", "ignite", "oxignite")
    for ax, (kind, rows) in zip(axes[:, 0], panels.items()):
        if overhead:
            series = {lib: [max(s[lib] - s["hand"], 0.0) for s in rows] for lib in libs}
        else:
            series = {lib: [s[lib] for s in rows] for lib in libs}
        grouped_barh(ax, [stack_label(s) for s in rows], series, "", True)
        ax.set_title(f"the process function returns a {kind}", fontsize=11, loc="left")
        low, high = ax.get_xlim()
        ax.set_xlim(low, high * 2.5)  # room for the values printed at the bars' tips
    axes[-1, 0].set_xlabel(
        "µs per iteration over the hand-written loop (log scale)"
        if overhead
        else "µs per iteration (log scale)"
    )
    top_legend(fig, axes[0, 0], len(libs))
    fig.suptitle(
        "Built-in handler stacks: overhead over a hand-written loop"
        if overhead
        else "Built-in handler stacks: time per iteration",
        fontsize=13,
    )
    fig.subplots_adjust(left=0.34, right=0.97, top=0.9, bottom=0.1, hspace=0.3)
    name = "handler_overhead.svg" if overhead else "handler_stacks.svg"
    save(fig, out / name, data["stacks_run"])


def metric_updates(data: dict, out: Path) -> None:
    rows = data["metrics"]
    labels = [r["name"] for r in rows]
    series = {lib: [r[lib] for r in rows] for lib in ("hand", "ignite", "oxignite")}
    fig, ax = plt.subplots(figsize=(9, 3.8))
    grouped_barh(ax, labels, series, "µs per batch of 32 x 10 scores", False)
    ax.set_xlim(0, max(max(v) for v in series.values()) * 1.15)
    fig.suptitle("Metric updates on an evaluator, per batch", fontsize=13)
    top_legend(fig, ax, 3)
    fig.subplots_adjust(left=0.2, right=0.97, top=0.8, bottom=0.3)
    save(fig, out / "metric_updates.svg", data["metrics_run"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", help="files written by the benches' --json")
    parser.add_argument("--out", type=Path, default=Path("docs/charts"))
    args = parser.parse_args()
    plt.rcParams["svg.hashsalt"] = "oxignite"  # stable ids: same input, same bytes
    plt.rcParams["svg.fonttype"] = "none"  # text stays text (smaller, searchable)
    plt.rcParams["font.size"] = 11
    args.out.mkdir(parents=True, exist_ok=True)
    data = load(args.json)
    if "scenarios" in data:
        engine_overhead(data, args.out)
    if "stacks" in data:
        stacks_chart(data, args.out, overhead=False)
        stacks_chart(data, args.out, overhead=True)
    if "metrics" in data:
        metric_updates(data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
