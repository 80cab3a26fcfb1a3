"""Factories for supervised training/evaluation engines, with ignite's signatures.

``create_supervised_trainer`` and ``create_supervised_evaluator`` build an
:class:`~oxignite.engine.engine.Engine` around a process function made by one of the
``supervised_*_step`` factories. The training steps differ only in how the forward pass is
wrapped (autocast or not) and how backward/optimizer steps are done (plain, GradScaler, apex,
XLA), so they share :func:`_make_training_step`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from oxignite.engine.deterministic import DeterministicEngine
from oxignite.engine.engine import Engine
from oxignite.utils import convert_tensor

if TYPE_CHECKING:
    from oxignite.metrics import Metric

__all__ = [
    "create_supervised_evaluator",
    "create_supervised_trainer",
    "supervised_evaluation_step",
    "supervised_evaluation_step_amp",
    "supervised_training_step",
    "supervised_training_step_amp",
    "supervised_training_step_apex",
    "supervised_training_step_tpu",
]


def _default_model_fn(model: torch.nn.Module, x: Any) -> Any:
    return model(x)


def _identity(output: Any) -> Any:
    return output


def _loss_item(x: Any, y: Any, y_pred: Any, loss: torch.Tensor) -> Any:
    return loss.item()


def _pred_and_target(x: Any, y: Any, y_pred: Any) -> Any:
    return y_pred, y


def _prepare_batch(
    batch: Sequence[Any], device: str | torch.device | None = None, non_blocking: bool = False
) -> tuple[Any, Any]:
    """Split ``batch`` into ``(x, y)`` and move both to ``device``.

    Example::

        x, y = _prepare_batch((torch.rand(4, 3), torch.rand(4)), device="cpu")
    """
    x, y = batch
    if device is None and isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
        # What convert_tensor returns for tensors left where they are, without its dispatch.
        return x, y
    return (
        convert_tensor(x, device=device, non_blocking=non_blocking),
        convert_tensor(y, device=device, non_blocking=non_blocking),
    )


def _autocast_device_type(device: str | torch.device | None) -> str:
    # ignite always autocasts for CUDA; we follow the model's device so "amp" also works
    # (with bfloat16) on CPU-only machines.
    if device is not None:
        return torch.device(device).type
    return "cuda" if torch.cuda.is_available() else "cpu"


def _check_accumulation(gradient_accumulation_steps: int) -> None:
    if gradient_accumulation_steps <= 0:
        raise ValueError(
            "Gradient_accumulation_steps must be strictly positive. "
            "No gradient accumulation if the value set to one (default)."
        )


def _make_training_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    device: str | torch.device | None,
    non_blocking: bool,
    prepare_batch: Callable,
    model_transform: Callable[[Any], Any],
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any],
    gradient_accumulation_steps: int,
    model_fn: Callable[[torch.nn.Module, Any], Any],
    forward_context: Callable[[], Any] | None = None,
    backward: Callable[[torch.Tensor], None] | None = None,
    optimizer_step: Callable[[], None] | None = None,
) -> Callable:
    """Process function shared by all training steps.

    Gradients are zeroed on the first iteration of each accumulation window and the optimizer
    steps on its last; the loss is divided by the window size for backward, and the reported
    loss is ``divided * window`` (ignite's arithmetic, so the same float).

    ``forward_context`` wraps forward and loss (autocast), ``backward(loss)`` replaces
    ``loss.backward()`` and ``optimizer_step()`` replaces ``optimizer.step()``; ``None`` means
    the plain call. ``optimizer.step`` and ``loss.backward`` are looked up at each call, as
    ignite does, so wrappers installed later (an LR scheduler's step counter) take effect.
    """
    _check_accumulation(gradient_accumulation_steps)
    if (
        gradient_accumulation_steps == 1
        and forward_context is None
        and backward is None
        and optimizer_step is None
    ):
        return _plain_training_step(
            model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
            output_transform, model_fn,
        )  # fmt: skip

    steps = gradient_accumulation_steps
    accumulate = steps > 1
    context = forward_context if forward_context is not None else contextlib.nullcontext

    def update(engine: Engine, batch: Sequence[torch.Tensor]) -> Any:
        iteration = engine.state.iteration if accumulate else 1
        if (iteration - 1) % steps == 0:
            optimizer.zero_grad()
        model.train()
        x, y = prepare_batch(batch, device=device, non_blocking=non_blocking)
        with context():
            output = model_fn(model, x)
            y_pred = model_transform(output)
            loss = loss_fn(y_pred, y)
            if accumulate:
                loss = loss / steps
        if backward is None:
            loss.backward()
        else:
            backward(loss)
        if iteration % steps == 0:
            if optimizer_step is None:
                optimizer.step()
            else:
                optimizer_step()
        # ``loss * 1`` would only add an autograd node (~7 us on CPU) for the same value.
        return output_transform(x, y, y_pred, loss * steps if accumulate else loss)

    return update


def _plain_training_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    device: str | torch.device | None,
    non_blocking: bool,
    prepare_batch: Callable,
    model_transform: Callable[[Any], Any],
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any],
    model_fn: Callable[[torch.nn.Module, Any], Any],
) -> Callable:
    """The default step (no accumulation, no AMP): exactly what a hand-written loop does."""

    def update(engine: Engine, batch: Sequence[torch.Tensor]) -> Any:
        optimizer.zero_grad()
        model.train()
        x, y = prepare_batch(batch, device=device, non_blocking=non_blocking)
        output = model_fn(model, x)
        y_pred = model_transform(output)
        loss = loss_fn(y_pred, y)
        loss.backward()
        optimizer.step()
        return output_transform(x, y, y_pred, loss)

    return update


def supervised_training_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor] | torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any] = _loss_item,
    gradient_accumulation_steps: int = 1,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Callable:
    """Process function for supervised training: forward, loss, backward, optimizer step.

    Returns ``output_transform(x, y, y_pred, loss)`` (by default ``loss.item()``).

    Example::

        from oxignite.engine import Engine, supervised_training_step

        update_fn = supervised_training_step(model, optimizer, loss_fn, "cpu")
        trainer = Engine(update_fn)
    """
    return _make_training_step(
        model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
        output_transform, gradient_accumulation_steps, model_fn,
    )  # fmt: skip


def supervised_training_step_amp(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor] | torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any] = _loss_item,
    scaler: torch.amp.GradScaler | None = None,
    gradient_accumulation_steps: int = 1,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Callable:
    """Like :func:`supervised_training_step`, with the forward pass under ``torch.autocast``
    for ``device``'s type, and backward/step through ``scaler`` (a ``GradScaler``) if given.

    Example::

        scaler = torch.amp.GradScaler("cuda")
        update_fn = supervised_training_step_amp(model, optimizer, loss_fn, "cuda", scaler=scaler)
    """
    autocast = _import_autocast()
    device_type = _autocast_device_type(device)

    def forward_context() -> Any:
        return autocast(device_type, enabled=True)

    if scaler is None:
        return _make_training_step(
            model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
            output_transform, gradient_accumulation_steps, model_fn, forward_context,
        )  # fmt: skip

    def backward(loss: torch.Tensor) -> None:
        scaler.scale(loss).backward()

    def optimizer_step() -> None:
        scaler.step(optimizer)
        scaler.update()

    return _make_training_step(
        model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
        output_transform, gradient_accumulation_steps, model_fn, forward_context, backward,
        optimizer_step,
    )  # fmt: skip


def supervised_training_step_apex(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor] | torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any] = _loss_item,
    gradient_accumulation_steps: int = 1,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Callable:
    """Training step using NVIDIA apex's loss scaling (``apex`` must be installed and the
    model/optimizer initialized with ``apex.amp.initialize``).

    Example::

        model, optimizer = apex.amp.initialize(model, optimizer, opt_level="O1")
        update_fn = supervised_training_step_apex(model, optimizer, loss_fn, "cuda")
    """
    try:
        from apex import amp as apex_amp
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "Please install apex from https://github.com/nvidia/apex to use amp_mode='apex'."
        ) from None

    def backward(loss: torch.Tensor) -> None:
        with apex_amp.scale_loss(loss, optimizer) as scaled_loss:
            scaled_loss.backward()

    return _make_training_step(
        model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
        output_transform, gradient_accumulation_steps, model_fn, backward=backward,
    )  # fmt: skip


def supervised_training_step_tpu(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor] | torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any] = _loss_item,
    gradient_accumulation_steps: int = 1,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Callable:
    """Training step for XLA devices (``torch_xla`` must be installed).

    Example::

        update_fn = supervised_training_step_tpu(model, optimizer, loss_fn, "xla")
    """
    try:
        import torch_xla.core.xla_model as xm
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "torch_xla cannot be imported, please install PyTorch XLA."
        ) from None

    def optimizer_step() -> None:
        xm.optimizer_step(optimizer, barrier=True)

    return _make_training_step(
        model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
        output_transform, gradient_accumulation_steps, model_fn, optimizer_step=optimizer_step,
    )  # fmt: skip


def _import_autocast() -> Callable:
    try:
        from torch.amp import autocast
    except ImportError:
        raise ImportError("Please install torch>=1.12.0 to use amp_mode='amp'.") from None
    return autocast


def _engine_package_attr(name: str) -> Any:
    """``oxignite.engine.<name>``: the factories below look their step builders up there, as
    ignite's do in ``ignite.engine``, so patching the public name (as ignite's own tests do)
    reaches them. Once per factory call, never per iteration."""
    return getattr(sys.modules["oxignite.engine"], name)


def _check_arg(
    on_tpu: bool, on_mps: bool, amp_mode: str | None, scaler: bool | Any
) -> tuple[str | None, Any]:
    """Validate ``amp_mode``/``scaler``; return the mode to use and the GradScaler (or None)."""
    if amp_mode not in (None, "amp", "apex"):
        raise ValueError(f"amp_mode should be None, 'amp' or 'apex', got {amp_mode!r}")
    if on_mps and amp_mode:
        raise ValueError(
            "amp_mode cannot be used with mps device. "
            "Consider using amp_mode=None or device='cuda'."
        )
    if on_tpu:
        import oxignite.distributed as idist

        if not idist.has_xla_support:
            raise RuntimeError("In order to run on TPU, please install PyTorch XLA")
        if amp_mode:
            raise ValueError(
                "amp_mode cannot be used with xla device. "
                "Consider using amp_mode=None or device='cuda'."
            )
    if scaler and amp_mode != "amp":
        raise ValueError(
            f"scaler argument is {scaler}, but amp_mode is {amp_mode}. Consider using amp_mode='amp'."
        )
    if scaler is True:
        try:
            from torch.amp import GradScaler  # noqa: F401 - only checks it exists (torch>=2.3.1)
        except ImportError:
            raise ImportError("Please install torch>=2.3.1 to use scaler argument.") from None
    if on_tpu:
        return "tpu", None
    return amp_mode, (scaler or None)


def create_supervised_trainer(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor] | torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any, torch.Tensor], Any] = _loss_item,
    deterministic: bool = False,
    amp_mode: str | None = None,
    scaler: bool | torch.amp.GradScaler = False,
    gradient_accumulation_steps: int = 1,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Engine:
    """Engine that trains ``model`` with ``optimizer`` on ``loss_fn(model(x), y)``.

    Args:
        model: the model (already moved to ``device``).
        optimizer: the optimizer.
        loss_fn: loss function or module.
        device: where batches are moved by ``prepare_batch`` (default: left as they are).
        non_blocking: asynchronous host-to-device copies.
        prepare_batch: ``(batch, device, non_blocking) -> (x, y)``.
        model_transform: applied to the model output to get ``y_pred``.
        output_transform: ``(x, y, y_pred, loss) -> engine.state.output`` (default loss value).
        deterministic: return a :class:`~oxignite.engine.deterministic.DeterministicEngine`
            (reproducible dataflow, exact resume from a checkpoint at any iteration).
        amp_mode: ``None``, ``"amp"`` (``torch.autocast`` for the device's type, optional
            GradScaler) or ``"apex"`` (NVIDIA apex, must be installed).
        scaler: with ``amp_mode="amp"``: ``True`` creates a ``torch.amp.GradScaler`` stored as
            ``trainer.state.scaler``, or pass your own GradScaler.
        gradient_accumulation_steps: optimizer step every this many iterations.
        model_fn: ``(model, x) -> output`` (default ``model(x)``).

    Example::

        from oxignite.engine import create_supervised_trainer

        trainer = create_supervised_trainer(model, optimizer, torch.nn.functional.cross_entropy)
        trainer.run(train_loader, max_epochs=5)
    """
    device_type = torch.device(device).type if device is not None else None
    on_tpu = device_type == "xla"
    on_mps = device_type == "mps"
    mode, _scaler = _engine_package_attr("_check_arg")(on_tpu, on_mps, amp_mode, scaler)
    if _scaler is True:
        _scaler = torch.amp.GradScaler(_autocast_device_type(device), enabled=True)

    args = (model, optimizer, loss_fn, device, non_blocking, prepare_batch, model_transform,
            output_transform)  # fmt: skip
    tail = {"gradient_accumulation_steps": gradient_accumulation_steps, "model_fn": model_fn}
    if mode == "amp":
        update = _engine_package_attr("supervised_training_step_amp")(*args, scaler=_scaler, **tail)
    elif mode == "apex":
        update = _engine_package_attr("supervised_training_step_apex")(*args, **tail)
    elif mode == "tpu":
        update = _engine_package_attr("supervised_training_step_tpu")(*args, **tail)
    else:
        update = _engine_package_attr("supervised_training_step")(*args, **tail)

    trainer = DeterministicEngine(update) if deterministic else Engine(update)
    if _scaler is not None and scaler is True:
        # Give handlers (e.g. checkpointing) access to the scaler created here.
        trainer.state.scaler = _scaler
    return trainer


def supervised_evaluation_step(
    model: torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any], Any] = _pred_and_target,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Callable:
    """Process function for evaluation: ``model.eval()``, forward under ``torch.no_grad()``;
    returns ``output_transform(x, y, y_pred)`` (default ``(y_pred, y)``, what metrics expect).

    Example::

        from oxignite.engine import Engine, supervised_evaluation_step

        evaluator = Engine(supervised_evaluation_step(model, device="cpu"))
    """
    return _make_evaluation_step(
        model, device, non_blocking, prepare_batch, model_transform, output_transform, model_fn
    )


def supervised_evaluation_step_amp(
    model: torch.nn.Module,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any], Any] = _pred_and_target,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Callable:
    """Like :func:`supervised_evaluation_step`, with the forward pass under ``torch.autocast``.

    Example::

        evaluator = Engine(supervised_evaluation_step_amp(model, device="cuda"))
    """
    autocast = _import_autocast()
    device_type = _autocast_device_type(device)

    def forward_context() -> Any:
        return autocast(device_type, enabled=True)

    return _make_evaluation_step(
        model, device, non_blocking, prepare_batch, model_transform, output_transform, model_fn,
        forward_context,
    )  # fmt: skip


def _make_evaluation_step(
    model: torch.nn.Module,
    device: str | torch.device | None,
    non_blocking: bool,
    prepare_batch: Callable,
    model_transform: Callable[[Any], Any],
    output_transform: Callable[[Any, Any, Any], Any],
    model_fn: Callable[[torch.nn.Module, Any], Any],
    forward_context: Callable[[], Any] | None = None,
) -> Callable:
    if forward_context is None:

        def evaluate_step(engine: Engine, batch: Sequence[torch.Tensor]) -> Any:
            model.eval()
            with torch.no_grad():
                x, y = prepare_batch(batch, device=device, non_blocking=non_blocking)
                y_pred = model_transform(model_fn(model, x))
                return output_transform(x, y, y_pred)

        return evaluate_step

    def evaluate_step_in_context(engine: Engine, batch: Sequence[torch.Tensor]) -> Any:
        model.eval()
        with torch.no_grad():
            x, y = prepare_batch(batch, device=device, non_blocking=non_blocking)
            with forward_context():
                output = model_fn(model, x)
                y_pred = model_transform(output)
            return output_transform(x, y, y_pred)

    return evaluate_step_in_context


def create_supervised_evaluator(
    model: torch.nn.Module,
    metrics: dict[str, Metric] | None = None,
    device: str | torch.device | None = None,
    non_blocking: bool = False,
    prepare_batch: Callable = _prepare_batch,
    model_transform: Callable[[Any], Any] = _identity,
    output_transform: Callable[[Any, Any, Any], Any] = _pred_and_target,
    amp_mode: str | None = None,
    model_fn: Callable[[torch.nn.Module, Any], Any] = _default_model_fn,
) -> Engine:
    """Engine that runs ``model`` over data and computes ``metrics`` (attached epoch-wise).

    Args:
        model: the model.
        metrics: ``{name: Metric}``; values land in ``evaluator.state.metrics[name]``.
        device: as in :func:`create_supervised_trainer`.
        non_blocking: as in :func:`create_supervised_trainer`.
        prepare_batch: as in :func:`create_supervised_trainer`.
        model_transform: as in :func:`create_supervised_trainer`.
        model_fn: as in :func:`create_supervised_trainer`.
        output_transform: ``(x, y, y_pred) -> engine.state.output`` (default ``(y_pred, y)``).
        amp_mode: ``None`` or ``"amp"`` (forward under ``torch.autocast``).

    Example::

        from oxignite.engine import create_supervised_evaluator
        from oxignite.metrics import Accuracy

        evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy()})
        print(evaluator.run(val_loader).metrics["accuracy"])
    """
    device_type = torch.device(device).type if device is not None else None
    mode, _ = _engine_package_attr("_check_arg")(
        device_type == "xla", device_type == "mps", amp_mode, None
    )
    step_args = (model, device, non_blocking, prepare_batch, model_transform, output_transform,
                 model_fn)  # fmt: skip
    if mode == "amp":
        evaluate_step = _engine_package_attr("supervised_evaluation_step_amp")(*step_args)
    else:
        evaluate_step = _engine_package_attr("supervised_evaluation_step")(*step_args)

    evaluator = Engine(evaluate_step)
    for name, metric in (metrics or {}).items():
        metric.attach(evaluator, name)
    return evaluator
