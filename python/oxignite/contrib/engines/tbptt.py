"""Truncated backpropagation through time: a supervised trainer that splits each sequence
batch into chunks of ``tbtt_step`` time steps and takes an optimizer step after each chunk,
carrying the (detached) hidden state across chunks.

It is also the reference example of custom events: it fires ``Tbptt_Events`` around every
chunk from inside the process function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from oxignite.engine import Engine, EventEnum
from oxignite.engine.supervised import _prepare_batch
from oxignite.utils import apply_to_tensor

__all__ = ["Tbptt_Events", "create_supervised_tbptt_trainer"]


class Tbptt_Events(EventEnum):
    """Events fired by :func:`create_supervised_tbptt_trainer` around each time chunk.

    Example::

        @trainer.on(Tbptt_Events.TIME_ITERATION_COMPLETED)
        def log_chunk_loss(engine):
            print(engine.state.output)  # the loss of the chunk just done
    """

    TIME_ITERATION_STARTED = "time_iteration_started"
    TIME_ITERATION_COMPLETED = "time_iteration_completed"


def _detach_hidden(hidden: Any) -> Any:
    """Cut the graph at the chunk boundary (hidden may be a tensor or nested tensors)."""
    return apply_to_tensor(hidden, torch.Tensor.detach)


def create_supervised_tbptt_trainer(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: torch.nn.Module,
    tbtt_step: int,
    dim: int = 0,
    device: str | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
) -> Engine:
    """Trainer for recurrent models trained with truncated backpropagation through time.

    ``model(x_t)`` (first chunk) and ``model(x_t, hidden)`` (next ones) must return
    ``(y_pred_t, hidden)``. After each chunk ``engine.state.output`` is that chunk's loss;
    the process function returns the mean loss over the chunks.

    Args:
        model: the model to train.
        optimizer: the optimizer.
        loss_fn: the loss function.
        tbtt_step: chunk length in time steps (the last chunk may be shorter).
        dim: the time dimension of ``x`` and ``y``.
        device: where batches are moved (the model is moved by the user).
        non_blocking: asynchronous host-to-device copies where possible.
        prepare_batch: ``(batch, device, non_blocking) -> (x, y)`` applied to each chunk.

    Example::

        trainer = create_supervised_tbptt_trainer(rnn, optimizer, nn.MSELoss(), tbtt_step=5)
        trainer.run([(x, y)])  # x, y: (time, batch, features)
    """

    def _update(engine: Engine, batch: Sequence[torch.Tensor]) -> float:
        losses = []
        hidden = None
        x, y = batch
        for chunk in zip(x.split(tbtt_step, dim=dim), y.split(tbtt_step, dim=dim)):
            x_t, y_t = prepare_batch(chunk, device=device, non_blocking=non_blocking)
            engine.fire_event(Tbptt_Events.TIME_ITERATION_STARTED)
            model.train()
            optimizer.zero_grad()
            if hidden is None:
                y_pred_t, hidden = model(x_t)
            else:
                y_pred_t, hidden = model(x_t, _detach_hidden(hidden))
            loss_t = loss_fn(y_pred_t, y_t)
            loss_t.backward()
            optimizer.step()
            engine.state.output = loss_t.item()  # handlers of the chunk event read it
            losses.append(engine.state.output)
            engine.fire_event(Tbptt_Events.TIME_ITERATION_COMPLETED)
        return sum(losses) / len(losses)

    engine = Engine(_update)
    engine.register_events(*Tbptt_Events)
    return engine
