"""EpochOutputStore against ignite's, side by side."""

from __future__ import annotations

import ignite.engine as ig_engine
import ignite.handlers as ig
import pytest
from oxignite.engine import Engine, Events
from oxignite.handlers import EpochOutputStore


def _run(engine_cls, events, store_cls, name, **kwargs):
    engine = engine_cls(lambda e, b: (b, b * 10))
    store = store_cls(**kwargs)
    store.attach(engine, name)
    seen = []
    engine.add_event_handler(events.EPOCH_COMPLETED, lambda e: seen.append(list(store.data)))
    engine.run([1, 2, 3], max_epochs=2)
    on_state = getattr(engine.state, name, None) if name else None
    return seen, store.data, on_state


@pytest.mark.parametrize("name", [None, "", "output_history"])
@pytest.mark.parametrize("kwargs", [{}, {"output_transform": lambda out: out[1]}])
def test_same_data_as_ignite(name, kwargs):
    ours = _run(Engine, Events, EpochOutputStore, name, **kwargs)
    assert ours == _run(ig_engine.Engine, ig_engine.Events, ig.EpochOutputStore, name, **kwargs)
    assert ours[1] == ([(1, 10), (2, 20), (3, 30)] if not kwargs else [10, 20, 30])


def test_reset_and_update_by_hand():
    engine = Engine(lambda e, b: b)
    store = EpochOutputStore()
    engine.state.output = 5
    store.update(engine)
    assert store.data == [5]
    store.reset()
    assert store.data == []
