#!/usr/bin/env bash
# Run a manylinux2014 wheel inside a Debian root of its own (called by scripts/wheels.sh): an
# emulated arm64 one (qemu-user-static) for the aarch64 wheels, or a newer Debian for a
# CPython this machine lacks. Installs the wheel matching the root's python3 in a fresh venv,
# imports it without torch, runs the engine's doctests, then (TORCH=1) installs torch (from
# PyPI, or $TORCH_INDEX) and runs a short supervised training loop with metrics.
#
#   bash scripts/wheels_chroot.sh ARCH SUITE ROOT MIRROR TORCH OUT VERSION
#
# ROOT is made once with debootstrap (minutes; ~15 under emulation) and reused. Needs root,
# `apt-get install debootstrap` and, for arm64, `qemu-user-static binfmt-support`.
set -euo pipefail
ARCH=$1 SUITE=$2 ROOT=$3 MIRROR=$4 TORCH=$5 OUT=$6 VERSION=$7
step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v debootstrap >/dev/null || fail "needs: apt-get install debootstrap"
case $ARCH in
    amd64) machine=x86_64 ;;
    arm64)
        machine=aarch64
        command -v qemu-aarch64-static >/dev/null \
            || fail "needs: apt-get install qemu-user-static binfmt-support"
        [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 \
            || fail "cannot register qemu-aarch64 with binfmt_misc" ;;
    *) fail "ARCH is amd64 or arm64, not $ARCH" ;;
esac
if [ ! -x "$ROOT/usr/bin/python3" ]; then
    step "Making a Debian $SUITE $ARCH root in $ROOT (debootstrap, once)"
    mkdir -p "$(dirname "$ROOT")"
    # A suite newer than this debootstrap (forky on bookworm) is made as sid is.
    script=/usr/share/debootstrap/scripts/$SUITE
    [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
    debootstrap --arch="$ARCH" --variant=minbase --include=python3,python3-venv,python3-pip \
        "$SUITE" "$ROOT" "$MIRROR" "$script"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This machine's pip settings and certificates (a proxy's CA among them) hold in the root too.
if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$ROOT/etc/pip.conf"; fi
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
py=$(chroot "$ROOT" python3 -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
wheel="$OUT/oxignite-$VERSION-cp$py-cp$py-manylinux2014_$machine.manylinux_2_17_$machine.whl"
[ -f "$wheel" ] || fail "no $wheel for the root's CPython (build with PYTHONS including it)"
mkdir -p "$ROOT/tmp/wheels"
cp "$wheel" "$ROOT/tmp/wheels/"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT

in_root() {
    env -u PIP_FIND_LINKS chroot "$ROOT" /bin/bash -euo pipefail -c "$1"
}
step "Debian $SUITE $ARCH: $(basename "$wheel") in a fresh venv, import without torch, doctests"
in_root "
    uname -m
    rm -rf /tmp/venv && python3 -m venv /tmp/venv && cd /tmp/venv
    bin/pip install --quiet /tmp/wheels/$(basename "$wheel") pytest
    bin/python -c 'import sys, oxignite.engine
assert \"torch\" not in sys.modules
print(\"import ok without torch:\", oxignite.__version__, sys.platform, sys.version.split()[0])'
    d=\$(bin/python -c 'import os, oxignite.engine as e; print(os.path.dirname(e.__file__))')
    bin/python -m pytest -q -p no:cacheprovider --doctest-modules \$d/engine.py \$d/events.py
"
echo "RAN $(basename "$wheel")"
[ "$TORCH" = 1 ] || exit 0
step "Debian $SUITE $ARCH: torch and a short training loop"
in_root "
    cd /tmp/venv && bin/pip install --quiet torch ${TORCH_INDEX:+--index-url $TORCH_INDEX}
    bin/python - <<'EOF'
import platform, time
import torch
from oxignite.engine import create_supervised_evaluator, create_supervised_trainer
from oxignite.metrics import Accuracy, Loss

t0 = time.perf_counter()
torch.manual_seed(0)
x = torch.randn(256, 8)
y = (x.sum(dim=1) > 0).long()
data = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)]
model = torch.nn.Linear(8, 2)
trainer = create_supervised_trainer(
    model, torch.optim.SGD(model.parameters(), lr=0.5), torch.nn.CrossEntropyLoss()
)
evaluator = create_supervised_evaluator(
    model, metrics={\"accuracy\": Accuracy(), \"loss\": Loss(torch.nn.CrossEntropyLoss())}
)
trainer.run(data, max_epochs=5)
evaluator.run(data)
m = evaluator.state.metrics
print(f\"{platform.machine()} torch {torch.__version__}: {trainer.state.iteration} iterations, \"
      f\"accuracy {m['accuracy']:.3f}, loss {m['loss']:.3f} ({time.perf_counter() - t0:.1f} s)\")
assert trainer.state.iteration == 40 and m[\"accuracy\"] > 0.8, m
EOF
"
