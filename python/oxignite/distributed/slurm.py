"""SLURM jobs: the torch.distributed variables (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT) from a SLURM job's environment, as ignite reads them.

:func:`oxignite.distributed.initialize` (and ``Parallel(backend=...)`` inside an ``srun``
job) call :func:`setup_env_in_slurm` when ``SLURM_JOB_ID`` is set: rank, local rank and
world size come from ``SLURM_PROCID``, ``SLURM_LOCALID`` and ``SLURM_NTASKS``; the master is
the first host of ``SLURM_JOB_NODELIST`` and the port ``15000 + `` the job id's last four
digits, unless ``torchrun``/``torch.distributed.launch`` or a container hook (enroot) already
set all five variables, which are then checked against SLURM's and kept.

Hostlists are expanded by ``scontrol show hostnames`` where SLURM is installed, else by
:func:`expand_hostlist`. One difference from ignite's own expansion: a zero-padded range keeps
the width of its lower bound as written, as SLURM does (``node[010-012]`` is ``node010,
node011, node012``, ``node[0-2]`` is ``node0, node1, node2``); ignite pads to one digit more
than the count of leading zeros (``node10``..., ``node00``...), which names hosts that do not
exist. Every hostlist form ignite's tests use expands the same. And where a process group was
created by hand (``dist.init_process_group``, not ``initialize``), the local rank is
``LOCAL_RANK`` when set and ``SLURM_LOCALID`` otherwise; ignite takes ``SLURM_LOCALID`` first,
which is 0 in every process that ``torch.distributed.launch`` starts inside a one-task job.
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from collections.abc import Mapping

__all__ = ["ddp_vars_from_slurm_env", "expand_hostlist", "setup_env_in_slurm"]

REQUIRED_VARS = (
    "SLURM_JOB_ID",
    "SLURM_PROCID",
    "SLURM_LOCALID",
    "SLURM_NTASKS",
    "SLURM_JOB_NODELIST",
    "SLURM_JOB_NUM_NODES",
)
_DDP_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
# One host pattern: a prefix, at most one bracketed list of numbers and ranges, a suffix.
_HOST = re.compile(r"([^,\[\]]+\[[^\[\]]*\][^,\[\]]*|[^,\[\]]*),?")
_BRACKETED = re.compile(r"(.+)\[((,?[0-9]+-?,?-?)*)\](.*)")


def expand_hostlist(nodelist: str) -> list[str]:
    """The hosts a compressed SLURM hostlist names, in order.

    Spaces are ignored; one ``[...]`` of numbers and ranges per host, whose numbers are
    sorted and deduplicated. An empty bracket raises ValueError.

    Example::

        expand_hostlist("node[1-3],gpu07")  # ['node1', 'node2', 'node3', 'gpu07']
    """
    hosts: list[str] = []
    nodelist = nodelist.replace(" ", "")
    for pattern in _HOST.findall(nodelist):
        match = _BRACKETED.search(pattern)
        if match is None:
            if pattern:
                hosts.append(pattern)
            continue
        prefix, numbers, suffix = match.group(1), match.group(2), match.group(4)
        if not numbers:
            raise ValueError(f"hostlist invalid : {nodelist}")
        hosts += [prefix + number + suffix for number in _expand_numbers(numbers)]
    return hosts


def _expand_numbers(numbers: str) -> list[str]:
    # "1-3,07" -> ["1", "2", "3", "07"], sorted by value, each once.
    found: dict[int, str] = {}
    for part in numbers.split(","):
        low, _, high = part.partition("-")
        width = len(low) if low.startswith("0") else 1
        for value in range(int(low), int(high or low) + 1):
            found.setdefault(value, str(value).zfill(width))
    return [found[value] for value in sorted(found)]


def _hostnames(nodelist: str) -> tuple[list[str], str]:
    # SLURM's own expansion where it is installed, with our parser as the fallback.
    try:
        out = subprocess.check_output(["scontrol", "show", "hostnames", nodelist])
    except FileNotFoundError:
        return expand_hostlist(nodelist), "ignite"
    return out.decode("utf-8").split(), "scontrol"


def ddp_vars_from_slurm_env(environ: Mapping[str, str]) -> dict[str, str | int]:
    """RANK, LOCAL_RANK, WORLD_SIZE (ints), MASTER_ADDR (str) and MASTER_PORT (int) for a
    process of a SLURM job, from its environment ``environ``.

    When all five torch variables are set too (a container hook, or ``torch.distributed.
    launch`` inside a one-task job), they win: on several nodes they must equal SLURM's, on one
    node rank, local rank and world size may only be larger (RuntimeError otherwise). Some
    but not all of them set: a warning, and SLURM's values are used.

    Example::

        ddp_vars_from_slurm_env({"SLURM_PROCID": "1", "SLURM_LOCALID": "1",
                                 "SLURM_NTASKS": "2", "SLURM_JOB_NUM_NODES": "1",
                                 "SLURM_JOB_NODELIST": "c[1-2]", "SLURM_JOB_ID": "12345"})
        # {'RANK': 1, 'LOCAL_RANK': 1, 'WORLD_SIZE': 2, 'MASTER_ADDR': 'c1', 'MASTER_PORT': 17345}
    """
    # The values taken so far; the error messages show them as ignite's do.
    out: dict[str, str | int | None] = {
        "RANK": int(environ["SLURM_PROCID"]),
        "LOCAL_RANK": int(environ["SLURM_LOCALID"]),
        "WORLD_SIZE": int(environ["SLURM_NTASKS"]),
        "MASTER_ADDR": None,
        "MASTER_PORT": None,
    }
    given = {key: environ.get(key) for key in _DDP_VARS}
    if all(v is not None for v in given.values()):
        one_node = int(environ["SLURM_JOB_NUM_NODES"]) == 1
        for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
            slurm_value, value = out[key], int(str(given[key]))
            # One node may run more processes than SLURM tasks (torch.distributed.launch).
            if one_node and value < slurm_value:  # type: ignore[operator]
                relation = f"We expect that {key}: {value} >= {slurm_value}"
            elif not one_node and value != slurm_value:
                relation = f"{key}: {value} vs {slurm_value}"
            else:
                out[key] = value
                continue
            raise RuntimeError(
                "Environment variable defined for PyTorch Distributed context is inconsistent "
                f"with equivalent SLURM env variable. {relation}\n"
                f"SLURM vars: {out}\nPTH vars: {given}\n"
            )
        out["MASTER_ADDR"] = str(given["MASTER_ADDR"])
        out["MASTER_PORT"] = int(str(given["MASTER_PORT"]))
        return out  # type: ignore[return-value]
    if any(v is not None for v in given.values()):
        warnings.warn(
            "We detected the following env variables: "
            f"{[(k, v) for k, v in given.items() if v is not None]},\n"
            "but will not take them into account as the following env vars are missing:"
            f"{[k for k, v in given.items() if v is None]},\n"
        )
    nodelist = environ["SLURM_JOB_NODELIST"]
    hosts, method = _hostnames(nodelist)
    if not hosts:
        raise RuntimeError(
            f"No hostname detected in SLURM_JOB_NODELIST by {method} (nodelist={nodelist})"
        )
    out["MASTER_ADDR"] = hosts[0]
    # The same port on every process of the job, without a rendezvous to agree on it.
    out["MASTER_PORT"] = int(environ["SLURM_JOB_ID"][-4:]) + 15000
    return out  # type: ignore[return-value]


def setup_env_in_slurm(rank: int | None = None, world_size: int | None = None) -> None:
    """Write the torch.distributed variables of this SLURM process into ``os.environ``.

    ``rank`` and ``world_size`` come from SLURM: giving them raises ValueError; a missing
    SLURM variable raises RuntimeError naming it.

    Example::

        if "SLURM_JOB_ID" in os.environ:
            setup_env_in_slurm()
        dist.init_process_group("nccl")  # env://
    """
    if rank is not None or world_size is not None:
        raise ValueError("Arguments rank and world_size should not be specified with SLURM")
    for key in REQUIRED_VARS:
        if key not in os.environ:
            raise RuntimeError(f"SLURM distributed configuration is missing '{key}' in env variables")
    for key, value in ddp_vars_from_slurm_env(os.environ).items():
        os.environ[key] = str(value)
