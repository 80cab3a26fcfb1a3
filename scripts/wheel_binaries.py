"""Check the macOS and Windows wheels' extension binaries without running them (they cannot run
on the Linux machine that builds them): file format, CPU architecture, and that every imported
symbol comes from the Python C API or the OS's own libraries.

    python scripts/wheel_binaries.py WHEEL...    (re-runs itself under --python, where lief is)

The wheel's tags say what it must be: `macosx_*_x86_64` / `macosx_*_arm64` a Mach-O of that
CPU whose other imports libSystem exports (zig's libSystem.tbd lists them); `win_amd64` a PE32+ for AMD64 importing `pythonXY.dll` of its own cpXY tag.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import zipfile

# Libraries a Windows extension may import: its Python, the C runtime and the Win32 API.
WINDOWS_SYSTEM_DLLS = re.compile(
    r"(kernel32|ntdll|msvcrt|ucrtbase|vcruntime140(_1)?|api-ms-win-.*|advapi32|bcrypt"
    r"|bcryptprimitives|userenv|ws2_32|synchronization|shell32|ole32)\.dll",
    re.IGNORECASE,
)
# On macOS: system dylibs only (Rust's std links libiconv, which links libcharset). Python's
# symbols are looked up in the interpreter at load time (flat namespace), not in a library.
MACOS_SYSTEM_LIBS = {
    "/usr/lib/libSystem.B.dylib",
    "/usr/lib/libiconv.2.dylib",
    "/usr/lib/libcharset.1.dylib",
}
PYTHON_SYMBOL = re.compile(r"^_?_?(Py|_Py)")


def extension_of(wheel: str, into: str) -> str:
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if re.search(r"_core[^/]*\.(so|pyd)$", n)]
        if len(names) != 1:
            raise SystemExit(f"{wheel}: expected one _core extension, found {names}")
        return z.extract(names[0], into)


def libsystem_exports() -> set[str]:
    """The symbols libSystem exports, from the text stub zig links macOS binaries against."""
    import ziglang

    tbd = os.path.join(os.path.dirname(ziglang.__file__), "lib/libc/darwin/libSystem.tbd")
    with open(tbd) as f:
        return set(re.findall(r"[\w$.]+", f.read()))


def check_macos(lief, path: str, wheel: str, system: set[str]) -> list[str]:
    want = "ARM64" if wheel.endswith("_arm64.whl") else "X86_64"
    fat = lief.MachO.parse(path)
    if fat is None or fat.size != 1:
        return [f"not a single-architecture Mach-O: {path}"]
    binary = fat.at(0)
    problems = []
    cpu = str(binary.header.cpu_type).split(".")[-1]
    if cpu != want:
        problems.append(f"CPU {cpu}, expected {want}")
    kind = str(binary.header.file_type).split(".")[-1]
    if kind not in ("DYLIB", "BUNDLE"):  # Rust's cdylib is a dylib; dlopen takes both
        problems.append(f"file type {kind}, expected a dylib or bundle")
    libs = {lib.name for lib in binary.libraries if "ID_DYLIB" not in str(lib.command)}
    if libs - MACOS_SYSTEM_LIBS:
        problems.append(f"links non-system libraries {sorted(libs - MACOS_SYSTEM_LIBS)}")
    imported = sorted({s.name for s in binary.imported_symbols})
    python = [s for s in imported if PYTHON_SYMBOL.match(s)]
    if not python:
        problems.append("imports no Python C API symbol")
    foreign = [s for s in imported if s not in python and s not in system]
    if foreign:
        problems.append(f"imports symbols neither Python's nor libSystem's: {foreign}")
    print(
        f"    Mach-O {cpu} {kind.lower()}, links {sorted(libs)}; imports {len(python)} Python"
        f" C API symbols and {len(imported) - len(python)} libSystem ones"
    )
    return problems


def check_windows(lief, path: str, wheel: str) -> list[str]:
    binary = lief.PE.parse(path)
    if binary is None:
        return [f"not a PE file: {path}"]
    problems = []
    machine = str(binary.header.machine).split(".")[-1]
    if machine != "AMD64":
        problems.append(f"machine {machine}, expected AMD64")
    if str(binary.optional_header.magic).split(".")[-1] != "PE32_PLUS":
        problems.append("not PE32+")
    cp = re.search(r"-cp(\d+)-", os.path.basename(wheel)).group(1)
    dlls = {imp.name.lower(): imp for imp in binary.imports}
    python_dll = f"python{cp}.dll"
    if python_dll not in dlls:
        problems.append(f"does not import {python_dll} (imports {sorted(dlls)})")
    others = [d for d in dlls if d != python_dll and not WINDOWS_SYSTEM_DLLS.fullmatch(d)]
    if others:
        problems.append(f"imports non-system DLLs {others}")
    exports = {e.name for e in binary.get_export().entries} if binary.has_exports else set()
    if "PyInit__core" not in exports:
        problems.append(f"does not export PyInit__core (exports {sorted(exports)})")
    print(f"    PE32+ {machine}, exports PyInit__core, imports {sorted(dlls)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="a Python with lief installed, to re-run under")
    parser.add_argument("wheels", nargs="+")
    args = parser.parse_args()
    if args.python and os.path.abspath(args.python) != os.path.abspath(sys.executable):
        return subprocess.call([args.python, __file__, *args.wheels])
    import lief

    lief.logging.disable()
    failed = False
    system = libsystem_exports() if any("-macosx_" in w for w in args.wheels) else set()
    with tempfile.TemporaryDirectory() as tmp:
        for wheel in args.wheels:
            print(os.path.basename(wheel))
            path = extension_of(wheel, tmp)
            if "-macosx_" in wheel:
                problems = check_macos(lief, path, wheel, system)
            elif wheel.endswith("-win_amd64.whl"):
                problems = check_windows(lief, path, wheel)
            else:
                problems = [f"not a macOS or Windows wheel: {wheel}"]
            for p in problems:
                print(f"    FAIL: {p}")
            failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
