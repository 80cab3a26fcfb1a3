"""create_supervised_tbptt_trainer and Tbptt_Events against ignite's: the same chunk losses,
events, outputs and trained weights."""

from __future__ import annotations

import copy

import ignite.contrib.engines as ig_engines
import ignite.engine as ig_engine
import oxignite.contrib.engines as ox_engines
import oxignite.engine as ox_engine
import pytest
import torch
from oxignite.contrib.engines import Tbptt_Events, create_supervised_tbptt_trainer
from torch import nn


class TinyRNN(nn.Module):
    """``model(x)`` / ``model(x, hidden)`` -> ``(y, hidden)``, as the trainer expects."""

    def __init__(self, batch_first: bool = False):
        super().__init__()
        self.rnn = nn.GRU(2, 4, batch_first=batch_first)
        self.head = nn.Linear(4, 1)

    def forward(self, x, hidden=None):
        out, hidden = self.rnn(x, hidden)
        return self.head(out), hidden


def _sequences(dim):
    g = torch.Generator().manual_seed(1)
    shape = (11, 3, 2) if dim == 0 else (3, 11, 2)  # time 11 -> chunks 4, 4, 3
    x = torch.randn(*shape, generator=g)
    return [(x, x.sum(-1, keepdim=True).cumsum(dim)) for _ in range(2)]


def _train(engines_mod, engine_mod, model, dim, tbtt_step=4):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    trainer = engines_mod.create_supervised_tbptt_trainer(
        model, optimizer, nn.MSELoss(), tbtt_step=tbtt_step, dim=dim
    )
    events = engines_mod.Tbptt_Events
    trace = []
    trainer.add_event_handler(events.TIME_ITERATION_STARTED, lambda e: trace.append("start"))
    trainer.add_event_handler(
        events.TIME_ITERATION_COMPLETED, lambda e: trace.append(round(e.state.output, 6))
    )
    trainer.add_event_handler(
        engine_mod.Events.ITERATION_COMPLETED, lambda e: trace.append(("mean", e.state.output))
    )
    trainer.run(_sequences(dim), max_epochs=2)
    return trace, model.state_dict()


@pytest.mark.parametrize(("dim", "tbtt_step"), [(0, 4), (1, 4), (0, 20)])
def test_same_training_as_ignite(dim, tbtt_step):
    torch.manual_seed(0)
    model = TinyRNN(batch_first=dim == 1)
    ours = _train(ox_engines, ox_engine, copy.deepcopy(model), dim, tbtt_step)
    theirs = _train(ig_engines, ig_engine, copy.deepcopy(model), dim, tbtt_step)
    assert ours[0] == theirs[0]
    chunks = -(-11 // tbtt_step)
    assert ours[0].count("start") == 2 * 2 * chunks
    for key, value in ours[1].items():
        assert torch.allclose(value, theirs[1][key], atol=1e-6), key


def test_events_are_registered_and_named_like_ignite():
    trainer = create_supervised_tbptt_trainer(
        TinyRNN(), torch.optim.SGD(TinyRNN().parameters(), lr=0.1), nn.MSELoss(), tbtt_step=2
    )
    for event in Tbptt_Events:
        assert trainer.has_registered_events(event)
    ig_values = [e.value for e in ig_engines.Tbptt_Events]
    assert [e.value for e in Tbptt_Events] == ig_values
    assert [e.name for e in Tbptt_Events] == [e.name for e in ig_engines.Tbptt_Events]
