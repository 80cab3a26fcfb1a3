#!/usr/bin/env bash
# Build oxignite's wheels for CPython 3.9-3.13 with the manylinux2014 tag (glibc 2.17), check
# their tags and linkage, and smoke-test each one in a fresh venv of its own Python.
#
#   bash scripts/wheels.sh                 # all five Pythons, wheels in dist/
#   PYTHONS="3.11 3.12" bash scripts/wheels.sh
#   SMOKE=0 bash scripts/wheels.sh         # build and check only
#
# Needs: the Python interpreters (found as pythonX.Y on PATH or through pyenv), a Rust
# toolchain, and PyPI (maturin, ziglang and auditwheel go into target/wheel-tools). zig links
# against glibc 2.17 symbols, so the wheels install on manylinux2014-era systems (Ubuntu 18.04+,
# Debian 10+, RHEL/Rocky 7+) whatever this machine's glibc is.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONS=${PYTHONS:-"3.9 3.10 3.11 3.12 3.13"}
OUT=${OUT:-dist}
SMOKE=${SMOKE:-1}
TOOLS=target/wheel-tools
step() { printf '\n==> %s\n' "$*"; }

interpreter() {
    local v=$1
    if command -v pyenv >/dev/null && pyenv prefix "$v" >/dev/null 2>&1; then
        echo "$(pyenv prefix "$v")/bin/python$v"
    elif command -v "python$v" >/dev/null; then
        command -v "python$v"
    else
        echo "no python$v found (install it, or set PYTHONS)" >&2
        exit 1
    fi
}

step "Build tools (maturin, ziglang, auditwheel) in $TOOLS"
[ -x "$TOOLS/bin/maturin" ] || {
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet "maturin>=1.7,<2" ziglang auditwheel
}

interpreters=()
for v in $PYTHONS; do interpreters+=("$(interpreter "$v")"); done

step "Building wheels for CPython $PYTHONS (manylinux2014, zig linker)"
mkdir -p "$OUT"
# A target dir of its own: the wheels never reuse the editable build's artefacts.
CARGO_TARGET_DIR=target/wheels PATH="$PWD/$TOOLS/bin:$PATH" \
    "$TOOLS/bin/maturin" build --release --zig --compatibility manylinux2014 \
    --out "$OUT" --interpreter "${interpreters[@]}"

step "Checking tags and linkage (auditwheel show)"
for v in $PYTHONS; do
    tag="cp${v/./}"
    wheel=$(ls -t "$OUT"/oxignite-*-"$tag"-"$tag"-*manylinux2014_x86_64*.whl | head -1)
    "$TOOLS/bin/auditwheel" show "$wheel" | tee "target/auditwheel-$tag.txt"
    # auditwheel names the most compatible policy the wheel satisfies; it must be 2014 or older.
    grep -qE 'manylinux_2_(5|12|17)_x86_64|manylinux(1|2010|2014)_x86_64' "target/auditwheel-$tag.txt" \
        || { echo "FAIL: $wheel is not manylinux2014-compatible"; exit 1; }
done

[ "$SMOKE" = 1 ] || exit 0
for v in $PYTHONS; do
    tag="cp${v/./}"
    wheel=$(ls -t "$OUT"/oxignite-*-"$tag"-"$tag"-*manylinux2014_x86_64*.whl | head -1)
    step "Smoke test: $wheel in a fresh CPython $v venv"
    venv=$(mktemp -d)
    "$(interpreter "$v")" -m venv "$venv"
    "$venv/bin/pip" install --quiet "$wheel" pytest
    # Outside the repository, so the installed wheel is imported, not python/.
    (
        cd "$venv"
        "$venv/bin/python" -c "import sys, oxignite.engine; assert 'torch' not in sys.modules; print('import ok without torch:', oxignite.__version__)"
        engine_dir=$("$venv/bin/python" -c "import os, oxignite.engine as e; print(os.path.dirname(e.__file__))")
        # The modules with doctests that need no torch (torch is not installed here).
        "$venv/bin/python" -m pytest -q -p no:cacheprovider --doctest-modules \
            "$engine_dir/engine.py" "$engine_dir/events.py"
    )
    rm -rf "$venv"
done
step "All wheels built and smoke-tested: $(ls "$OUT"/*.whl | wc -l) in $OUT/"
