#!/usr/bin/env bash
# The project's test command: Rust unit tests, lints, then the Python suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$PWD/.venv/bin/python}"
# cargo test links libpython (no extension-module feature); build scripts need an absolute path.
export PYO3_PYTHON="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
cargo test --quiet
cargo clippy --quiet --all-targets -- -D warnings
"$PY" -m ruff check python tests benches
"$PY" -m pytest -q tests --doctest-modules python/oxignite/engine
# The benchmarks in quick mode, so they never rot (no timing assertions).
OXIGNITE_BENCH_QUICK=1 "$PY" -m pytest -q benches --benchmark-disable
OXIGNITE_BENCH_QUICK=1 "$PY" benches/compare.py
