#!/usr/bin/env bash
# The project's test command: Rust unit tests, lints, then the Python suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$PWD/.venv/bin/python}"
# cargo test links libpython (no extension-module feature); build scripts need an absolute path.
export PYO3_PYTHON="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
SECONDS=0
step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }

step "Rust unit tests (cargo test)"
cargo test --quiet
step "Rust lints (cargo clippy -D warnings)"
cargo clippy --quiet --all-targets -- -D warnings
step "Python lints (ruff)"
"$PY" -m ruff check python tests benches
step "Python tests (pytest tests, engine doctests)"
"$PY" -m pytest -q tests --doctest-modules python/oxignite/engine
# The benchmarks in quick mode, so they never rot (no timing assertions).
step "Benchmarks, smoke run (quick mode: checks they run, measures nothing)"
OXIGNITE_BENCH_QUICK=1 "$PY" -m pytest -q benches --benchmark-disable
OXIGNITE_BENCH_QUICK=1 "$PY" benches/compare.py

# pytorch-ignite 0.5.5's own engine and distributed-package tests (downloaded from PyPI into
# a temp folder, or $IGNITE_SDIST), rewritten to oxignite and unchanged under
# oxignite.accelerate; fails on any failure not listed in the script's KNOWN_DIFFERENCES
# (or PENDING). Slow tests skipped: ~3 min.
step "ignite's own engine and distributed tests on oxignite (scripts/ignite_conformance.py, both modes)"
"$PY" scripts/ignite_conformance.py --paths tests/ignite/engine tests/ignite/distributed \
    --skip-slow --jobs 2 --timeout 600 --strict --failures ${IGNITE_SDIST:+--sdist "$IGNITE_SDIST"}
# Their tests marked distributed (distributed, engine and handler files) as ignite's
# run_cpu_tests.sh runs them: 2 gloo processes on the CPU (pytest-xdist --dist=each), one
# session per mode: ~2 min each.
step "ignite's distributed tests on oxignite, 2 gloo processes (ignite_conformance.py --distributed, both modes)"
"$PY" scripts/ignite_conformance.py --distributed --timeout 900 --strict --failures \
    ${IGNITE_SDIST:+--sdist "$IGNITE_SDIST"}
