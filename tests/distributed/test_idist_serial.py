"""Every oxignite.distributed function outside a distributed run (one process), plus a
single-process gloo group created and destroyed in this process."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import oxignite.distributed as idist
from oxignite.distributed import comp, launcher


@pytest.fixture(autouse=True)
def _not_distributed() -> None:
    assert not idist.is_distributed()
    yield
    if idist.is_distributed():
        idist.finalize()


def test_context_queries() -> None:
    assert idist.get_rank() == 0
    assert idist.get_local_rank() == 0
    assert idist.get_world_size() == 1
    assert idist.get_nproc_per_node() == 1
    assert idist.get_nnodes() == 1
    assert idist.get_node_rank() == 0
    assert idist.backend() is None
    assert idist.model_name() == "serial"
    assert idist.hostname() == socket.gethostname()
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert idist.device().type == expected


def test_available_backends() -> None:
    backends = idist.available_backends()
    assert "gloo" in backends
    assert ("nccl" in backends) == (torch.cuda.is_available() and comp.dist.is_nccl_available())
    assert not idist.has_xla_support and not idist.has_hvd_support
    assert idist.has_native_dist_support


def test_all_reduce_serial() -> None:
    t = torch.tensor([1.0, 2.0])
    assert idist.all_reduce(t) is t
    assert idist.all_reduce(3) == 3
    assert idist.all_reduce(2.5, op="max") == 2.5
    for op in ("SUM", "MIN", "MAX", "PRODUCT", "AND", "OR"):
        assert idist.all_reduce(1, op=op) == 1
    with pytest.raises(ValueError, match="Unsupported reduction"):
        idist.all_reduce(1, op="MEAN")
    with pytest.raises(TypeError):
        idist.all_reduce("text")


def test_all_gather_serial() -> None:
    t = torch.arange(3)
    assert idist.all_gather(t) is t
    assert idist.all_gather(1.5) == [1.5]
    assert idist.all_gather("abc") == ["abc"]
    assert idist.all_gather({"k": 1}) == [{"k": 1}]
    parts = idist.all_gather_tensors_with_shapes(t, [[3]])
    assert len(parts) == 1 and parts[0] is t


def test_broadcast_serial() -> None:
    t = torch.ones(2)
    assert idist.broadcast(t) is t
    assert idist.broadcast(1.5, src=0) == 1.5
    assert idist.broadcast("s") == "s"
    assert idist.broadcast(Path("/a")) == Path("/a")
    assert idist.broadcast({"any": 1}, safe_mode=True) == {"any": 1}
    with pytest.raises(ValueError, match="None"):
        idist.broadcast(None)
    with pytest.raises(TypeError):
        idist.broadcast({"not": "supported"})


def test_barrier_and_new_group_serial() -> None:
    idist.barrier()
    assert idist.new_group([0]) == [0]
    with pytest.raises(ValueError):
        idist.new_group("0")


def test_one_rank_only() -> None:
    calls = []

    @idist.one_rank_only()
    def on_zero(x: int) -> int:
        calls.append(x)
        return x * 2

    @idist.one_rank_only(rank=1, with_barrier=True)
    def on_one() -> str:
        calls.append("one")
        return "one"

    assert on_zero(4) == 8
    assert on_one() is None
    assert calls == [4]
    assert on_zero.__name__ == "on_zero"


def test_one_rank_first() -> None:
    with idist.one_rank_first():
        pass
    with idist.one_rank_first(local=True):
        pass
    with pytest.raises(ValueError, match="rank should be between"), idist.one_rank_first(rank=1):
        pass


def test_show_config() -> None:
    records = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("test_show_config")
    logger.setLevel(logging.INFO)
    logger.addHandler(Collect())
    idist.show_config(logger)
    assert "distributed configuration: serial" in records
    assert "world size: 1" in records and "rank: 0" in records
    assert idist.utils.setup_logger("oxignite.test").handlers


def test_sync_and_set_local_rank() -> None:
    from oxignite.distributed.comp_models.base import ComputationModel

    idist.sync()
    idist.set_local_rank(0)
    assert idist.get_local_rank() == 0
    # Kept where ignite keeps it: code written for ignite reads or resets it there.
    assert ComputationModel._ext_local_rank == 0
    ComputationModel._ext_local_rank = None


def test_auto_helpers_serial() -> None:
    data = torch.utils.data.TensorDataset(torch.arange(10))
    loader = idist.auto_dataloader(data, batch_size=4, shuffle=False)
    assert loader.batch_size == 4
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    model = torch.nn.Linear(2, 1)
    wrapped = idist.auto_model(model)
    if torch.cuda.device_count() <= 1:
        assert wrapped is model
    assert next(wrapped.parameters()).device.type == idist.device().type
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    assert idist.auto_optim(optimizer) is optimizer


def test_unpadded_sampler() -> None:
    data = list(range(10))
    shards = [
        list(idist.UnpaddedDistributedSampler(data, num_replicas=3, rank=r)) for r in range(3)
    ]
    assert shards == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(i for shard in shards for i in shard) == data  # every sample exactly once
    sampler = idist.UnpaddedDistributedSampler(data, num_replicas=3, rank=1)
    assert len(sampler) == 3
    sampler.set_epoch(5)
    assert sampler.epoch == 5 and list(sampler) == [1, 4, 7]
    assert list(idist.UnpaddedDistributedSampler(data)) == data  # defaults: rank 0 of 1
    with pytest.raises(ValueError):
        idist.UnpaddedDistributedSampler(data, num_replicas=2, rank=2)
    with pytest.raises(ValueError):
        idist.UnpaddedDistributedSampler(data, num_replicas=0, rank=0)


def test_distributed_proxy_sampler() -> None:
    weights = torch.ones(7)
    base = torch.utils.data.WeightedRandomSampler(weights, num_samples=7)
    shards = [idist.DistributedProxySampler(base, num_replicas=2, rank=r) for r in range(2)]
    for s in shards:
        s.set_epoch(3)
    a, b = (list(s) for s in shards)
    assert len(a) == len(b) == 4 == len(shards[0])
    torch.manual_seed(3)
    drawn = (list(base) + list(base))[:8]  # padded to 8 with a second draw
    assert a == drawn[0::2] and b == drawn[1::2]
    with pytest.raises(TypeError):
        idist.DistributedProxySampler([1, 2, 3])
    with pytest.raises(TypeError):
        idist.DistributedProxySampler(shards[0])


@pytest.fixture
def free_port(monkeypatch: pytest.MonkeyPatch) -> int:
    port = launcher._free_port()
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MASTER_PORT", str(port))
    return port


def test_initialize_finalize_single_process(free_port: int) -> None:
    before = dict(os.environ)
    idist.initialize("gloo")
    try:
        assert idist.is_distributed()
        assert idist.model_name() == "native-dist" and idist.backend() == "gloo"
        assert idist.get_world_size() == 1 and idist.get_rank() == 0
        assert idist.get_nproc_per_node() == 1 and idist.get_nnodes() == 1
        assert idist.all_reduce(torch.tensor([2.0])).tolist() == [2.0]
        assert idist.all_gather(torch.tensor([1, 2])).tolist() == [1, 2]
        assert idist.all_gather("x") == ["x"]
        assert idist.broadcast(3.0) == 3.0
        with pytest.raises(RuntimeError, match="already initialized"):
            idist.initialize("gloo")
    finally:
        idist.finalize()
    assert not idist.is_distributed()
    assert dict(os.environ) == before  # environment restored
    idist.finalize()  # no-op when not distributed


def test_initialize_checks_arguments() -> None:
    with pytest.raises(ValueError, match="Backend"):
        idist.initialize("mpi-unknown")
    with pytest.raises(ValueError, match="tcp"):
        idist.initialize("gloo", init_method="tcp://127.0.0.1:1234")


def test_parallel_without_backend_runs_here() -> None:
    with idist.Parallel() as p:
        assert p.run(lambda local_rank, a, b=0: (local_rank, a, b), 1, b=2) == (0, 1, 2)


def test_parallel_backend_without_nproc_joins_environment(free_port: int) -> None:
    with idist.Parallel(backend="gloo") as p:
        assert p.run(lambda local_rank: (idist.backend(), idist.get_world_size())) == ("gloo", 1)
    assert not idist.is_distributed()


def test_parallel_checks_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="argument .nproc_per_node. should be also None"):
        idist.Parallel(nproc_per_node=2)
    with pytest.raises(ValueError, match="Unknown backend"):
        idist.Parallel(backend="nope")
    with pytest.raises(ValueError, match="positive"):
        idist.Parallel(backend="gloo", nproc_per_node=0)
    with pytest.raises(ValueError, match="node_rank"):
        idist.Parallel(backend="gloo", nproc_per_node=1, nnodes=2)
    with pytest.raises(ValueError, match="master_addr"):
        idist.Parallel(backend="gloo", nproc_per_node=1, nnodes=2, node_rank=0)
    with pytest.raises(ValueError, match="tcp"):
        idist.Parallel(backend="gloo", init_method="tcp://a:1")
    # Under a launcher (torchrun), nproc_per_node is ignored rather than spawning again.
    for key, value in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1")):
        monkeypatch.setenv(key, value)
    with pytest.warns(UserWarning, match="nproc_per_node is ignored"):
        p = idist.Parallel(backend="gloo", nproc_per_node=2)
    assert p._spawn_params is None


def test_spawn_checks_arguments() -> None:
    with pytest.raises(ValueError, match="Backend"):
        idist.spawn("nope", print, args=())
    with pytest.raises(ValueError, match="env://"):
        idist.spawn("gloo", print, args=(), init_method="file:///tmp/x")
