"""2-process gloo runs on the CPU.

Each run is a subprocess bounded by a timeout, so a deadlock fails the test instead of hanging
the suite; the scenarios live in ``_workers.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

import oxignite.distributed as idist

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed gloo"
)

WORKERS = Path(__file__).with_name("_workers.py")
TIMEOUT = 120


def _env() -> dict:
    env = dict(os.environ)
    # Children import the same oxignite as this test process, installed or not.
    package_root = str(Path(idist.__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env.pop("MASTER_PORT", None)
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        env.pop(key, None)
    return env


def run_scenario(scenario: str, out: Path, torchrun: bool = False) -> tuple:
    out.mkdir(parents=True, exist_ok=True)
    launcher = [sys.executable]
    if torchrun:
        launcher += ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = subprocess.run(
        [*launcher, str(WORKERS), scenario, str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    results = [
        json.loads((out / f"rank{r}.json").read_text())
        for r in range(2)
        if (out / f"rank{r}.json").exists()
    ]
    return proc, results


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> list:
    # Collectives, auto_*, and the engine checks below: one 2-process run.
    proc, results = run_scenario("combined", tmp_path_factory.mktemp("combined"))
    assert proc.returncode == 0, proc.stderr
    assert len(results) == 2
    return results


def test_context(basic: list) -> None:
    for rank, r in enumerate(basic):
        assert r["rank"] == rank and r["local_rank"] == rank
        assert r["world_size"] == 2 and r["nproc_per_node"] == 2
        assert r["nnodes"] == 1 and r["node_rank"] == 0
        assert r["backend"] == "gloo" and r["model_name"] == "native-dist"


def test_all_reduce(basic: list) -> None:
    for r in basic:
        assert r["sum_int"] == 3 and isinstance(r["sum_int"], int)
        assert r["sum_float"] == pytest.approx(1.5)
        assert r["sum_tensor"] == [3.0, 10.0] and r["sum_in_place"]
        assert r["min"] == [3] and r["max"] == 2.5 and r["product"] == [6.0]
        assert r["int_dtype"] == "torch.int32"
        assert r["group_sum"] == [2]


def test_all_gather(basic: list) -> None:
    for r in basic:
        assert r["gather_tensor"] == [0, 0, 1, 1]
        # First dimensions differ between ranks (uneven shards): rows are concatenated.
        assert r["gather_uneven"] == [[0, 0], [1, 1], [1, 1]]
        assert r["gather_scalar_tensor"] == [0.0, 1.0]
        assert r["gather_number"] == [0.5, 1.5]
        assert r["gather_str"] == ["rank-0", "rank-1rank-1"]
        assert r["gather_obj"] == [{"r": 0}, {"r": 1}]
        assert r["with_shapes"] == [[[0]], [[1], [1]]]


def test_broadcast(basic: list) -> None:
    for r in basic:
        assert r["broadcast_tensor"] == [8]
        assert r["broadcast_number"] == 1.5
        assert r["broadcast_str"] == "from zero"
        assert r["broadcast_path"] == "/x/y"
        assert r["broadcast_safe"] == [1, 2, 3]


def test_what_ignites_tests_found_different_now_matches(basic: list) -> None:
    """Safe-mode broadcast onto a placeholder of another kind, a bad ``group``, the rank-in-group
    check, ``utils._model`` and auto_dataloader's warnings: run through oxignite and ignite in
    the same process group (``_workers.parity_checks``)."""
    for rank, r in enumerate(basic):
        ours, theirs = r["parity"]["oxignite"], r["parity"]["ignite"]
        assert ours["model"] == "_NativeDistModel"
        sources = [
            ["number", 10.0],
            ["tensor", "torch.float32", [1.5, 2.5], "cpu"],
            ["tensor", "torch.float32", [1.5, 2.5], "cpu"],
            ["tensor", "torch.int64", [[0, 1, 2], [3, 4, 5]], "cpu"],
            ["tensor", "torch.int64", 12, "cpu"],
            ["str", "text"],
            ["PosixPath" if os.name != "nt" else "WindowsPath", "a/b"],
        ]
        assert ours["broadcast_safe"] == sources * 2
        for name in ("all_reduce", "all_gather"):
            assert ours[f"{name}_bad_group"][0] == "ValueError"
            assert "Argument group should be list of int or ProcessGroup" in ours[f"{name}_bad_group"][1]
        assert ours["not_in_group"] == [False, rank != 0, False]
        assert len(ours["auto_dataloader_warnings"]) == 3
        if theirs is not None:
            assert ours == theirs


def test_one_rank_only_and_first(basic: list) -> None:
    assert [r["one_rank_only"] for r in basic] == [42, None]
    assert [r["one_rank_only_calls"] for r in basic] == [[0], []]
    assert [r["saw_marker"] for r in basic] == [False, True]


def test_auto_helpers(basic: list) -> None:
    r0, r1 = basic
    for r in basic:
        assert r["train_sampler"] == "DistributedSampler"
        assert r["train_batch_size"] == 50  # global batch of 100 split over 2 ranks
        assert r["train_len"] == 501  # padded to equal shards for DDP
        assert r["eval_sampler"] == "UnpaddedDistributedSampler"
        assert r["model"] == "DistributedDataParallel"
    # Evaluation shards: every sample exactly once, no padding.
    assert r0["eval_indices"] == list(range(0, 1001, 2))
    assert r1["eval_indices"] == list(range(1, 1001, 2))
    # Any other sampler is split between ranks by DistributedProxySampler (padded, like torch).
    assert r0["custom_sampler"] == r1["custom_sampler"] == "DistributedProxySampler"
    assert r0["custom_indices"] == list(range(0, 1001, 2))
    assert r1["custom_indices"] == [*range(1, 1001, 2), 0]
    # DDP averaged the gradients: weights identical on both ranks after a step.
    assert r0["weights"][0] == r0["weights"][1] == r1["weights"][0]


def test_failing_rank_ends_the_run(tmp_path: Path) -> None:
    proc, _ = run_scenario("failing", tmp_path)
    assert proc.returncode != 0
    assert "boom on rank 1" in proc.stderr
    assert "Process 1 terminated" in proc.stderr


def test_torchrun_launch_is_picked_up(tmp_path: Path) -> None:
    proc, results = run_scenario("torchrun", tmp_path, torchrun=True)
    assert proc.returncode == 0, proc.stderr
    assert [(r["rank"], r["local_rank"], r["world_size"], r["sum"]) for r in results] == [
        (0, 0, 2, 3),
        (1, 1, 2, 3),
    ]


@pytest.fixture(scope="module")
def engine_run(basic: list) -> list:
    if basic[0]["engine"] is None:
        pytest.skip("oxignite.engine / handlers / metrics not available")
    return [r["engine"] for r in basic]


def test_distributed_accuracy_is_exact(engine_run: list) -> None:
    sys.path.insert(0, str(WORKERS.parent))
    try:
        from _workers import N_SAMPLES, _accuracy_data
    finally:
        sys.path.pop(0)
    logits, y = _accuracy_data()
    single = (logits.argmax(dim=1) == y).sum().item() / N_SAMPLES
    for r in engine_run:
        assert r["exact"] == pytest.approx(single, abs=1e-12)
        # What a padded DistributedSampler gives instead (ignite's behaviour).
        assert r["padded"] != pytest.approx(single, abs=1e-12)


def test_sampler_epoch_set_each_epoch(engine_run: list) -> None:
    r0, r1 = engine_run
    assert r0["sampler_epochs"] == r1["sampler_epochs"] == [0, 1, 2]
    # set_epoch reshuffles: the first batch differs from one epoch to the next.
    assert len({tuple(b) for b in r0["first_batches"]}) == 3


def test_single_checkpoint_writer(engine_run: list) -> None:
    files = engine_run[0]["checkpoint_files"]
    assert files == engine_run[1]["checkpoint_files"]
    assert len(files) == 2, files  # n_saved=2
    assert [r["saves"] for r in engine_run] == [3, 0]  # one file per epoch, by rank 0 only
