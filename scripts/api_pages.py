"""Write the API reference pages of the documentation site: one page per public module.

    python scripts/api_pages.py docs/api

Each page documents every name in its module's ``__all__`` with a mkdocstrings directive
(``::: path``), so the reference follows the code: a name added to ``__all__`` appears in it
at the next build, and one without a docstring shows up empty rather than missing. A name is
documented once, at the most specific module that exports it, under the path where it is
defined; the other modules that export it link there. ``scripts/docs.sh`` runs this before
``mkdocs build`` (the pages are build output, not committed).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

# (page file, title, modules documented on it, what the page is about). A name re-exported by
# several modules is documented at the most specific one (oxignite.metrics.gan's FID on the gan
# page, not on oxignite.metrics').
PAGES = [
    ("engine.md", "oxignite.engine", ["oxignite.engine"],
     ("The engine, its events and State, the supervised trainer/evaluator factories and "
     "`DeterministicEngine`. `import oxignite.engine` does not import torch; the supervised "
     "names and `DeterministicEngine` import it on first use.")),
    ("handlers.md", "oxignite.handlers", ["oxignite.handlers"],
     ("ignite's handlers: checkpoints, early stopping, timers, progress bar, parameter "
     "schedulers, profilers and the experiment-tracking loggers.")),
    ("metrics.md", "oxignite.metrics", ["oxignite.metrics"],
     ("ignite's metrics. The names of the subpackages (regression, nlp, gan, clustering, "
     "rec_sys, fairness, vision) that are also exported here are documented on their pages.")),
    ("metrics_regression.md", "oxignite.metrics.regression", ["oxignite.metrics.regression"],
     "ignite's regression metrics."),
    ("metrics_nlp.md", "oxignite.metrics.nlp", ["oxignite.metrics.nlp"],
     "Text metrics: BLEU, ROUGE, perplexity, character error rate."),
    ("metrics_gan.md", "oxignite.metrics.gan", ["oxignite.metrics.gan"],
     "FID and Inception Score (scipy and torchvision imported on first use)."),
    ("metrics_clustering.md", "oxignite.metrics.clustering", ["oxignite.metrics.clustering"],
     "Clustering scores (scikit-learn imported on first use)."),
    ("metrics_rec_sys.md", "oxignite.metrics.rec_sys", ["oxignite.metrics.rec_sys"],
     "Recommender-system metrics."),
    ("metrics_fairness.md", "oxignite.metrics.fairness", ["oxignite.metrics.fairness"],
     "Fairness metrics over subgroups."),
    ("metrics_vision.md", "oxignite.metrics.vision", ["oxignite.metrics.vision"],
     "Object detection metrics (no torchvision needed)."),
    ("distributed.md", "oxignite.distributed", ["oxignite.distributed"],
     "ignite's `ignite.distributed` API (`import oxignite.distributed as idist`)."),
    ("utils.md", "oxignite.utils, base, exceptions",
     ["oxignite.utils", "oxignite.base", "oxignite.exceptions"],
     "`ignite.utils`' helpers, ignite's mixins and exceptions."),
    ("contrib.md", "oxignite.contrib.engines", ["oxignite.contrib.engines",
                                                 "oxignite.contrib.engines.common"],
     ("ignite's older `contrib` paths that hold their own code: truncated backpropagation "
     "through time and the common training setup helpers.")),
    ("profiling.md", "oxignite.profiling", ["oxignite.profiling"],
     "The core's timing of a run: spans, aggregates, a Chrome trace and a timeline picture."),
    ("accelerate.md", "oxignite.accelerate", ["oxignite.accelerate"],
     "Run an unchanged ignite project on oxignite's engine."),
    ("natives.md", "oxignite.natives", ["oxignite.natives"],
     "The switch that turns the core's native fast paths off (the reference Python paths)."),
]


def canonical(module: str, name: str) -> str:
    """The dotted path where ``module.name`` is defined (what mkdocstrings should load)."""
    obj = getattr(importlib.import_module(module), name)
    home, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if (
        isinstance(home, str)
        and home.startswith("oxignite.")
        and home != "oxignite._core"  # natives: documented where the package exports them
        and isinstance(qualname, str)
        and "<" not in qualname
        and qualname.split(".")[-1] == name
    ):
        return f"{home}.{qualname}"
    return f"{module}.{name}"


def page(title: str, modules: list, about: str, seen: dict, page_name: str) -> str:
    lines = [f"# {title}", "", about, ""]
    for module in modules:
        names = list(importlib.import_module(module).__all__)
        if len(modules) > 1:
            lines += [f"## `{module}`", ""]
        # the module's own docstring (its overview and examples), without its members
        lines += [f"::: {module}", "    options:", "      members: false",
                  "      show_root_heading: false", "      show_root_toc_entry: false", ""]
        elsewhere = []
        for name in names:
            path = canonical(module, name)
            if path in seen:
                elsewhere.append((name, path, seen[path]))
                continue
            seen[path] = page_name
            lines += [f"::: {path}", "    options:", "      show_root_full_path: false",
                      f"      heading_level: {3 if len(modules) > 1 else 2}", ""]
        if elsewhere:
            links = ", ".join(f"[`{n}`][{path}] ({p[:-3]})" for n, path, p in elsewhere)
            lines += [f"Also exported by `{module}`, documented elsewhere: {links}.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder of the API pages, e.g. docs/api")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    deepest_first = sorted(PAGES, key=lambda p: -max(m.count(".") for m in p[2]))
    for file_name, title, modules, about in deepest_first:
        (args.out / file_name).write_text(page(title, modules, about, seen, file_name) + "\n")
    print(f"{len(PAGES)} API pages, {len(seen)} names, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
