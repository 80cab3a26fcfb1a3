"""``python -m oxignite.accelerate [options] script.py [args...]`` or ``... -m module [args...]``.

Runs the script (or module) as ``__main__`` as ``python script.py args...`` (``python -m
module args...``) would, after :func:`oxignite.accelerate.install`. See that package's
docstring.
"""

from __future__ import annotations

import builtins
import importlib.machinery
import importlib.util
import io
import os
import runpy
import sys
import types
import zipfile

from oxignite.accelerate import install

USAGE = (
    "usage: python -m oxignite.accelerate [--engine-only] [--no-children] "
    "(script.py | -m module) [args...]"
)
HELP = """\
Runs an unchanged pytorch-ignite project on oxignite (Rust core): every module of ignite
that oxignite has is served by oxignite's, in this process and in the Python processes it
starts.

options:
  --engine-only  serve only ignite's Engine and Events (ignite.engine.engine and
                 ignite.engine.events); ignite's own handlers and metrics run on them
  --no-children  do not accelerate child processes (OXIGNITE_ACCELERATE stays unset)

See the oxignite.accelerate docstring."""
OPTIONS = {"--engine-only": "engine_only", "--no-children": "no_children"}


def main(argv: list[str]) -> int:
    flags = {"engine_only": False, "no_children": False}
    while argv and argv[0] in OPTIONS:
        flags[OPTIONS[argv[0]]] = True
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        out = sys.stdout if argv else sys.stderr
        print(USAGE, file=out)
        print(HELP, file=out)
        return 0 if argv else 2
    if argv[0].startswith("-") and argv[0] != "-m":
        print(f"{USAGE}\nerror: unknown option {argv[0]!r}", file=sys.stderr)
        return 2
    as_module = argv[0] == "-m"
    if as_module and len(argv) < 2:
        print(f"{USAGE}\nerror: -m needs a module name", file=sys.stderr)
        return 2
    if not as_module and not os.path.exists(argv[0]):
        print(f"oxignite.accelerate: can't open file {argv[0]!r}", file=sys.stderr)
        return 2
    try:
        install(engine_only=flags["engine_only"], children=not flags["no_children"])
    except (ModuleNotFoundError, RuntimeError) as error:
        print(f"oxignite.accelerate: {error}", file=sys.stderr)
        return 1
    if as_module:
        return _run_module(argv[1], argv[2:])
    return _run_script(argv[0], argv[1:])


def _run_module(name: str, args: list[str]) -> int:
    # As `python -m module`: sys.path[0] is the current directory already (this package
    # was started with -m too); runpy sets sys.argv[0] to the module's file and __spec__.
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        print(f"oxignite.accelerate: no module named {name!r}", file=sys.stderr)
        return 1
    sys.argv = [name, *args]
    runpy.run_module(name, run_name="__main__", alter_sys=True)
    return 0


def _run_script(path: str, args: list[str]) -> int:
    # As `python path`: sys.argv[0] as given; the script's folder, with symlinks resolved,
    # first on sys.path (not the current folder); a folder or zip with a __main__.py is
    # itself the first entry (runpy puts it there).
    sys.argv = [path, *args]
    if not os.path.isfile(path) or zipfile.is_zipfile(path):
        del sys.path[0]
        runpy.run_path(os.path.abspath(path), run_name="__main__")
        return 0
    sys.path[0] = os.path.dirname(os.path.realpath(path))
    # __file__ is absolute, the current folder joined as given (Python >= 3.9 does not
    # normalize it either), so a script that changes folder still finds files beside it.
    filename = os.path.join(os.getcwd(), path)
    with io.open_code(filename) as source:
        code = compile(source.read(), filename, "exec")
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=filename,
        __cached__=None,
        __builtins__=builtins,
        __loader__=importlib.machinery.SourceFileLoader("__main__", filename),
    )
    # The script's globals are __main__ for good: pickle, multiprocessing's spawn children
    # and `import __main__` find it there, as they find a script run by `python path`.
    sys.modules["__main__"] = main
    exec(code, main.__dict__)  # noqa: S102 - running the user's script is the point
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
