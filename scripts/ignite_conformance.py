"""Run pytorch-ignite 0.5.5's own test suite against oxignite, file by file, in two modes.

pytorch-ignite's source distribution on PyPI ships its test suite (``tests/ignite``). This
script unpacks it in a temporary folder (never inside this repository) and runs its
non-distributed CPU tests in two modes:

- ``rewrite``: the suite's imports are rewritten from ``ignite`` to ``oxignite`` (``import
  ignite.X`` / ``from ignite.X import`` / dotted ``"ignite.X"`` strings such as mock targets
  and logger names), so the tests exercise oxignite's own engine, handlers and metrics.
  The suite's harness (``tests/ignite/__init__.py`` and ``conftest.py``: fixtures, device
  detection) is left on pytorch-ignite. A file that imports something oxignite does not
  have fails to collect and counts as one error.
- ``accelerate``: the suite runs unchanged under ``python -m oxignite.accelerate -m pytest``
  (its default mode): every ignite module oxignite has is oxignite's, under ignite's names.

With ``--distributed`` the script runs the tests ignite marks ``distributed`` instead, as
ignite's ``tests/run_cpu_tests.sh`` runs them: pytest-xdist ``--dist=each`` over ``--world-size``
(default 2) worker processes, each a rank of one gloo process group on CPU (``WORLD_SIZE`` set,
``CUDA_VISIBLE_DEVICES=""``). A test counts once: passed when every rank passed it. In the
``accelerate`` mode the workers (and the processes the tests spawn) install the accelerate hook
from a ``sitecustomize`` put on their ``PYTHONPATH``. ``--modes ignite`` runs the suite on
pytorch-ignite itself, unchanged: the baseline.

Each test file runs in its own pytest process (``-p no:cacheprovider``, distributed, TPU and
multi-node tests deselected with ignite's own markers, ``CUDA_VISIBLE_DEVICES=""`` so GPU
cases skip themselves, ClearML's repository detection run synchronously: see ``suite_env``,
the tests that download data sets left out: ``NEEDS_NETWORK``), with a time limit. The script
prints a markdown table of passed / failed / errors / skipped per file and mode, and with ``--failures`` the failing test ids with the first line of their
error.

Usage:
    python scripts/ignite_conformance.py                      # download the sdist, all files
    python scripts/ignite_conformance.py --sdist /path/to/pytorch-ignite-0.5.5[.tar.gz]
    python scripts/ignite_conformance.py --paths tests/ignite/engine --failures
    python scripts/ignite_conformance.py --modes accelerate --json results.json
    python scripts/ignite_conformance.py --distributed --paths tests/ignite/distributed
    python scripts/ignite_conformance.py --distributed --modes ignite   # the baseline

Exit status: 0 when every run finished (whatever its results), 1 when a file's run
crashed or timed out, 2 for bad arguments, 1 with a message for a download that failed;
with ``--strict``, also 1 when a test failed or errored that is not in
``KNOWN_DIFFERENCES`` (deliberate differences, each with its reason) nor in ``PENDING``
(fixed on a branch not merged yet).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

VERSION = "0.5.5"
MODES = ("rewrite", "accelerate")
# "ignite": the suite unchanged on pytorch-ignite itself, the baseline (not a default mode).
MODE_CHOICES = (*MODES, "ignite")
DEFAULT_PATHS = (
    "tests/ignite/engine",
    "tests/ignite/handlers",
    "tests/ignite/metrics",
    "tests/ignite/test_utils.py",
    "tests/ignite/base",
    "tests/ignite/contrib",
)
# ignite's own markers for tests that need several processes or a TPU.
DESELECT = "not distributed and not tpu and not multinode_distributed"
# --distributed: what ignite's run_cpu_tests.sh selects for its multi-process run (its "-m
# distributed"), less the TPU and multi-node tests, which need hardware or several hosts.
DISTRIBUTED = "distributed and not tpu and not multinode_distributed"
# The files of ignite's suite that hold tests marked distributed (the --distributed default).
DISTRIBUTED_PATHS = ("tests/ignite/distributed", "tests/ignite/engine", "tests/ignite/handlers")
# The accelerate mode's hook in every process of a distributed run: the xdist workers and
# what they spawn start as plain `python`, which imports `sitecustomize` first.
ACCELERATE_SITECUSTOMIZE = "import oxignite.accelerate\n\noxignite.accelerate.install()\n"
# Tests that take minutes each on any engine; --skip-slow leaves them out. The three resume
# tests train for ~12 of tests/ignite/engine's ~13 minutes on ignite's own engine.
SLOW = (
    "tests/ignite/engine/test_deterministic.py::test_gradients_on_resume_cpu",
    "tests/ignite/engine/test_deterministic.py::test_resume_random_dataloader_from_iter",
    "tests/ignite/engine/test_deterministic.py::test_resume_random_dataloader_from_epoch",
)
# Tests that download data sets (MNIST): they fail offline on any engine and are left out.
NEEDS_NETWORK = ("tests/ignite/handlers/test_lr_finder.py::test_distrib_gloo_cpu_or_gpu",)
# Failures that are deliberate, documented differences: (mode or "*", test id prefix) ->
# the reason. They are listed with the reason and do not fail --strict.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    ("*", "tests/ignite/handlers/test_time_profilers.py::test_profilers_wrong_inputs"): (
        "oxignite's profilers write their CSV with the standard library, so write_results "
        "works without pandas instead of raising ModuleNotFoundError"
    ),
    ("*", "tests/ignite/metrics/vision/test_object_detection_map.py::test_no_torchvision"): (
        "oxignite's detection metrics compute box IoU themselves (ignite's values, exactly), "
        "so they need no torchvision and raise nothing without it"
    ),
    ("*", "tests/ignite/distributed/comp_models/test_native.py::test__native_dist_model"): (
        "_NativeDistModel.available_backends lists the backends usable on this machine (NCCL "
        "only with a CUDA device, no MPI: oxignite starts gloo and nccl), where ignite lists "
        "those compiled into torch and fails later, at initialization"
    ),
    ("*", "tests/ignite/distributed/comp_models/test_base.py::test__encode_input_data"): (
        "tests ignite's private wire format for safe-mode broadcast (a 512-int message); "
        "oxignite describes the source's value in its own format (same results: "
        "tests/distributed/test_idist_two_process.py compares them)"
    ),
    ("*", "tests/ignite/distributed/comp_models/test_base.py::test__decode_as_placeholder"): (
        "tests ignite's private wire format for safe-mode broadcast (see test__encode_input_data)"
    ),
    ("accelerate", "tests/ignite/handlers/test_neptune_logger.py::test_logs_version"): (
        "under accelerate ignite.__version__ stays pytorch-ignite's (projects such as MONAI "
        "check it) while the NeptuneLogger that runs is oxignite's, which records its own"
    ),
}
PYTEST_INI = """[pytest]
markers =
    distributed: mark a test with distributed option
    multinode_distributed: mark a test with multi-node distributed option
    tpu: mark a test as requiring XLA
"""

# The suite's harness (MPS detection, tmp-dir fixtures, distributed fixtures) stays on
# pytorch-ignite in the rewrite mode: it tests nothing, and it reaches into ignite internals
# (`ignite.distributed.comp_models.base`) that oxignite does not have on purpose.
HARNESS = ("tests/ignite/__init__.py", "tests/ignite/conftest.py")
# `ignite.` as a module path (imports, mock targets, logger names), not `tests.ignite.` nor
# `pytorch-ignite.`; then the two import forms without a dot.
_DOTTED = re.compile(r"(?<![\w.\-/])ignite\.(?=[A-Za-z_])")
_FROM_PACKAGE = re.compile(r"^([ \t]*)from ignite import ", re.MULTILINE)
_IMPORT_PACKAGE = re.compile(r"^([ \t]*)import ignite[ \t]*$", re.MULTILINE)


def rewrite_source(text: str) -> str:
    """The ``rewrite`` mode's change to one test file: ``ignite`` -> ``oxignite``."""
    text = _DOTTED.sub("oxignite.", text)
    text = _FROM_PACKAGE.sub(r"\1from oxignite import ", text)
    return _IMPORT_PACKAGE.sub(r"\1import oxignite as ignite", text)


@dataclass
class FileResult:
    path: str
    mode: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    status: str = "ok"  # "ok", "timeout" or "crashed"
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # unexpected, one line each
    known: list[str] = field(default_factory=list)  # KNOWN_DIFFERENCES, with the reason


# -- getting the suite ------------------------------------------------------------------


def fetch_sdist(work: Path, python: str) -> Path:
    """pytorch-ignite's sdist from PyPI, with pip."""
    dest = work / "sdist"
    cmd = [python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           f"pytorch-ignite=={VERSION}", "-d", str(dest), "--quiet"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    archives = sorted(dest.glob("pytorch*ignite*.tar.gz")) if dest.exists() else []
    if result.returncode != 0 or not archives:
        sys.exit(f"could not download pytorch-ignite=={VERSION}'s sdist:\n{result.stderr[-2000:]}")
    return archives[0]


def unpack(sdist: Path, work: Path) -> Path:
    """The sdist's root folder (the one holding ``tests/ignite``), unpacked under ``work``."""
    if sdist.is_dir():
        if not (sdist / "tests" / "ignite").is_dir():
            sys.exit(f"--sdist {sdist}: no tests/ignite folder in it")
        return sdist
    with tarfile.open(sdist) as archive:
        # The "data" filter refuses links and paths out of the folder (Python >= 3.11.4).
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(work / "unpacked", **safe)
    roots = [p.parent.parent for p in (work / "unpacked").glob("*/tests/ignite")]
    if not roots:
        sys.exit(f"--sdist {sdist}: no tests/ignite folder in the archive")
    return roots[0]


def prepare(source_root: Path, work: Path, mode: str) -> Path:
    """A folder for one mode: the suite's ``tests`` (rewritten for ``rewrite``) and a
    pytest.ini with ignite's markers; ignite's package itself is not copied, so the
    installed pytorch-ignite (``accelerate``) or oxignite (``rewrite``) is what runs."""
    root = work / mode
    shutil.copytree(source_root / "tests", root / "tests")
    (root / "pytest.ini").write_text(PYTEST_INI)
    if mode == "accelerate":
        (root / "accelerate_site").mkdir()
        (root / "accelerate_site" / "sitecustomize.py").write_text(ACCELERATE_SITECUSTOMIZE)
    if mode == "rewrite":
        for path in (root / "tests").rglob("*.py"):
            if str(path.relative_to(root)) in HARNESS:
                continue
            text = path.read_text()
            new = rewrite_source(text)
            if new != text:
                path.write_text(new)
    return root


def test_files(root: Path, paths: list[str]) -> list[str]:
    files: list[str] = []
    for entry in paths:
        target = root / entry
        if target.is_file():
            files.append(entry)
        elif target.is_dir():
            files += sorted(str(p.relative_to(root)) for p in target.rglob("test_*.py"))
        else:
            sys.exit(f"{entry}: not in the suite")
    return files


# -- running ----------------------------------------------------------------------------


# Failures fixed on another branch, not merged yet (same shape as KNOWN_DIFFERENCES; listed
# as "pending", they do not fail --strict). Each entry goes when its fix is merged.
PENDING: dict[tuple[str, str], str] = {}


def known_reason(mode: str, test_id: str) -> str | None:
    for table, label in ((KNOWN_DIFFERENCES, ""), (PENDING, "pending: ")):
        for (known_mode, prefix), reason in table.items():
            if known_mode in ("*", mode) and test_id.startswith(prefix):
                return label + reason
    return None


def node_id(path: str, case: ET.Element) -> str:
    """pytest's id of a junit test case: ``file.py::Class::test[params]``."""
    module = path[: -len(".py")].replace("/", ".")
    classname = case.get("classname") or ""
    parts = [path]
    if classname.startswith(module + "."):
        parts.append(classname[len(module) + 1 :].replace(".", "::"))
    parts.append(case.get("name") or "?")
    return "::".join(parts)


# ClearML's repository detection in Task.init's thread (its default is a thread of its own):
# see suite_env.
CLEARML_CONF = "sdk { development { vcs_repo_detect_async: false } }\n"


def suite_env(work: Path) -> dict[str, str]:
    """The environment the suite runs in: CPU only, and ClearML's repository detection done
    in ``Task.init``'s own thread (a ``CLEARML_CONFIG_FILE`` written under ``work``).

    ClearML's ``Task.init`` starts a thread that runs ``git`` (``hg``) in the folder of the
    module calling it, then ``os.fork()``s its background reporter in the main thread. A fork
    that lands while that thread is starting a subprocess copies the subprocess's
    exec-status pipe into the reporter, so ``subprocess`` in the detection thread reads it
    until the reporter exits; the reporter exits only when ``Task.close()`` is over, and
    ``close()`` first waits 300 s for the detection thread, then kills it ("exception
    SystemExit() is not a BaseException subclass"). The race is ClearML's, in both modes. The
    rewrite mode lost it in 4 of 6 runs of ignite's ``test_setup_clearml_logging``: with
    oxignite installed editable from a git checkout (and ``python -m pytest``, where ClearML
    looks at the caller's folder first) detection runs a dozen ``git`` commands just as the
    reporter is forked, where pytorch-ignite in ``site-packages`` gets two failing ones. ``vcs_repo_detect_async: false`` is ClearML's
    own setting for running detection before ``Task.init`` returns, so no other thread
    spawns processes when it forks; what is detected is the same."""
    conf = work / "clearml.conf"
    conf.write_text(CLEARML_CONF)
    return {"CUDA_VISIBLE_DEVICES": "", "CLEARML_CONFIG_FILE": str(conf)}


def run_file(
    python: str, root: Path, mode: str, path: str, timeout: float, skip_slow: bool,
    env: dict[str, str], world_size: int = 0,
) -> FileResult:
    """Run one test file of the suite in its own pytest process (see ``run_files``)."""
    return run_files(python, root, mode, [path], timeout, skip_slow, env, world_size)[0]


def run_files(
    python: str, root: Path, mode: str, paths: list[str], timeout: float, skip_slow: bool,
    env: dict[str, str], world_size: int = 0,
) -> list[FileResult]:
    """Run test files of the suite in one pytest process, with ``env`` (``suite_env``) over
    this process's environment; with ``world_size`` > 0, their distributed tests on that
    many xdist workers (``--dist=each``), one rank each. One result per file."""
    results = {path: FileResult(path=path, mode=mode) for path in paths}
    name = paths[0] if len(paths) == 1 else f"{mode}-{len(paths)}-files"
    report = root / ".reports" / (name.replace("/", "__") + ".xml")
    report.parent.mkdir(exist_ok=True)
    prefix = ["-m", "oxignite.accelerate"] if mode == "accelerate" else []
    cmd = [python, *prefix, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
           "-m", DISTRIBUTED if world_size else DESELECT, f"--junitxml={report}",
           "-o", "junit_family=xunit1"]
    env = {**os.environ, **env}
    if world_size:
        cmd += ["--dist=each", "--tx", f"{world_size}*popen//python={python}"]
        env["WORLD_SIZE"] = str(world_size)
        if mode == "accelerate":
            site = root / "accelerate_site"
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(site), env.get("PYTHONPATH", "")) if p
            )
    left_out = NEEDS_NETWORK + (SLOW if skip_slow else ())
    cmd += [f"--deselect={test}" for test in left_out
            if any(test.startswith(path + "::") for path in paths)]
    start = time.perf_counter()
    returncode, output = _run_session(cmd, root, env, timeout, report.with_suffix(".log"))
    if returncode is None:
        for result in results.values():
            result.status = "timeout"
            result.seconds = time.perf_counter() - start
        return list(results.values())
    seconds = time.perf_counter() - start
    print(f"  {mode}: {' '.join(paths)} ({seconds:.0f} s)", file=sys.stderr, flush=True)
    for result in results.values():
        result.seconds = seconds
    # pytest exit codes: 0 passed, 1 tests failed, 2 interrupted/collection errors,
    # 5 nothing collected; anything else (or no report) is a crash.
    if not report.exists() or returncode not in (0, 1, 2, 5):
        for result in results.values():
            result.status = "crashed"
        results[paths[0]].failures.append(output.strip()[-1500:])
        return list(results.values())
    outcomes = case_outcomes(paths, ET.parse(report).getroot())
    for test_id, (path, bad, line) in outcomes.items():
        result = results[path]
        if bad in ("failure", "error"):
            if bad == "failure":
                result.failed += 1
            else:
                result.errors += 1
            reason = known_reason(mode, test_id)
            line = f"{bad.upper()} {test_id}: {line}"
            if reason is None:
                result.failures.append(line)
            else:
                label = "" if reason.startswith("pending: ") else "known: "
                result.known.append(f"{line} ({label}{reason})")
        elif bad == "skipped":
            result.skipped += 1
        else:
            result.passed += 1
    return list(results.values())


def _run_session(
    cmd: list[str], root: Path, env: dict[str, str], timeout: float, log: Path
) -> tuple[int | None, str]:
    """Run one pytest session; its exit status (None on timeout) and its output.

    The output goes to a file, not a pipe: processes the tests fork (data loader workers,
    forked launchers) inherit it and may outlive pytest, and a pipe would wait for them. The
    session has a process group of its own, ended when pytest is done, with whatever of it
    is still running."""
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            returncode: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
    return returncode, log.read_text(errors="replace")


# Outcomes from worst to best: a test run on several ranks (xdist --dist=each reports it once
# per worker) counts once, with its worst outcome.
_SEVERITY = ("failure", "error", "skipped", "passed")


def case_file(paths: list[str], case: ET.Element) -> str:
    """Which of ``paths`` a junit test case (or collection error) belongs to."""
    owner = case.get("classname") or case.get("name") or ""
    for path in paths:
        module = path[: -len(".py")].replace("/", ".")
        if owner == module or owner.startswith(module + "."):
            return path
    return paths[0]


def case_outcomes(paths: list[str], junit: ET.Element) -> dict[str, tuple[str, str, str]]:
    """Each test id of a junit report -> (its file, its worst outcome, the first line of its
    error)."""
    outcomes: dict[str, tuple[str, str, str]] = {}
    for case in junit.iter("testcase"):
        tags = {child.tag for child in case}
        bad = next(t for t in _SEVERITY if t in tags or t == "passed")
        line = _first_line(case, bad) if bad in ("failure", "error") else ""
        path = case_file(paths, case)
        test_id = node_id(path, case)
        known = outcomes.get(test_id)
        if known is None or _SEVERITY.index(bad) < _SEVERITY.index(known[1]):
            outcomes[test_id] = (path, bad, line)
    return outcomes


def _first_line(case: ET.Element, tag: str) -> str:
    """The error's one-line reason: the junit message, or for a collection error (whose
    message says only that) the traceback's last ``E`` line."""
    element = case.find(tag)
    if element is None:
        return "?"
    message = (element.get("message") or "").strip()
    if not message or message == "collection failure":
        e_lines = [ln[1:].strip() for ln in (element.text or "").splitlines() if ln.startswith("E ")]
        message = e_lines[-1] if e_lines else message
    return message.splitlines()[0][:300] if message else "?"


# -- reporting --------------------------------------------------------------------------


def markdown_table(results: list[FileResult], modes: list[str]) -> str:
    by_key = {(r.path, r.mode): r for r in results}
    paths = sorted({r.path for r in results})
    header = "| file | " + " | ".join(f"{m}: passed / failed / errors / skipped" for m in modes) + " |"
    lines = [header, "|---|" + "--:|" * len(modes)]
    totals = {m: [0, 0, 0, 0] for m in modes}
    for path in paths:
        cells = []
        for mode in modes:
            r = by_key.get((path, mode))
            if r is None:
                cells.append("—")
            elif r.status != "ok":
                cells.append(r.status)
            else:
                counts = (r.passed, r.failed, r.errors, r.skipped)
                totals[mode] = [a + b for a, b in zip(totals[mode], counts)]
                cells.append(" / ".join(map(str, counts)))
        lines.append(f"| `{path.removeprefix('tests/ignite/')}` | " + " | ".join(cells) + " |")
    total_cells = [" / ".join(map(str, totals[m])) for m in modes]
    lines.append("| **total** | " + " | ".join(f"**{c}**" for c in total_cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdist", type=Path, help="the sdist .tar.gz, or its unpacked folder "
                        "(default: download it with pip)")
    parser.add_argument("--modes", nargs="+", choices=MODE_CHOICES, default=list(MODES),
                        help="default: %(default)s; 'ignite' runs pytorch-ignite itself")
    parser.add_argument("--paths", nargs="+", help="test files or folders of the suite "
                        f"(default: {' '.join(DEFAULT_PATHS)}; with --distributed: "
                        f"{' '.join(DISTRIBUTED_PATHS)})")
    parser.add_argument("--distributed", action="store_true",
                        help="run the tests marked distributed instead, on --world-size "
                        "xdist workers (gloo, CPU), one file at a time")
    parser.add_argument("--world-size", type=int, default=2,
                        help="processes of a --distributed run (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds per file (with --distributed: per mode)")
    parser.add_argument("--skip-slow", action="store_true",
                        help="deselect the few tests that take minutes (see SLOW)")
    parser.add_argument("--jobs", type=int, default=1, help="files run at once")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to test")
    parser.add_argument("--failures", action="store_true", help="list failing tests")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any test fails")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, got {args.timeout}")
    if args.world_size < 2:
        parser.error(f"--world-size must be at least 2, got {args.world_size}")
    if args.paths is None:
        args.paths = list(DISTRIBUTED_PATHS if args.distributed else DEFAULT_PATHS)
    world_size = args.world_size if args.distributed else 0
    # The suite's distributed fixtures share fixed files (/tmp/free_port holds the rendezvous
    # port): two distributed files at once would mix their ranks.
    jobs_at_once = 1 if args.distributed else args.jobs

    with tempfile.TemporaryDirectory(prefix="ignite-conformance-") as tmp:
        work = Path(tmp)
        sdist = args.sdist if args.sdist is not None else fetch_sdist(work, args.python)
        source_root = unpack(sdist.resolve(), work)
        jobs = []
        for mode in args.modes:
            root = prepare(source_root, work, mode)
            files = test_files(root, args.paths)
            if world_size:
                # The files with distributed tests, in one session per mode (each session
                # starts world_size workers), as ignite's run_cpu_tests.sh runs them.
                files = [f for f in files if "mark.distributed" in (root / f).read_text()]
                jobs.append((root, mode, files))
            else:
                jobs += [(root, mode, [path]) for path in files]
        env = suite_env(work)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=jobs_at_once) as pool:
            results = [result for results in pool.map(
                lambda job: run_files(
                    args.python, job[0], job[1], job[2], args.timeout, args.skip_slow, env,
                    world_size,
                ),
                jobs,
            ) for result in results]
        elapsed = time.perf_counter() - started

    selection = (f"selected: {DISTRIBUTED}, {world_size} processes, gloo" if world_size
                 else f"deselected: {DESELECT}")
    print(f"pytorch-ignite {VERSION} test suite vs oxignite "
          f"({len(results)} file runs, {elapsed:.0f} s; {selection}; CPU only)\n")
    print(markdown_table(results, args.modes))
    if args.failures:
        for r in results:
            if r.failures or r.known or r.status != "ok":
                print(f"\n### {r.mode}: {r.path} ({r.status})")
                for line in r.failures + r.known:
                    print(f"- {line}")
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    if any(r.status != "ok" for r in results):
        return 1
    if args.strict and any(r.failures for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
