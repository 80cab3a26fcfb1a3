"""``python -m oxignite.accelerate script.py [args...]`` or ``... -m module [args...]``.

Runs the script (or module) as ``__main__`` with ``sys.argv`` set as ``python script.py
args...`` would, after :func:`oxignite.accelerate.install`. See that package's docstring.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys

from oxignite.accelerate import install

USAGE = "usage: python -m oxignite.accelerate (script.py | -m module) [args...]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        out = sys.stdout if argv else sys.stderr
        print(USAGE, file=out)
        print(
            "Runs an unchanged pytorch-ignite project with ignite's Engine and Events served "
            "by oxignite's (Rust core). See the oxignite.accelerate docstring.",
            file=out,
        )
        return 0 if argv else 2
    as_module = argv[0] == "-m"
    if as_module and len(argv) < 2:
        print(f"{USAGE}\nerror: -m needs a module name", file=sys.stderr)
        return 2
    if not as_module and not os.path.isfile(argv[0]):
        print(f"oxignite.accelerate: can't open file {argv[0]!r}", file=sys.stderr)
        return 2
    try:
        install()
    except (ModuleNotFoundError, RuntimeError) as error:
        print(f"oxignite.accelerate: {error}", file=sys.stderr)
        return 1
    if as_module:
        # As `python -m module`: sys.path[0] is the current directory already (this
        # package was started with -m too).
        try:
            found = importlib.util.find_spec(argv[1]) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            print(f"oxignite.accelerate: no module named {argv[1]!r}", file=sys.stderr)
            return 1
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        # As `python script.py`: the script's directory, not the current one, first on
        # sys.path.
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
