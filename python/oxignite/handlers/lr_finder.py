"""FastaiLRFinder: the learning-rate range test (Leslie Smith, popularised by fastai).

Within ``with lr_finder.attach(trainer, to_save) as trainer_with_finder:`` a run raises the
learning rate every iteration (exponentially or linearly) from ``start_lr`` to ``end_lr``
and records the (smoothed) loss, stopping when it diverges. On leaving the block the trainer
and everything in ``to_save`` (model, optimizer, ...) are restored to their state before.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from math import ceil
from pathlib import Path
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler as PyTorchLRScheduler

from oxignite.engine import Engine, Events
from oxignite.handlers.checkpoint import Checkpoint
from oxignite.handlers.param_scheduler import LRScheduler, ParamGroupScheduler, PiecewiseLinear

__all__ = ["FastaiLRFinder"]

_OUTPUT_TRANSFORM_EXAMPLE = "".join(
    # Indented as in ignite's message, which users may match on.
    f"\n{' ' * 20}{line}"
    for line in (
        "lr_finder = FastaiLRFinder()",
        (
            'with lr_finder.attach(trainer, output_transform=lambda x:x["train_loss"]) '
            "as trainer_with_lr_finder:"
        ),
        "    trainer_with_lr_finder.run(dataloader_train)",
        "",
    )
)


class FastaiLRFinder:
    """Learning-rate range test.

    Example::

        lr_finder = FastaiLRFinder()
        to_save = {"model": model, "optimizer": optimizer}
        with lr_finder.attach(trainer, to_save=to_save) as trainer_with_lr_finder:
            trainer_with_lr_finder.run(dataloader)

        lr_finder.get_results()          # {"lr": [...], "loss": [...]}
        lr_finder.lr_suggestion()        # lr at the steepest descent of the loss
        lr_finder.apply_suggested_lr(optimizer)
        trainer.run(dataloader)          # model, optimizer and trainer were restored
    """

    _lr_schedule: Any

    def __init__(self) -> None:
        self._diverge_flag = False
        self._history: dict[str, list[Any]] = {}
        self._best_loss: float | None = None
        self.logger = logging.getLogger(f"{__name__}.{type(self).__name__}")

    def _run(
        self,
        trainer: Engine,
        optimizer: Optimizer,
        output_transform: Callable,
        num_iter: int | None,
        start_lrs: list[float],
        end_lrs: list[float],
        step_mode: str,
        smooth_f: float,
        diverge_th: float,
    ) -> None:
        self._history = {"lr": [], "loss": []}
        self._best_loss = None
        self._diverge_flag = False

        planned = trainer.state.epoch_length * trainer.state.max_epochs
        if num_iter is None:
            num_iter = planned
        elif planned < num_iter:
            # Run long enough for num_iter iterations.
            trainer.state.max_iters = num_iter
            trainer.state.max_epochs = ceil(num_iter / trainer.state.epoch_length)

        if not trainer.has_event_handler(self._reached_num_iterations):
            trainer.add_event_handler(
                Events.ITERATION_COMPLETED, self._reached_num_iterations, num_iter
            )
        if not trainer.has_event_handler(self._log_lr_and_loss):
            trainer.add_event_handler(
                Events.ITERATION_COMPLETED,
                self._log_lr_and_loss,
                output_transform,
                smooth_f,
                diverge_th,
            )
        self.logger.debug(f"Running LR finder for {num_iter} iterations")

        if step_mode.lower() == "exp":
            self._lr_schedule = LRScheduler(_ExponentialLR(optimizer, start_lrs, end_lrs, num_iter))
        elif len(start_lrs) == 1:
            self._lr_schedule = PiecewiseLinear(
                optimizer,
                param_name="lr",
                milestones_values=[(0, start_lrs[0]), (num_iter, end_lrs[0])],
            )
        else:
            self._lr_schedule = ParamGroupScheduler(
                [
                    PiecewiseLinear(
                        optimizer,
                        param_name="lr",
                        milestones_values=[(0, start_lrs[i]), (num_iter, end_lrs[i])],
                        param_group_index=i,
                    )
                    for i in range(len(optimizer.param_groups))
                ]
            )
        if not trainer.has_event_handler(self._lr_schedule):
            trainer.add_event_handler(Events.ITERATION_COMPLETED, self._lr_schedule, num_iter)

    def _reset(self, trainer: Engine) -> None:
        self.logger.debug("Completed LR finder run")
        trainer.remove_event_handler(self._lr_schedule, Events.ITERATION_COMPLETED)
        trainer.remove_event_handler(self._log_lr_and_loss, Events.ITERATION_COMPLETED)
        trainer.remove_event_handler(self._reached_num_iterations, Events.ITERATION_COMPLETED)

    @staticmethod
    def _loss_value(loss: Any) -> float:
        if isinstance(loss, float):
            return loss
        if isinstance(loss, torch.Tensor):
            if loss.ndimension() == 0 or (loss.ndimension() == 1 and len(loss) == 1):
                return loss.item()
            raise ValueError(
                "if output of the engine is torch.Tensor, then "
                "it must be 0d torch.Tensor or 1d torch.Tensor with 1 element, "
                f"but got torch.Tensor of shape {loss.shape}."
            )
        raise TypeError(
            "output of the engine should be of type float or 0d torch.Tensor "
            "or 1d torch.Tensor with 1 element, "
            f"but got output of type {type(loss).__name__}"
            "You may wish to use the output_transform kwarg with the attach method e.g.\n"
            f"{_OUTPUT_TRANSFORM_EXAMPLE}"
        )

    def _log_lr_and_loss(
        self, trainer: Engine, output_transform: Callable, smooth_f: float, diverge_th: float
    ) -> None:
        from oxignite.distributed import all_reduce

        loss = all_reduce(self._loss_value(output_transform(trainer.state.output)))
        self._history["lr"].append(self._lr_schedule.get_param())
        if trainer.state.iteration != 1 and smooth_f > 0:
            loss = smooth_f * loss + (1 - smooth_f) * self._history["loss"][-1]
        if self._best_loss is None or loss < self._best_loss:
            self._best_loss = loss
        self._history["loss"].append(loss)

        if loss > diverge_th * self._best_loss:
            self._diverge_flag = True
            self.logger.info("Stopping early, the loss has diverged")
            trainer.terminate()

    def _reached_num_iterations(self, trainer: Engine, num_iter: int) -> None:
        if trainer.state.iteration > num_iter:
            trainer.terminate()

    def _warning(self, _: Any) -> None:
        if not self._diverge_flag:
            warnings.warn(
                "Run completed without loss diverging, increase end_lr, decrease diverge_th or "
                "look at lr_finder.plot()",
                UserWarning,
            )

    def _detach(self, trainer: Engine) -> None:
        for handler, event in (
            (self._run, Events.STARTED),
            (self._warning, Events.COMPLETED),
            (self._reset, Events.COMPLETED),
        ):
            if trainer.has_event_handler(handler, event):
                trainer.remove_event_handler(handler, event)

    def get_results(self) -> dict[str, list[Any]]:
        """``{"lr": [...], "loss": [...]}`` of the last run (losses smoothed)."""
        return self._history

    def plot(
        self,
        skip_start: int = 10,
        skip_end: int = 5,
        log_lr: bool = True,
        display_suggestion: bool = True,
        ax: Any | None = None,
        **kwargs: Any,
    ) -> Any:
        """Plot loss against learning rate with matplotlib (marking the suggestion), leaving
        out ``skip_start`` first and ``skip_end`` last points; ``kwargs`` go to
        ``plt.subplots`` when no ``ax`` is given."""
        try:
            from matplotlib import pyplot as plt
        except ImportError:
            raise ModuleNotFoundError(
                "This method requires matplotlib to be installed. "
                "Please install it with command: \n pip install matplotlib"
            ) from None
        if not self._history:
            raise RuntimeError("learning rate finder didn't run yet so results can't be plotted")
        if skip_start < 0:
            raise ValueError("skip_start cannot be negative")
        if skip_end < 0:
            raise ValueError("skip_end cannot be negative")

        lrs, losses = self._history["lr"], self._history["loss"]
        num_groups = len(lrs[0]) if isinstance(lrs[0], list) else 1
        legends = [f"suggested lr for param_groups {i}" for i in range(num_groups)]
        if ax is None:
            _, ax = plt.subplots(**kwargs)

        if display_suggestion:
            suggestion = self.lr_suggestion()
            idx = lrs.index(suggestion)
            if skip_start >= idx:
                warnings.warn(
                    "skip_start is larger than the suggested LR found"
                    " and it will not be visible on the plot. Please, make the value smaller.",
                    UserWarning,
                )
            suggested = suggestion if isinstance(suggestion, list) else [suggestion]
            for lr in suggested:
                ax.scatter(
                    lr,
                    losses[idx],
                    color="red" if len(suggested) == 1 else None,
                    s=75,
                    marker="o",
                    zorder=3,
                )

        end = len(lrs) - skip_end
        lrs, losses = lrs[skip_start:end], losses[skip_start:end]
        plt.legend(legends)
        ax.plot(lrs, losses)
        if log_lr:
            ax.set_xscale("log")
        lr_min = min(lrs[0]) if isinstance(lrs[0], list) else lrs[0]
        lr_max = max(lrs[-1]) if isinstance(lrs[-1], list) else lrs[-1]
        ax.set_xlim([lr_min, lr_max])
        ax.set_xlabel("Learning rate")
        ax.set_ylabel("Loss")
        plt.show()
        return ax

    def lr_suggestion(self) -> Any:
        """The learning rate where the loss falls fastest (steepest negative central
        difference), looking only at the curve up to its minimum."""
        if not self._history:
            raise RuntimeError(
                "learning rate finder didn't run yet so lr_suggestion can't be returned"
            )
        losses_all = self._history["loss"]
        lowest = int(torch.tensor(losses_all).argmin().item())
        losses = torch.tensor(losses_all[: lowest + 1])
        if len(losses) < 3:
            raise RuntimeError(
                "FastaiLRFinder got unexpected curve shape, the curve should be somehow U-shaped, "
                "please decrease start_lr or increase end_lr to resolve this issue."
            )
        grads = 0.5 * (losses[2:] - losses[:-2])
        return self._history["lr"][int(grads.argmin()) + 1]

    def apply_suggested_lr(self, optimizer: Optimizer) -> None:
        """Set each param group's ``lr`` of ``optimizer`` to the suggestion."""
        suggestion = self.lr_suggestion()
        suggested = suggestion if isinstance(suggestion, list) else [suggestion]
        if len(suggested) != len(optimizer.param_groups):
            raise RuntimeError(
                "The number of parameter groups does not match between "
                "given optimizer and the one used for estimating the "
                f"learning rate: {len(suggested)} vs {len(optimizer.param_groups)}"
            )
        for group, lr in zip(optimizer.param_groups, suggested):
            group["lr"] = lr

    @staticmethod
    def _lrs_arg(value: Any, name: str, optimizer: Optimizer) -> list[float]:
        n_groups = len(optimizer.param_groups)
        if isinstance(value, float):
            return [value] * n_groups
        if isinstance(value, list):
            if len(value) != n_groups:
                raise ValueError(
                    f"Number of values of {name} should be equal to optimizer values."
                    f"{name} values:{len(value)} optimizer values: {n_groups}"
                )
            return value
        raise TypeError(f"{name} should be a float or list of floats, but given {type(value)}")

    @contextlib.contextmanager
    def attach(
        self,
        trainer: Engine,
        to_save: Mapping,
        output_transform: Callable = lambda output: output,
        num_iter: int | None = None,
        start_lr: float | list[float] | None = None,
        end_lr: float | list[float] | None = 10.0,
        step_mode: str = "exp",
        smooth_f: float = 0.05,
        diverge_th: float = 5.0,
    ) -> Iterator[Engine]:
        """Context manager running the range test inside its block; see the class example.

        Args:
            trainer: the trainer.
            to_save: objects with ``state_dict``/``load_state_dict`` to restore afterwards;
                must contain the torch optimizer under ``"optimizer"``.
            output_transform: maps the trainer's output to the loss (float or one-element
                tensor).
            num_iter: iterations of the test (default: the whole run).
            start_lr: first learning rate(s) (default: the optimizer's).
            end_lr: last learning rate(s).
            step_mode: ``"exp"`` or ``"linear"``.
            smooth_f: loss smoothing factor in [0, 1).
            diverge_th: stop when the loss exceeds ``diverge_th`` times the best loss.
        """
        if not isinstance(to_save, Mapping):
            raise TypeError(f"Argument to_save should be a mapping, but given {type(to_save)}")
        Checkpoint._check_objects(to_save, "state_dict")
        Checkpoint._check_objects(to_save, "load_state_dict")
        if "optimizer" not in to_save:
            raise ValueError("Mapping to_save should contain 'optimizer' key")
        optimizer = to_save["optimizer"]
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "Object to_save['optimizer'] should be torch optimizer, "
                f"but given {type(optimizer)}"
            )
        if smooth_f < 0 or smooth_f >= 1:
            raise ValueError("smooth_f is outside the range [0, 1]")
        if diverge_th < 1:
            raise ValueError("diverge_th should be larger than 1")
        if step_mode not in ["exp", "linear"]:
            raise ValueError(f"step_mode should be 'exp' or 'linear', but given {step_mode}")
        if num_iter is not None:
            if not isinstance(num_iter, int):
                raise TypeError(f"if provided, num_iter should be an integer, but give {num_iter}")
            if num_iter <= 0:
                raise ValueError(f"if provided, num_iter should be positive, but give {num_iter}")

        if start_lr is None:
            start_lrs = [group["lr"] for group in optimizer.param_groups]
        else:
            start_lrs = self._lrs_arg(start_lr, "start_lr", optimizer)
        end_lrs = self._lrs_arg(end_lr, "end_lr", optimizer)
        for start, end in zip(start_lrs, end_lrs):
            if start >= end:
                raise ValueError(
                    f"start_lr must be less than end_lr, start_lr={start_lr} vs end_lr={end_lr}"
                )

        with tempfile.TemporaryDirectory() as tmpdir:
            # Snapshot on disk (not in memory): the objects may be large and live on a device.
            snapshot = {k: obj.state_dict() for k, obj in to_save.items()}
            snapshot["trainer"] = trainer.state_dict()
            cache = Path(tmpdir) / "ignite_lr_finder_cache.pt"
            torch.save(snapshot, cache.as_posix())

            if not trainer.has_event_handler(self._run):
                trainer.add_event_handler(
                    Events.STARTED,
                    self._run,
                    optimizer,
                    output_transform,
                    num_iter,
                    start_lrs,
                    end_lrs,
                    step_mode,
                    smooth_f,
                    diverge_th,
                )
            if not trainer.has_event_handler(self._warning):
                trainer.add_event_handler(Events.COMPLETED, self._warning)
            if not trainer.has_event_handler(self._reset):
                trainer.add_event_handler(Events.COMPLETED, self._reset)

            yield trainer
            self._detach(trainer)

            snapshot = torch.load(cache.as_posix(), weights_only=True)
            trainer.load_state_dict(snapshot["trainer"])
            for k, state in snapshot.items():
                if k in to_save:
                    to_save[k].load_state_dict(state)


class _ExponentialLR(PyTorchLRScheduler):
    """Learning rate growing geometrically from ``start_lrs`` to ``end_lrs`` over
    ``num_iter`` steps."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_lrs: list[float],
        end_lrs: list[float],
        num_iter: int,
        last_epoch: int = -1,
    ):
        self.end_lrs = end_lrs
        self.num_iter = num_iter
        super().__init__(optimizer, last_epoch)
        self.base_lrs = start_lrs  # the range starts at start_lrs, not at the optimizer's lr

    def get_lr(self) -> list[float]:
        r = (self.last_epoch + 1) / self.num_iter
        return [base * (end / base) ** r for end, base in zip(self.end_lrs, self.base_lrs)]
