"""What the handlers of every experiment-tracking logger share (tensorboard, clearml,
neptune, mlflow, wandb, visdom, polyaxon): the tag prefix, the values and checked global
step of an output handler, the named values of an optimizer params handler and the tensors
a weights / grads handler reports. Each backend keeps only its own write calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oxignite.engine import Engine


def tag_prefix(tag: str | None, sep: str = "/") -> str:
    """``"{tag}{sep}"``, or ``""`` without a tag."""
    return f"{tag}{sep}" if tag else ""


def checked_global_step(handler: Any, engine: Engine, event_name: Any) -> int:
    """``handler.global_step_transform(engine, event_name)``, which must be an int."""
    global_step = handler.global_step_transform(engine, event_name)
    if not isinstance(global_step, int):
        raise TypeError(
            f"global_step must be int, got {type(global_step)}. "
            "Please check the output of global_step_transform."
        )
    return global_step


def param_tensors(
    params: Any, grads: bool, skip_no_grad: bool | None = None
) -> Iterator[tuple[str, Any]]:
    """``(name, p.data)``, or ``(name, p.grad)`` when ``grads``, of the ``(name, p)`` pairs.
    Parameters without a gradient are skipped when reporting gradients, or when
    ``skip_no_grad`` says so (neptune's weights handler, as in ignite)."""
    skip = grads if skip_no_grad is None else skip_no_grad
    for name, p in params:
        if skip and p.grad is None:
            continue
        yield name, (p.grad if grads else p.data)


def reduced_key(handler: Any, grads: bool, name: str) -> str:
    """``"{tag}/{weights|grads}_{reduction}/{name}"``, dots of the name made slashes."""
    kind = "grads" if grads else "weights"
    return f"{tag_prefix(handler.tag)}{kind}_{handler.reduction.__name__}/{name.replace('.', '/')}"


def output_metrics_at_step(
    handler: Any, engine: Engine, event_name: Any, key_tuple: bool = True
) -> tuple[dict, int]:
    """The values an output handler logs and the checked global step, computed in
    ignite's order (values first, so a bad output fails before a bad step)."""
    metrics = handler._setup_output_metrics_state_attrs(engine, key_tuple=key_tuple)
    return metrics, checked_global_step(handler, engine, event_name)


def optimizer_param_values(handler: Any, sep: str = "/") -> Iterator[tuple[str, float]]:
    """``("{tag}{sep}{param_name}{sep}group_{i}", value)`` of each param group of an
    optimizer params handler, lazily (a backend writing one by one writes the groups
    before a failing one, as ignite's loop does)."""
    prefix = tag_prefix(handler.tag, sep)
    name = handler.param_name
    for i, group in enumerate(handler.optimizer.param_groups):
        yield f"{prefix}{name}{sep}group_{i}", float(group[name])
