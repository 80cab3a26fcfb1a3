"""SLURM jobs: hostlist expansion and the torch.distributed variables from a SLURM environment,
side by side with ignite's ``_expand_hostlist`` / ``_setup_ddp_vars_from_slurm_env``, and a
2-process gloo run started the way ``srun`` starts one (SLURM variables only)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("torch")

import oxignite.distributed as idist
from oxignite.distributed import slurm
from oxignite.distributed.comp_models.native import (
    _expand_hostlist,
    _setup_ddp_vars_from_slurm_env,
)

try:
    from ignite.distributed.comp_models import native as ignite_native
except ImportError:  # the side-by-side checks skip without pytorch-ignite
    ignite_native = None

needs_ignite = pytest.mark.skipif(ignite_native is None, reason="needs pytorch-ignite")
# Both parsers ask `scontrol` first where SLURM is installed; the comparisons are of the parsers.
no_scontrol = pytest.mark.skipif(shutil.which("scontrol") is not None, reason="scontrol present")

HOSTLISTS = [
    "localhost",
    "quartz[4-8]",
    "c1001a-[11,17]",
    "c1009a-s17,c1010a-s11",
    "node[18-19,1-16,21-22]",
    "node[4-8,12,16-20,22,24-26]",
    "machine2-[02-4]vm1",
    "machine2-[02-3]vm1, machine4-[0003-5].vml2",
    "machine2-[009-11]vm1",
    "compute!:b24_[1-2].r",
    "compute-b24-[1-3,5-9], compute-b25-[1,4,8],compute-b25-[2-9,13]",
    "gpu-[1-2]-a,cpu[7]",
    "node[3,3,1-2]",
    "node[08-10]",
    "n[1-2],,m",
    "[]",
    "",
]


def test_names_at_ignites_module_path() -> None:
    assert _expand_hostlist is slurm.expand_hostlist
    assert _setup_ddp_vars_from_slurm_env is slurm.ddp_vars_from_slurm_env


@needs_ignite
@pytest.mark.parametrize("hostlist", HOSTLISTS)
def test_expand_hostlist_matches_ignite(hostlist: str) -> None:
    assert _expand_hostlist(hostlist) == ignite_native._expand_hostlist(hostlist)


@needs_ignite
@pytest.mark.parametrize("hostlist", ["invalid[]", "a[1-2],b[]"])
def test_empty_bracket_raises_as_ignite(hostlist: str) -> None:
    with pytest.raises(ValueError) as ours:
        _expand_hostlist(hostlist)
    with pytest.raises(ValueError) as theirs:
        ignite_native._expand_hostlist(hostlist)
    assert str(ours.value) == str(theirs.value)


@needs_ignite
@pytest.mark.parametrize(
    ("hostlist", "slurm_hosts"),
    [
        ("node[0-2]", ["node0", "node1", "node2"]),
        ("node[010-012]", ["node010", "node011", "node012"]),
    ],
)
def test_zero_padding_follows_slurm_where_ignite_differs(hostlist: str, slurm_hosts: list) -> None:
    # The documented difference (oxignite.distributed.slurm): SLURM keeps the lower bound's
    # width; ignite pads to one digit more than its leading zeros.
    assert _expand_hostlist(hostlist) == slurm_hosts
    assert ignite_native._expand_hostlist(hostlist) != slurm_hosts


def _slurm_env(procid: int, localid: int, ntasks: int, nnodes: int, nodelist: str, **extra) -> dict:
    env = {
        "SLURM_PROCID": str(procid),
        "SLURM_LOCALID": str(localid),
        "SLURM_NTASKS": str(ntasks),
        "SLURM_JOB_NUM_NODES": str(nnodes),
        "SLURM_JOB_NODELIST": nodelist,
        "SLURM_JOB_ID": "4213377",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


TORCH_VARS = {"MASTER_ADDR": "c1", "MASTER_PORT": 12233}
ENVIRONMENTS = {
    "one node": _slurm_env(1, 1, 2, 1, "c1"),
    "two nodes": _slurm_env(5, 1, 8, 2, "c[1-2]"),
    "two nodes, spaces": _slurm_env(5, 1, 8, 2, "gpu-a, gpu-b"),
    "padded hosts": _slurm_env(0, 0, 4, 2, "gpu[007-008]"),
    "launch in a 1-task job": _slurm_env(
        0, 0, 1, 1, "c1", RANK=2, LOCAL_RANK=2, WORLD_SIZE=8, **TORCH_VARS
    ),
    "enroot hook, one node": _slurm_env(3, 3, 4, 1, "c1", RANK=3, LOCAL_RANK=3, WORLD_SIZE=4,
                                        **TORCH_VARS),
    "enroot hook, two nodes": _slurm_env(3, 1, 4, 2, "c[1-2]", RANK=3, LOCAL_RANK=1,
                                         WORLD_SIZE=4, **TORCH_VARS),
    "short job id": {**_slurm_env(0, 0, 1, 1, "c1"), "SLURM_JOB_ID": "42"},
}
BAD_ENVIRONMENTS = {
    "two nodes, torch rank differs": _slurm_env(
        3, 1, 4, 2, "c[1-2]", RANK=1, LOCAL_RANK=1, WORLD_SIZE=2, **TORCH_VARS
    ),
    "one node, torch world smaller": _slurm_env(
        1, 1, 4, 1, "c1", RANK=1, LOCAL_RANK=1, WORLD_SIZE=2, **TORCH_VARS
    ),
    "no host in the nodelist": _slurm_env(1, 1, 4, 1, "[]"),
}


@needs_ignite
@no_scontrol
@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_ddp_vars_match_ignite(name: str) -> None:
    environ = ENVIRONMENTS[name]
    ours = _setup_ddp_vars_from_slurm_env(environ)
    assert ours == ignite_native._setup_ddp_vars_from_slurm_env(environ)
    assert sorted(ours) == ["LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"]


@needs_ignite
@no_scontrol
@pytest.mark.parametrize("name", sorted(BAD_ENVIRONMENTS))
def test_inconsistent_environments_raise_as_ignite(name: str) -> None:
    environ = BAD_ENVIRONMENTS[name]
    with pytest.raises(RuntimeError) as ours:
        _setup_ddp_vars_from_slurm_env(environ)
    with pytest.raises(RuntimeError) as theirs:
        ignite_native._setup_ddp_vars_from_slurm_env(environ)
    assert str(ours.value) == str(theirs.value)


@needs_ignite
@no_scontrol
def test_partial_torch_vars_warn_as_ignite() -> None:
    environ = _slurm_env(3, 1, 4, 2, "c[1-2]", RANK=1, LOCAL_RANK=1, WORLD_SIZE=2)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        ours_vars = _setup_ddp_vars_from_slurm_env(environ)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        theirs_vars = ignite_native._setup_ddp_vars_from_slurm_env(environ)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert len(ours) == 1 and "We detected the following env variables" in str(ours[0].message)
    assert ours_vars == theirs_vars


def test_initialize_refuses_rank_and_world_size_in_slurm(monkeypatch) -> None:
    for key, value in _slurm_env(0, 0, 1, 1, "localhost").items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match="rank and world_size should not be specified with SLURM"):
        idist.initialize("gloo", init_method="file:///tmp/never", rank=0, world_size=1)
    assert not idist.is_distributed()


@pytest.mark.parametrize("missing", slurm.REQUIRED_VARS[1:])
def test_initialize_names_a_missing_slurm_variable(monkeypatch, missing: str) -> None:
    for key, value in _slurm_env(0, 0, 1, 1, "localhost").items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv(missing)
    before = dict(os.environ)
    with pytest.raises(RuntimeError, match=f"missing '{missing}'"):
        idist.initialize("gloo")
    assert not idist.is_distributed()
    assert dict(os.environ) == before


def _free_port_and_job_id() -> tuple:
    # The master port is 15000 + the job id's last 4 digits: pick a free one, derive the id.
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if 15000 <= port <= 24999:
            return port, f"77{port - 15000:04d}"
    for port in range(15000 + os.getpid() % 9000, 25000):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port, f"77{port - 15000:04d}"
    pytest.skip("no free port in 15000-24999")


WORKER = """
import json, os, sys
import oxignite.distributed as idist
idist.initialize("gloo")
out = {
    "rank": idist.get_rank(), "local_rank": idist.get_local_rank(),
    "world_size": idist.get_world_size(), "nproc_per_node": idist.get_nproc_per_node(),
    "sum": idist.all_reduce(idist.get_rank() + 1),
    "env": {k: os.environ[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR",
                                       "MASTER_PORT")},
}
idist.finalize()
out["restored"] = "RANK" not in os.environ
print(json.dumps(out))
"""


def test_two_tasks_started_by_slurm_join_one_gloo_group(tmp_path: Path) -> None:
    """What ``srun --ntasks=2 python train.py`` gives each task: SLURM variables only."""
    port, job_id = _free_port_and_job_id()
    package_root = str(Path(idist.__file__).resolve().parents[2])
    procs = []
    for rank in range(2):
        env = {k: v for k, v in os.environ.items()
               if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
        env.update(_slurm_env(rank, rank, 2, 1, "localhost"))
        env["SLURM_JOB_ID"] = job_id
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER], env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outs = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            outs.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for rank, out in enumerate(outs):
        assert (out["rank"], out["local_rank"], out["world_size"]) == (rank, rank, 2)
        assert out["nproc_per_node"] == 2 and out["sum"] == 3
        assert out["env"] == {"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
                              "MASTER_ADDR": "localhost", "MASTER_PORT": str(port)}
        assert out["restored"]
