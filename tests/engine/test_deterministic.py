"""DeterministicEngine, ReproducibleBatchSampler, update_dataloader, keep_random_state:
side by side with pytorch-ignite, and exact resume from any iteration."""

from __future__ import annotations

import io
import pickle
import random

import ignite.engine as ig_engine
import ignite.engine.deterministic as ig_det
import numpy as np
import pytest
import torch
from oxignite.engine import DeterministicEngine, Events
from oxignite.engine import deterministic as ox_det
from torch.utils.data import DataLoader, Dataset, TensorDataset

torch.set_num_threads(1)

LIBS = [(ox_det, ox_det.DeterministicEngine), (ig_det, ig_det.DeterministicEngine)]


class CountingDataset(Dataset):
    """Numbers 0..n-1, counting the items loaded (to show skipped batches are not loaded)."""

    def __init__(self, n: int) -> None:
        self.n, self.loaded = n, []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> torch.Tensor:
        self.loaded.append(index)
        return torch.tensor(float(index))


def _recording_engine(cls, seen):
    """An engine whose process function records the batch and a fresh random number of
    each generator (torch, random, numpy), as dropout or augmentation would draw them."""

    def step(engine, batch):
        seen.append((_plain(batch), torch.rand(1).item(), random.random(), float(np.random.rand())))

    return cls(step)


def _loader(num_workers=0, n=20, batch_size=3, dataset=None):
    dataset = dataset if dataset is not None else TensorDataset(torch.arange(n).float())
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers)
    return loader


def _plain(batch):
    """A batch as plain lists (a TensorDataset's batch is a list of one tensor)."""
    if isinstance(batch, (list, tuple)) and len(batch) == 1:
        batch = batch[0]
    return batch.tolist() if isinstance(batch, torch.Tensor) else batch


# -- API parity ---------------------------------------------------------------------------


def test_exported_like_ignite():
    import oxignite.engine

    assert oxignite.engine.DeterministicEngine is ox_det.DeterministicEngine
    assert "DeterministicEngine" in oxignite.engine.__all__
    assert set(ox_det.__all__) == set(ig_det.__all__)
    assert issubclass(DeterministicEngine, oxignite.engine.Engine)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_fresh_run_same_batches_and_random_numbers_as_ignite(num_workers):
    runs = []
    for _, cls in LIBS:
        torch.manual_seed(3)
        seen = []
        engine = _recording_engine(cls, seen)
        engine.run(_loader(num_workers), max_epochs=3)
        assert isinstance(engine.state.dataloader.batch_sampler, (ox_det.ReproducibleBatchSampler, ig_det.ReproducibleBatchSampler))
        runs.append((seen, engine.state.seed))
    assert runs[0] == runs[1]
    assert len(runs[0][0]) == 21


def test_fresh_run_on_a_list_same_as_ignite():
    runs = []
    for _, cls in LIBS:
        torch.manual_seed(5)
        seen = []
        _recording_engine(cls, seen).run(list(range(7)), max_epochs=3)
        runs.append(seen)
    assert runs[0] == runs[1]


def test_update_dataloader_same_as_ignite():
    base = DataLoader(TensorDataset(torch.arange(10).float()), batch_size=4, drop_last=True, num_workers=0)
    out = []
    for mod, _ in LIBS:
        new = mod.update_dataloader(base, mod.ReproducibleBatchSampler(base.batch_sampler))
        assert type(new) is DataLoader and new is not base
        assert new.dataset is base.dataset and new.num_workers == base.num_workers
        assert isinstance(new.batch_sampler, mod.ReproducibleBatchSampler)
        out.append([b[0].tolist() for b in new])
    assert out[0] == out[1] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_reproducible_batch_sampler_same_as_ignite():
    from torch.utils.data import BatchSampler, RandomSampler

    out = []
    for mod, _ in LIBS:
        torch.manual_seed(1)
        sampler = mod.ReproducibleBatchSampler(BatchSampler(RandomSampler(range(10)), 3, False))
        first = list(sampler)
        sampler.start_iteration = 2
        torch.manual_seed(1)
        second = list(sampler)
        out.append((first, second, len(sampler), sampler.start_iteration, sampler.batch_indices))
        assert second == first[2:]
        with pytest.raises(TypeError, match="Argument batch_sampler should be torch.utils.data.sampler.BatchSampler"):
            mod.ReproducibleBatchSampler([[0, 1]])
    assert out[0] == out[1]


def test_keep_random_state_same_as_ignite():
    out = []
    for mod, _ in LIBS:
        @mod.keep_random_state
        def draw():
            return torch.rand(3), random.random(), np.random.rand()

        torch.manual_seed(0), random.seed(0), np.random.seed(0)
        assert draw() is None  # as in ignite, the value is dropped
        out.append((torch.rand(1).item(), random.random(), float(np.random.rand())))
        assert draw.__name__ == "draw"
    torch.manual_seed(0), random.seed(0), np.random.seed(0)
    assert out[0] == out[1] == (torch.rand(1).item(), random.random(), float(np.random.rand()))


def test_bad_input_same_errors_as_ignite():
    for _, cls in LIBS:
        engine = cls(lambda e, b: None)
        with pytest.raises(ValueError, match="Deterministic engine does not support the option of data=None"):
            engine.run(None, epoch_length=3)
        engine = cls(lambda e, b: None)
        engine.state.seed = 1
        with pytest.raises(ValueError, match="iter_counter should be positive value"):
            engine._setup_seed(iter_counter=0)
    with pytest.raises(TypeError, match="seed"):
        DeterministicEngine(lambda e, b: None).load_state_dict(
            {"iteration": 1, "epoch_length": 2, "max_epochs": 2, "rng_states": None, "seed": "x"}
        )


def test_state_dict_loads_with_weights_only():
    torch.manual_seed(0)
    engine = DeterministicEngine(lambda e, b: None)
    engine.run(_loader(), max_epochs=1)
    state_dict = engine.state_dict()
    assert list(state_dict) == ["epoch_length", "iteration", "max_epochs", "rng_states", "seed"]
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert loaded["seed"] == engine.state.seed and loaded["iteration"] == 7
    # ignite's own rng_states are refused there (what Checkpoint.load_objects uses).
    ig = ig_det.DeterministicEngine(lambda e, b: None)
    ig.run(_loader(), max_epochs=1)
    buffer = io.BytesIO()
    torch.save(ig.state_dict(), buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buffer, weights_only=True)


# -- exact resume -------------------------------------------------------------------------


def _uninterrupted(cls, data_fn, max_epochs):
    torch.manual_seed(7)
    seen, states = [], {}
    engine = _recording_engine(cls, seen)
    events = Events if cls is DeterministicEngine else ig_engine.Events
    engine.add_event_handler(
        events.ITERATION_COMPLETED, lambda e: states.__setitem__(e.state.iteration, e.state_dict())
    )
    engine.run(data_fn(), max_epochs=max_epochs)
    return seen, states


@pytest.mark.parametrize("data", ["loader", "list"])
def test_resume_from_every_iteration_is_exact(data):
    def data_fn():
        return _loader(n=14, batch_size=3) if data == "loader" else list(range(5))

    seen, states = _uninterrupted(DeterministicEngine, data_fn, max_epochs=3)
    for iteration in range(1, len(seen)):
        torch.manual_seed(1000 + iteration)  # the resumed process's RNG is elsewhere
        resumed_seen = []
        resumed = _recording_engine(DeterministicEngine, resumed_seen)
        saved = io.BytesIO()
        torch.save(states[iteration], saved)
        saved.seek(0)
        resumed.load_state_dict(torch.load(saved, weights_only=True))
        resumed.run(data_fn())
        assert resumed_seen == seen[iteration:], iteration


def test_resume_skips_used_batches_at_the_sampler():
    dataset = CountingDataset(12)
    seen, states = _uninterrupted(DeterministicEngine, lambda: _loader(dataset=dataset, batch_size=4), 2)
    used_first = seen[0][0]
    dataset.loaded.clear()
    resumed_seen = []
    resumed = _recording_engine(DeterministicEngine, resumed_seen)
    resumed.load_state_dict(states[1])
    resumed.run(_loader(dataset=dataset, batch_size=4))
    assert resumed_seen == seen[1:]
    # Only the batches still to run were loaded: the epoch's first batch was skipped unread.
    assert sorted(dataset.loaded) == sorted(x for values, *_ in seen[1:] for x in values)
    assert len(dataset.loaded) == 12 * 2 - len(used_first)


def test_resume_from_an_ignite_state_dict():
    # ignite's run gives the same batches and RNG states: its state_dict resumes here exactly.
    seen, _ = _uninterrupted(DeterministicEngine, lambda: _loader(n=14, batch_size=3), 2)
    _, ig_states = _uninterrupted(ig_det.DeterministicEngine, lambda: _loader(n=14, batch_size=3), 2)
    resumed_seen = []
    resumed = _recording_engine(DeterministicEngine, resumed_seen)
    torch.manual_seed(7)  # ignite saves no seed: the resumed run draws it as the first did
    resumed.load_state_dict(ig_states[3])
    resumed.run(_loader(n=14, batch_size=3))
    assert resumed_seen == seen[3:]


def test_plain_engine_restarts_the_epoch_instead():
    # What the plain Engine does (as ignite's): the resumed epoch's data starts from its
    # first batch, so a mid-epoch resume sees other batches than the uninterrupted run.
    from oxignite.engine import Engine

    seen, states = _uninterrupted(DeterministicEngine, lambda: list(range(5)), 2)
    counters = {k: states[2][k] for k in ("iteration", "epoch_length", "max_epochs")}
    resumed = {}
    for cls in (Engine, ig_engine.Engine):
        resumed_seen = resumed[cls] = []
        engine = _recording_engine(cls, resumed_seen)
        engine.load_state_dict(counters)
        engine.run(list(range(5)))
    plain = [b for b, *_ in resumed[Engine]]
    assert plain == [b for b, *_ in resumed[ig_engine.Engine]] == [0, 1, 2, 3, 4, 0, 1, 2]
    assert [b for b, *_ in seen[2:]] == [2, 3, 4, 0, 1, 2, 3, 4]


def test_create_supervised_trainer_deterministic_resumes_exactly():
    from oxignite.engine import create_supervised_trainer

    def build():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        trainer = create_supervised_trainer(model, opt, torch.nn.MSELoss(), deterministic=True)
        g = torch.Generator().manual_seed(0)
        data = TensorDataset(torch.randn(20, 2, generator=g), torch.randn(20, 1, generator=g))
        return model, opt, trainer, DataLoader(data, batch_size=3, shuffle=True)

    model, opt, trainer, loader = build()
    saved = {}

    @trainer.on(Events.ITERATION_COMPLETED(once=10))
    def save(engine):
        saved.update(
            model={k: v.clone() for k, v in model.state_dict().items()},
            opt=pickle.loads(pickle.dumps(opt.state_dict())),
            trainer=engine.state_dict(),
        )

    losses = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: losses.append(e.state.output))
    trainer.run(loader, max_epochs=3)

    model2, opt2, trainer2, loader2 = build()
    model2.load_state_dict(saved["model"])
    opt2.load_state_dict(saved["opt"])
    trainer2.load_state_dict(saved["trainer"])
    losses2 = []
    trainer2.add_event_handler(Events.ITERATION_COMPLETED, lambda e: losses2.append(e.state.output))
    trainer2.run(loader2)
    assert losses2 == losses[10:]
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)


def test_resume_an_iterator_without_length_replays_it():
    # A generator of random batches: resumed runs replay it from its start under the first
    # pass's seed and skip what was used, as ignite does.
    def stream():
        while True:
            yield torch.randint(0, 1000, (4,))

    results = {}
    for name, cls in (("ox", DeterministicEngine), ("ig", ig_det.DeterministicEngine)):
        torch.manual_seed(24)
        seen = []
        cls(lambda e, b, seen=seen: seen.append(b.tolist())).run(stream(), max_epochs=3, epoch_length=6)
        resumed = {}
        for iteration in (1, 6, 11):
            out = resumed[iteration] = []
            engine = cls(lambda e, b, out=out: out.append(b.tolist()))
            engine.load_state_dict(
                {"iteration": iteration, "max_epochs": 3, "epoch_length": 6, "rng_states": None}
            )
            torch.manual_seed(24)
            engine.run(stream())
            assert out == seen[iteration:], (name, iteration)
        results[name] = (seen, resumed)
    assert results["ox"] == results["ig"]
