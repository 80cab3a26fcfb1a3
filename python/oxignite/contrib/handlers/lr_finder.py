"""Old import path of :mod:`oxignite.handlers.lr_finder` (re-export)."""

from oxignite.contrib._moved import warn_moved
from oxignite.handlers.lr_finder import FastaiLRFinder

warn_moved(__file__, "/oxignite/handlers/lr_finder.py")

__all__ = ["FastaiLRFinder"]
