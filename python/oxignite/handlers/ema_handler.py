"""EMAHandler: an exponential moving average of a model's weights, updated during training."""

from __future__ import annotations

import warnings
from copy import deepcopy
from typing import Any

from oxignite.engine import Engine, Events
from oxignite.handlers.state_param_scheduler import LambdaStateScheduler

__all__ = ["EMAHandler"]


class EMAWarmUp:
    """Momentum moving linearly from ``momentum_warmup`` to ``momentum`` over the first
    ``warmup_iters`` events, then staying at ``momentum``."""

    def __init__(self, momentum_warmup: float, warmup_iters: int, momentum: float) -> None:
        self.momentum_warmup = momentum_warmup
        self.warmup_iters = warmup_iters
        self.momentum = momentum

    def __call__(self, event_index: int) -> float:
        span = max(1, self.warmup_iters - 1)
        progress = (event_index - 1) / span
        current = self.momentum_warmup + (self.momentum - self.momentum_warmup) * progress
        # Clamp at the target whichever direction the warm-up goes.
        if self.momentum >= self.momentum_warmup:
            return min(self.momentum, current)
        return max(self.momentum, current)


class EMAHandler:
    r"""Keep ``ema_model``, a smoothed copy of ``model``:
    :math:`\theta_{EMA} \leftarrow (1 - \lambda)\,\theta_{EMA} + \lambda\,\theta`, with the
    momentum :math:`\lambda` in ``engine.state.<name>`` (``ema_momentum`` by default).

    Args:
        model: the online model (``model.module`` is used for DistributedDataParallel).
        momentum: the momentum after warm-up, in (0, 1).
        momentum_warmup: the momentum at the start of the warm-up (with ``warmup_iters``).
        warmup_iters: length of the warm-up, in update events.
        handle_buffers: ``"copy"`` (take the online model's buffers), ``"update"`` (average
            them too; integer buffers are copied) or ``"ema_train"`` (EMA model in train
            mode, buffers left to it).

    ``ema_model`` is in eval mode unless ``handle_buffers="ema_train"``.

    Example::

        model = nn.Linear(2, 1)
        ema_handler = EMAHandler(model, momentum=0.002, momentum_warmup=0.2, warmup_iters=100)
        ema_handler.attach(trainer, name="ema_momentum", event=Events.ITERATION_COMPLETED)
        evaluator = create_supervised_evaluator(ema_handler.ema_model, metrics=...)
    """

    def __init__(
        self,
        model: Any,
        momentum: float = 0.0002,
        momentum_warmup: float | None = None,
        warmup_iters: int | None = None,
        handle_buffers: str = "copy",
    ) -> None:
        from torch import nn

        if not 0 < momentum < 1:
            raise ValueError(f"Invalid momentum: {momentum}")
        self.momentum = momentum
        self._momentum_lambda_obj: EMAWarmUp | None = None
        if momentum_warmup is not None and warmup_iters is not None:
            self.momentum_scheduler: Any = None
            self._momentum_lambda_obj = EMAWarmUp(momentum_warmup, warmup_iters, momentum)

        if not isinstance(model, nn.Module):
            raise ValueError(  # noqa: TRY004 - same exception type as ignite
                "model should be an instance of nn.Module or its subclasses, but got"
                f"model: {model.__class__.__name__}"
            )
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        self.model = model
        self.ema_model = deepcopy(model)
        for param in self.ema_model.parameters():
            param.detach_()

        if handle_buffers not in ("copy", "update", "ema_train"):
            raise ValueError(
                "handle_buffers can only be one of 'copy', 'update', 'ema_train', "
                f"but got {handle_buffers}"
            )
        self.handle_buffers = handle_buffers
        self.ema_model.train(handle_buffers == "ema_train")

    def _update_ema_model(self, engine: Engine, name: str) -> None:
        momentum = getattr(engine.state, name)
        for ema_p, model_p in zip(self.ema_model.parameters(), self.model.parameters()):
            ema_p.mul_(1.0 - momentum).add_(model_p.data, alpha=momentum)

        if self.handle_buffers == "update":
            for ema_b, model_b in zip(self.ema_model.buffers(), self.model.buffers()):
                try:
                    ema_b.mul_(1.0 - momentum).add_(model_b.data, alpha=momentum)
                except RuntimeError:
                    # Integer buffers (e.g. num_batches_tracked) cannot be averaged: copy.
                    ema_b.data = model_b.data
        elif self.handle_buffers == "copy":
            for ema_b, model_b in zip(self.ema_model.buffers(), self.model.buffers()):
                ema_b.data = model_b.data

    def attach(
        self,
        engine: Engine,
        name: str = "ema_momentum",
        warn_if_exists: bool = True,
        event: Any = Events.ITERATION_COMPLETED,
    ) -> None:
        """Update the momentum (during warm-up) and then the EMA model at each ``event``.

        ``engine.state.<name>`` is created with ``momentum`` unless it exists already (after
        ``load_state_dict``, or set by another handler: a warning then, unless
        ``warn_if_exists=False``).
        """
        if hasattr(engine.state, name):
            if warn_if_exists:
                warnings.warn(
                    f"Attribute '{name}' already exists in Engine.state. It might because 1. "
                    f"the engine has loaded its state dict or 2. {name} is already created by "
                    f"other handlers. Turn off this warning by setting"
                    f"warn_if_exists to False.",
                    category=UserWarning,
                )
        else:
            setattr(engine.state, name, self.momentum)

        if self._momentum_lambda_obj is not None:
            # ignite schedules "ema_momentum" whatever ``name`` is; kept for parity.
            self.momentum_scheduler = LambdaStateScheduler(
                self._momentum_lambda_obj, param_name="ema_momentum"
            )
            self.momentum_scheduler.attach(engine, event)  # momentum first, then the weights
        engine.add_event_handler(event, self._update_ema_model, name)
