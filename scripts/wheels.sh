#!/usr/bin/env bash
# Build oxignite's wheels for every platform ignite runs on, CPython 3.10-3.14, plus the sdist,
# all cross-built from one Linux x86_64 machine, then check each what can be checked here.
#
#   bash scripts/wheels.sh                            # everything below, wheels in dist/
#   PLATFORMS="linux-x86_64" PYTHONS="3.12" bash scripts/wheels.sh
#   SMOKE=0 bash scripts/wheels.sh                    # build and check binaries only
#   PARALLEL=0 bash scripts/wheels.sh                 # one platform at a time (less memory)
#   BUILD=0 bash scripts/wheels.sh                    # only check the wheels already in dist/
#
# PLATFORMS (default all):  linux-x86_64, linux-aarch64  manylinux2014 (glibc 2.17+), zig linker
#                           macos-x86_64 (10.12+), macos-arm64 (11.0+)        zig linker
#                           windows-x64                                       MinGW-w64 linker
# PYTHONS (default 3.10 3.11 3.12 3.13 3.14): one wheel per version (cpXY-cpXY). Per-version
#   builds measured faster than the stable ABI, and maturin (1.16) carries the build
#   configuration of CPython 3.14 for every target, so 3.14 gets its own cp314 wheel like the
#   others: no 3.14 interpreter is needed to build it. (An abi3 wheel would also cover later
#   Pythons, slower; it can be added when 3.15 ships.)
#
# Checks, by what this machine can run:
#   linux-x86_64   auditwheel (manylinux2014 policy), then each wheel in a fresh venv of its
#                  Python: import without torch, the engine's doctests (Pythons not found here
#                  are reported as not run)
#   linux-aarch64  auditwheel, then (SMOKE) run in an emulated arm64 Debian (qemu-user-static +
#                  debootstrap: `apt-get install qemu-user-static debootstrap binfmt-support`):
#                  import without torch, the doctests; TORCH=1: a short torch training loop
#   macos-*, windows-x64   NOT RUN here: scripts/wheel_binaries.py checks the binary's format,
#                  architecture and imports (the Python C API and system libraries only)
#   sdist          (SMOKE) pip builds a wheel from it with cargo alone, no zig, and imports it
#
# Needs: a Rust toolchain (rustup adds the targets), PyPI (maturin, ziglang, auditwheel, lief go
# into target/wheel-tools), for Windows `apt-get install gcc-mingw-w64-x86-64`.
set -euo pipefail
cd "$(dirname "$0")/.."
PLATFORMS=${PLATFORMS:-"linux-x86_64 linux-aarch64 macos-x86_64 macos-arm64 windows-x64"}
PYTHONS=${PYTHONS:-"3.10 3.11 3.12 3.13 3.14"}
OUT=${OUT:-dist}
SMOKE=${SMOKE:-1}
BUILD=${BUILD:-1}
# PyPI's aarch64 torch is its CUDA 13 build (0.5 GB + several GB of CUDA wheels): far too slow
# to install under emulation. TORCH=1 with TORCH_INDEX=<an index with the CPU build> runs it.
TORCH=${TORCH:-0}
TOOLS=target/wheel-tools
ARM64=${ARM64:-1}
# The Debian roots live outside the repository (they have /proc mounted while in use).
ARM64_SUITE=${ARM64_SUITE:-bookworm} # python3 3.11, emulated arm64
ARM64_ROOT=${ARM64_ROOT:-$HOME/.cache/oxignite/arm64-debian}
NEWER_SUITE=${NEWER_SUITE-forky} # python3 3.14 (December 2026); empty: none
NEWER_ROOT=${NEWER_ROOT:-$HOME/.cache/oxignite/amd64-$NEWER_SUITE}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECONDS=0
step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

# platform -> Rust target, wheel platform tag
target_of() {
    case $1 in
        linux-x86_64) echo x86_64-unknown-linux-gnu ;;
        linux-aarch64) echo aarch64-unknown-linux-gnu ;;
        macos-x86_64) echo x86_64-apple-darwin ;;
        macos-arm64) echo aarch64-apple-darwin ;;
        windows-x64) echo x86_64-pc-windows-gnu ;;
        *) fail "unknown platform $1 (see the top of $0)" ;;
    esac
}
tag_of() {
    case $1 in
        linux-x86_64) echo manylinux2014_x86_64.manylinux_2_17_x86_64 ;;
        linux-aarch64) echo manylinux2014_aarch64.manylinux_2_17_aarch64 ;;
        macos-x86_64) echo macosx_10_12_x86_64 ;;
        macos-arm64) echo macosx_11_0_arm64 ;;
        windows-x64) echo win_amd64 ;;
    esac
}
wheel_of() { # platform, python version
    local cp="cp${2/./}"
    echo "$OUT/oxignite-$version-$cp-$cp-$(tag_of "$1").whl"
}
# A real interpreter for the smoke tests (pyenv's, or pythonX.Y on PATH); empty if none.
interpreter() {
    if command -v pyenv >/dev/null && pyenv prefix "$1" >/dev/null 2>&1; then
        echo "$(pyenv prefix "$1")/bin/python$1"
    else
        command -v "python$1" || true
    fi
}

step "Build tools (maturin, ziglang, auditwheel, lief) in $TOOLS"
[ -x "$TOOLS/bin/maturin" ] && [ -x "$TOOLS/bin/auditwheel" ] && "$TOOLS/bin/python" -c "import lief" 2>/dev/null || {
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet "maturin>=1.16,<2" ziglang auditwheel lief
}
export PATH="$PWD/$TOOLS/bin:$PATH"
targets=()
for p in $PLATFORMS; do targets+=("$(target_of "$p")"); done
rustup target add "${targets[@]}" >/dev/null || fail "rustup could not add ${targets[*]}"

mkdir -p "$OUT"
interpreters=()
for v in $PYTHONS; do interpreters+=("python$v"); done
build_platform() {
    local p=$1 target start=$SECONDS
    target=$(target_of "$p")
    local flags=(--release --target "$target" --out "$OUT" --interpreter "${interpreters[@]}")
    case $p in
        linux-*) flags+=(--zig --compatibility manylinux2014) ;;
        macos-*) flags+=(--zig) ;;
        windows-*)
            command -v x86_64-w64-mingw32-gcc >/dev/null \
                || fail "no MinGW-w64 linker: apt-get install gcc-mingw-w64-x86-64"
            export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
            flags+=(--features generate-import-lib) ;;
    esac
    # A target dir per platform (builds run side by side), none shared with the editable build.
    CARGO_TARGET_DIR="target/wheels/$p" maturin build "${flags[@]}"
    for v in $PYTHONS; do
        [ -f "$(wheel_of "$p" "$v")" ] || fail "expected $(wheel_of "$p" "$v")"
    done
    echo "built $p in $((SECONDS - start)) s"
}
# Side by side by default: most of a wheel's build is its fat-LTO link, one thread each.
step "Building wheels for $PLATFORMS, CPython $PYTHONS (logs: target/wheels-PLATFORM.log)"
pids=()
[ "$BUILD" = 1 ] || echo "BUILD=0: checking the wheels already in $OUT/"
for p in $PLATFORMS; do
    if [ "$BUILD" != 1 ]; then
        continue
    elif [ "${PARALLEL:-1}" = 1 ]; then
        build_platform "$p" > "target/wheels-$p.log" 2>&1 &
        pids+=("$p:$!")
    else
        build_platform "$p" 2>&1 | tee "target/wheels-$p.log"
    fi
done
failed=()
for entry in "${pids[@]}"; do
    wait "${entry#*:}" || failed+=("${entry%%:*}")
done
for p in "${failed[@]}"; do tail -n 30 "target/wheels-$p.log"; done
[ ${#failed[@]} = 0 ] || fail "building ${failed[*]} (see target/wheels-PLATFORM.log)"
for p in $PLATFORMS; do
    if [ "$BUILD" = 1 ]; then tail -n 1 "target/wheels-$p.log"; fi
    for v in $PYTHONS; do
        [ -f "$(wheel_of "$p" "$v")" ] || fail "expected $(wheel_of "$p" "$v")"
    done
done
step "Building the sdist"
sdist="$OUT/oxignite-$version.tar.gz"
if [ "$BUILD" = 1 ]; then maturin sdist --out "$OUT"; fi
[ -f "$sdist" ] || fail "expected $sdist"

for p in $PLATFORMS; do
    case $p in
        linux-*)
            arch=${p#linux-}
            step "Checking $p tags and linkage (auditwheel show)"
            for v in $PYTHONS; do
                wheel=$(wheel_of "$p" "$v")
                report="target/auditwheel-$(basename "$wheel" .whl).txt"
                auditwheel show "$wheel" > "$report"
                # auditwheel names the most compatible policy the wheel satisfies: 2014 or older.
                grep -qE "manylinux_2_(5|12|17)_$arch|manylinux(1|2010|2014)_$arch" "$report" \
                    || { cat "$report"; fail "$wheel is not manylinux2014-compatible"; }
                echo "ok  $(basename "$wheel")"
            done ;;
        *)
            step "Checking $p binaries (format, architecture, imports). NOT RUN: no $p here"
            wheels=()
            for v in $PYTHONS; do wheels+=("$(wheel_of "$p" "$v")"); done
            python3 scripts/wheel_binaries.py --python "$TOOLS/bin/python" "${wheels[@]}" ;;
    esac
done

[ "$SMOKE" = 1 ] || { step "Built and checked (no smoke tests): $(ls "$OUT" | wc -l) files in $OUT/"; exit 0; }

# Imports without torch, then the doctests of the modules that need no torch. Run from the
# venv's folder, so the installed wheel is imported, not python/.
SMOKE_PY='import sys, oxignite.engine
assert "torch" not in sys.modules
print("import ok without torch:", oxignite.__version__, sys.platform, sys.version.split()[0])'
not_run=()
smoke_in_venv() { # python, wheel
    local venv
    venv=$(mktemp -d)
    "$1" -m venv "$venv"
    "$venv/bin/pip" install --quiet "$2" pytest
    (
        cd "$venv"
        "$venv/bin/python" -c "$SMOKE_PY"
        engine_dir=$("$venv/bin/python" -c "import os, oxignite.engine as e; print(os.path.dirname(e.__file__))")
        "$venv/bin/python" -m pytest -q -p no:cacheprovider --doctest-modules \
            "$engine_dir/engine.py" "$engine_dir/events.py"
    )
    rm -rf "$venv"
}

if [[ " $PLATFORMS " == *" linux-x86_64 "* ]]; then
    for v in $PYTHONS; do
        py=$(interpreter "$v")
        wheel=$(wheel_of linux-x86_64 "$v")
        if [ -z "$py" ]; then
            not_run+=("$(basename "$wheel") (no python$v here)")
            continue
        fi
        step "Smoke test: $(basename "$wheel") in a fresh CPython $v venv"
        smoke_in_venv "$py" "$wheel"
    done
fi

# A Python this machine lacks (3.14 here): its wheel in a newer Debian whose python3 it is.
# No torch there: PyPI's x86_64 Linux torch is the 3 GB CUDA build.
if [ ${#not_run[@]} -gt 0 ] && [ -n "$NEWER_SUITE" ]; then
    bash scripts/wheels_chroot.sh amd64 "$NEWER_SUITE" "$NEWER_ROOT" "$DEBIAN_MIRROR" 0 "$OUT" \
        "$version" | tee target/wheels-chroot-amd64.log
    ran=$(sed -n 's/^RAN //p' target/wheels-chroot-amd64.log)
    still=()
    for w in "${not_run[@]}"; do [[ $w == "$ran "* ]] || still+=("$w"); done
    not_run=("${still[@]}")
fi

if [[ " $PLATFORMS " == *" linux-aarch64 "* ]] && [ "$ARM64" = 1 ]; then
    bash scripts/wheels_chroot.sh arm64 "$ARM64_SUITE" "$ARM64_ROOT" "$DEBIAN_MIRROR" "$TORCH" \
        "$OUT" "$version"
fi

py=$(interpreter 3.12)
[ -n "$py" ] || py=python3
step "sdist: a wheel built from it with cargo alone (no zig), in a fresh $("$py" -V) venv"
venv=$(mktemp -d)
"$py" -m venv "$venv"
(
    PATH="$venv/bin:$(echo "$PATH" | sed "s#$PWD/$TOOLS/bin:##")"
    export PATH
    ! command -v zig >/dev/null || fail "zig is still on PATH"
    CARGO_TARGET_DIR="$PWD/target/sdist" "$venv/bin/pip" install --quiet "$sdist" pytest
    cd "$venv" && "$venv/bin/python" -c "$SMOKE_PY"
)
rm -rf "$venv"

step "Done: $(ls "$OUT" | wc -l) files in $OUT/"
ls "$OUT"
for w in "${not_run[@]}"; do echo "NOT RUN here: $w"; done
echo "NOT RUN here: the macOS and Windows wheels (binaries checked only)"
