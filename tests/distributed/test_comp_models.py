"""``oxignite.distributed.comp_models``: ignite's computation-model classes and support flags
under ignite's module paths, side by side with ignite's own classes.

In one process: the names, the abstract interface, ``_SerialModel`` method by method, the base
class's collectives through identity primitives, ``_NativeDistModel`` argument checks and a
1-process gloo group. In 2 gloo processes (``_comp_models_workers.py``, started by our
``_NativeDistModel.spawn``): our model, ignite's and a plain subclass of our base class, built
on the same process group, must give the same answers.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
ig_base = pytest.importorskip("ignite.distributed.comp_models.base")
ig_native = pytest.importorskip("ignite.distributed.comp_models.native")

import oxignite.distributed as idist
from oxignite.distributed import comp_models, launcher
from oxignite.distributed.comp_models import base, native

WORKERS = Path(__file__).with_name("_comp_models_workers.py")
TIMEOUT = 120


@pytest.fixture(autouse=True)
def _not_distributed() -> None:
    assert not dist.is_initialized()
    yield
    if dist.is_initialized():
        dist.destroy_process_group()
        idist.sync()


@pytest.mark.parametrize(
    ("module", "flag"),
    [
        ("", "has_native_dist_support"),
        ("", "has_xla_support"),
        ("", "has_hvd_support"),
        (".native", "has_native_dist_support"),
        (".xla", "has_xla_support"),
        (".horovod", "has_hvd_support"),
    ],
)
def test_flags_match_ignite_and_are_reexports(module, flag):
    ours = importlib.import_module(f"oxignite.distributed.comp_models{module}")
    ig = importlib.import_module(f"ignite.distributed.comp_models{module}")
    assert getattr(ours, flag) is getattr(idist, flag)
    if flag == "has_native_dist_support":
        assert getattr(ours, flag) == getattr(ig, flag)
    else:
        assert getattr(ours, flag) is False  # only torch.distributed is in scope


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "",
            [
                "_SerialModel",
                "base",
                "horovod",
                "native",
                "xla",
                "registered_computation_models",
                "setup_available_computation_models",
            ],
        ),
        (".base", ["ComputationModel", "_SerialModel"]),
        (".native", ["_NativeDistModel", "GLOO", "NCCL", "MPI"]),
    ],
)
def test_ignite_names_exist(module: str, names: list) -> None:
    ours = importlib.import_module(f"oxignite.distributed.comp_models{module}")
    ig = importlib.import_module(f"ignite.distributed.comp_models{module}")
    for name in names:
        assert hasattr(ig, name), name  # the list is ignite's
        assert hasattr(ours, name), name
    for name in ("GLOO", "NCCL", "MPI"):
        if module == ".native":
            assert getattr(ours, name) == getattr(ig, name)


def test_registered_models_match_ignite() -> None:
    ig_init = importlib.import_module("ignite.distributed.comp_models")
    ours = comp_models.registered_computation_models
    assert ours == (base._SerialModel, native._NativeDistModel)
    assert ours == comp_models.setup_available_computation_models()
    assert [m.name for m in ours] == [m.name for m in ig_init.registered_computation_models]
    assert comp_models._SerialModel is base._SerialModel
    assert all(issubclass(m, base.ComputationModel) for m in ours)
    # also at ignite's ``idist.registered_computation_models``
    import oxignite.distributed as idist

    assert idist.registered_computation_models is ours


def test_abstract_interface_matches_ignite() -> None:
    ours, ig = base.ComputationModel, ig_base.ComputationModel
    assert ours.__abstractmethods__ == ig.__abstractmethods__
    with pytest.raises(TypeError, match="abstract"):
        ours()
    public = {n for n in dir(ig) if not n.startswith("_")}
    assert public <= {n for n in dir(ours) if not n.startswith("_")}


def _public_methods(cls: type) -> set:
    return {n for n in dir(cls) if not n.startswith("_")}


def test_concrete_models_have_ignite_methods_and_signatures() -> None:
    assert _public_methods(ig_base._SerialModel) <= _public_methods(base._SerialModel)
    # setup_env_vars is a step of ignite's create_from_backend (SLURM, env defaults); here
    # oxignite.distributed.initialize does that step.
    missing = _public_methods(ig_native._NativeDistModel) - _public_methods(native._NativeDistModel)
    assert missing == {"setup_env_vars"}
    for name in ("spawn", "create_from_backend", "create_from_context", "__init__"):
        ours = inspect.signature(getattr(native._NativeDistModel, name))
        ig = inspect.signature(getattr(ig_native._NativeDistModel, name))
        assert list(ours.parameters) == list(ig.parameters), name
        assert [p.default for p in ours.parameters.values()] == [
            p.default for p in ig.parameters.values()
        ], name
    assert native._NativeDistModel.name == ig_native._NativeDistModel.name == "native-dist"


# _SerialModel, method by method against ignite's.

SERIAL_QUERIES = [
    "get_local_rank",
    "get_rank",
    "get_world_size",
    "get_nproc_per_node",
    "get_nnodes",
    "get_node_rank",
    "backend",
    "finalize",
    "barrier",
    "_compute_nproc_per_node",
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("method", SERIAL_QUERIES)
def test_serial_queries_match_ignite(method: str) -> None:
    ours, ig = base._SerialModel(), ig_base._SerialModel()
    assert _same(getattr(ours, method)(), getattr(ig, method)())


def test_serial_model_attributes_and_constructors() -> None:
    ours, ig = base._SerialModel, ig_base._SerialModel
    assert ours.name == ig.name == "serial"
    assert ours.available_backends == ig.available_backends == ()
    assert ours().device() == ig().device()
    assert type(ours.create_from_context()) is ours
    assert type(ours.create_from_backend("gloo")) is ours
    assert type(ours.create_from_backend()) is ours
    assert type(ours("gloo", x=1)) is ours
    with pytest.raises(NotImplementedError, match="spawn"):
        ours.spawn(print, args=())
    with pytest.raises(NotImplementedError, match="spawn"):
        ig.spawn(print, args=())


SERIAL_INPUTS = [
    torch.tensor([1.0, 2.0]),
    torch.tensor(3),
    4,
    2.5,
    "text",
    Path("/a/b"),
    {"obj": [1]},
]


@pytest.mark.parametrize("value", SERIAL_INPUTS, ids=repr)
def test_serial_collectives_match_ignite(value: Any) -> None:
    ours, ig = base._SerialModel(), ig_base._SerialModel()
    assert _same(ours.all_gather(value), ig.all_gather(value))
    assert _same(ours.broadcast(value, src=0), ig.broadcast(value, src=0))
    assert _same(ours.broadcast(value, safe_mode=True), ig.broadcast(value, safe_mode=True))
    if isinstance(value, (torch.Tensor, int, float)):
        for op in ("SUM", "MAX", "PRODUCT"):
            assert _same(ours.all_reduce(value, op=op), ig.all_reduce(value, op=op))
    if isinstance(value, torch.Tensor):
        assert ours.all_reduce(value) is value  # no copy, as ignite
        for primitive in ("_do_all_reduce", "_do_all_gather", "_do_all_gather_object"):
            assert getattr(ours, primitive)(value) is value
        assert ours._do_broadcast(value, 0) is value


def test_serial_groups_and_errors_match_ignite() -> None:
    ours, ig = base._SerialModel(), ig_base._SerialModel()
    assert ours.new_group([0]) == ig.new_group([0]) == [0]
    assert ours._do_new_group([0, 1]) == [0, 1]
    assert ours._rank_not_in_group([0]) is ig._rank_not_in_group([0]) is False
    for model in (ours, ig):
        with pytest.raises(ValueError, match="list of int"):
            model.new_group([0, "1"])
        with pytest.raises(ValueError, match="should not be None"):
            model.broadcast(None, safe_mode=True)


# The base class's own collectives, through primitives that answer for one rank.


class _OneRankPrimitives:
    name = "one-rank"

    def __init__(self) -> None:
        super().__init__()
        self._setup_attrs()

    def _compute_nproc_per_node(self) -> int:
        return 1

    def get_local_rank(self) -> int:
        return 0

    get_rank = get_node_rank = get_local_rank

    def get_world_size(self) -> int:
        return 1

    def get_nproc_per_node(self) -> int:
        return self._nproc_per_node

    def get_nnodes(self) -> int:
        return self._nnodes

    def device(self) -> Any:
        return torch.device("cpu")

    def backend(self) -> None:
        return None

    def finalize(self) -> None:
        pass

    create_from_context = create_from_backend = spawn = staticmethod(lambda *a, **k: None)

    def _do_all_reduce(self, tensor: Any, op: str = "SUM", group: Any = None) -> Any:
        self.calls.append(("all_reduce", op, tensor.dtype))
        return tensor

    def _do_all_gather(self, tensor: Any, group: Any = None) -> Any:
        self.calls.append(("all_gather", tensor.dtype))
        return tensor.unsqueeze(0) if tensor.ndim == 0 else tensor

    def _do_all_gather_object(self, tensor: Any, group: Any = None) -> list:
        return [tensor]

    def _do_broadcast(self, tensor: Any, src: int) -> Any:
        self.calls.append(("broadcast", tensor.dtype))
        return tensor

    def barrier(self) -> None:
        pass

    def _do_new_group(self, ranks: list, **kwargs: Any) -> Any:
        return tuple(ranks)

    def _rank_not_in_group(self, group: Any) -> bool:
        return False


def _one_rank_pair(op_dtype: Any = None) -> tuple:
    models = []
    for root in (base.ComputationModel, ig_base.ComputationModel):
        cls = type("OneRank", (_OneRankPrimitives, root), {"_collective_op_dtype": op_dtype})
        model = cls()
        model.calls = []
        models.append(model)
    return tuple(models)


BASE_CALLS = [
    ("all_reduce", (torch.tensor([1, 2]),), {"op": "SUM"}),
    ("all_reduce", (3,), {"op": "MAX"}),
    ("all_reduce", (2.5,), {"op": "SUM"}),
    ("all_gather", (torch.tensor(4.0),), {}),
    ("all_gather", (7,), {}),
    ("all_gather", (0.5,), {}),
    ("all_gather", ("hello",), {}),
    ("all_gather", ({"k": 1},), {}),
    ("broadcast", (torch.tensor([[1, 2]]),), {}),
    ("broadcast", ("hello",), {}),
    ("broadcast", (Path("/x"),), {}),
    ("broadcast", (torch.arange(4.0).reshape(2, 2),), {"safe_mode": True}),
    ("broadcast", ("safe",), {"safe_mode": True}),
    ("broadcast", (Path("p"),), {"safe_mode": True}),
    ("new_group", ([0],), {}),
]


@pytest.mark.parametrize("op_dtype", [None, torch.float32])
@pytest.mark.parametrize(("method", "args", "kwargs"), BASE_CALLS, ids=repr)
def test_base_collectives_match_ignite(method: str, args: tuple, kwargs: dict, op_dtype) -> None:
    ours, ig = _one_rank_pair(op_dtype)
    got, expected = getattr(ours, method)(*args, **kwargs), getattr(ig, method)(*args, **kwargs)
    assert _same(got, expected), (got, expected)


def test_base_collective_op_dtype_casts_integers_only() -> None:
    ours, _ = _one_rank_pair(torch.float32)
    out = ours.all_reduce(torch.tensor([1, 2], dtype=torch.int64))
    assert out.dtype == torch.int64  # back to the input's dtype
    assert ours.all_reduce(torch.tensor([1.0], dtype=torch.float64)).dtype == torch.float64
    assert ours.calls == [("all_reduce", "SUM", torch.float32), ("all_reduce", "SUM", torch.float64)]


def test_base_number_broadcast_and_errors() -> None:
    ours, ig = _one_rank_pair()
    # float64 here: 0.1 comes back exactly (ignite sends float32, 0.10000000149...).
    assert ours.broadcast(0.1) == 0.1
    assert ig.broadcast(0.5) == ours.broadcast(0.5) == 0.5
    assert ours.broadcast(3, safe_mode=True) == 3.0
    assert ours.all_gather("héllo") == ["héllo"]  # UTF-8 bytes, not characters, are counted
    for model in (ours, ig):
        with pytest.raises(TypeError, match="Unhandled input type"):
            model.all_reduce("text")
        with pytest.raises(TypeError, match="Unhandled input type"):
            model.broadcast([1])
        with pytest.raises(ValueError, match="Source data can not be None"):
            model.broadcast(None, src=0, safe_mode=True)
        with pytest.raises(ValueError, match="list of int"):
            model.new_group("0")


# _NativeDistModel in one process.


def test_native_outside_a_group_matches_ignite() -> None:
    assert native._NativeDistModel.create_from_context() is None
    assert ig_native._NativeDistModel.create_from_context() is None
    with pytest.raises(RuntimeError, match="create_from_backend"):
        native._NativeDistModel()
    assert native._NativeDistModel.available_backends == idist.available_backends()
    assert set(native._NativeDistModel.available_backends) <= set(
        ig_native._NativeDistModel.available_backends
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"backend": "nope"}, "Backend should be one of"),
        ({"backend": "gloo", "rank": 0}, "should be None if no init_method"),
        ({"backend": "gloo", "world_size": 1}, "should be None if no init_method"),
        ({"backend": "gloo", "init_method": "env://", "rank": 0}, "Both rank and world_size"),
    ],
)
def test_native_create_from_backend_checks_like_ignite(kwargs: dict, error: str) -> None:
    for cls in (native._NativeDistModel, ig_native._NativeDistModel):
        with pytest.raises(ValueError, match=error):
            cls.create_from_backend(**kwargs)


def test_native_spawn_rejects_what_it_cannot_do() -> None:
    with pytest.raises(ValueError, match="join=False"):
        native._NativeDistModel.spawn(print, args=(), backend="gloo", join=False)
    with pytest.raises(ValueError, match="Backend"):
        native._NativeDistModel.spawn(print, args=(), backend="nope")


@pytest.fixture
def free_port(monkeypatch: pytest.MonkeyPatch) -> int:
    port = launcher._free_port()
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MASTER_PORT", str(port))
    return port


def _context(model: Any) -> tuple:
    return (
        model.get_rank(),
        model.get_local_rank(),
        model.get_world_size(),
        model.get_nproc_per_node(),
        model.get_nnodes(),
        model.get_node_rank(),
        model.backend(),
        model.device(),
    )


def test_native_one_process_group_matches_ignite(free_port: int) -> None:
    before = dict(os.environ)
    ours = native._NativeDistModel.create_from_backend("gloo")
    try:
        assert idist.is_distributed() and idist.model_name() == "native-dist"
        with pytest.raises(RuntimeError, match="already initialized"):
            native._NativeDistModel.create_from_backend("gloo")
        # ignite's model read from the group ours created: same answers.
        theirs = ig_native._NativeDistModel.create_from_context()
        from_context = native._NativeDistModel.create_from_context()
        assert _context(ours) == _context(theirs) == _context(from_context)
        assert _context(ours) == (0, 0, 1, 1, 1, 0, "gloo", idist.device())
        t = torch.tensor([1.0, 2.0])
        assert ours.all_reduce(t, op="SUM") is t
        assert _same(ours.all_reduce(3, op="SUM"), theirs.all_reduce(3, op="SUM"))
        assert _same(ours.all_gather(torch.tensor(5)), theirs.all_gather(torch.tensor(5)))
        assert ours.all_gather(1.5) == theirs.all_gather(1.5) == [1.5]
        assert ours.all_gather("ab") == theirs.all_gather("ab") == ["ab"]
        assert ours.all_gather({"k": 1}) == theirs.all_gather({"k": 1}) == [{"k": 1}]
        assert ours._do_all_gather_object(2) == theirs._do_all_gather_object(2) == [2]
        assert ours.broadcast("s") == theirs.broadcast("s") == "s"
        assert ours.broadcast(Path("/p"), safe_mode=True) == Path("/p")
        group = ours.new_group([0])
        assert ours._rank_not_in_group(group) is theirs._rank_not_in_group(group) is False
        assert ours.all_reduce(torch.tensor([4]), op="SUM", group=group).tolist() == [4]
        ours.barrier()
    finally:
        ours.finalize()
    assert not dist.is_initialized()
    assert dict(os.environ) == before  # environment restored, as ignite's finalize does


def test_native_model_after_ignite_created_the_group(free_port: int) -> None:
    theirs = ig_native._NativeDistModel.create_from_backend("gloo")
    try:
        ours = native._NativeDistModel.create_from_context()
        assert _context(ours) == _context(theirs)
    finally:
        theirs.finalize()
    idist.sync()


# Two processes.


def _env() -> dict:
    env = dict(os.environ)
    package_root = str(Path(idist.__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    for key in ("MASTER_PORT", "RANK", "LOCAL_RANK", "WORLD_SIZE"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> list:
    if not dist.is_gloo_available():
        pytest.skip("needs torch.distributed gloo")
    out = tmp_path_factory.mktemp("comp_models")
    proc = subprocess.run(
        [sys.executable, str(WORKERS), str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


def test_two_process_context_matches_ignite(two_ranks: list) -> None:
    for rank, result in enumerate(two_ranks):
        assert result["rank"] == result["local_rank_arg"] == rank
        ours, theirs = result["ours"]["context"], result["ignite"]["context"]
        assert ours == theirs
        assert ours["rank"] == ours["local_rank"] == rank
        assert (ours["world_size"], ours["nproc_per_node"], ours["nnodes"]) == (2, 2, 1)
        assert ours["backend"] == "gloo"
        plain = dict(result["plain"]["context"], name="native-dist")
        assert plain == theirs


def test_two_process_collectives_match_ignite(two_ranks: list) -> None:
    for result in two_ranks:
        theirs = result["ignite"]["calls"]
        assert result["ours"]["calls"] == theirs
        assert result["plain"]["calls"] == theirs  # the base class's own collectives
        # Spot checks, so that a shared mistake would not pass unseen.
        assert theirs["reduce_tensor"] == [3.0, 10.0] and theirs["reduce_group"] == [2]
        assert theirs["gather_str"] == ["rank-0", "rank-1rank-1"]
        assert theirs["broadcast_tensor"] == [8]
        assert theirs["broadcast_safe_tensor"] == [[[0, 1, 2], [3, 4, 5]], "torch.int32"]
        assert theirs["broadcast_safe_str"] == "abc"
        assert theirs["broadcast_path"] == repr(Path("/x/y"))
