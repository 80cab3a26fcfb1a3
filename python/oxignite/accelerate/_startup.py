"""Accelerates a Python process at its start when ``OXIGNITE_ACCELERATE`` asks for it.

Imported by ``oxignite_accelerate.pth``, the startup hook that oxignite installs in
site-packages, only when the variable is set and not ``0``: :func:`oxignite.accelerate.install`
sets it, so every Python process started from an accelerated one (spawn and forkserver
children, torchrun workers, DataLoader workers, ``subprocess`` Pythons) installs the same
mode before it runs anything else. ``all`` serves every module oxignite has, ``engine`` the
engine's two; ``OXIGNITE_ACCELERATE=0`` (or empty) turns it off.
"""

from __future__ import annotations

import os
import sys

from oxignite.accelerate import ENV_VAR, install

MODES = {"all": False, "engine": True}  # the variable's value -> install's engine_only


def start() -> None:
    value = os.environ.get(ENV_VAR, "")
    if value not in MODES:
        print(
            f"oxignite.accelerate: {ENV_VAR}={value!r} is not one of 'all', 'engine', '0'; "
            "this process is not accelerated",
            file=sys.stderr,
        )
        return
    try:
        install(engine_only=MODES[value])
    except ModuleNotFoundError:
        pass  # this Python has no pytorch-ignite: nothing to accelerate


start()
