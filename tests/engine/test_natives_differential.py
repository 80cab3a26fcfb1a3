"""Differential, property-based tests of the core's natives (natives.rs, metric_store.rs,
metric_inputs.rs):
over generated sequences of process-function outputs (fresh and reused tensors, in-place
writes with and without a ``_version`` bump, NumPy views, float16 to int64, 0-d and larger,
NaN, ±inf, huge values, tensor subclasses, tensors requiring grad), pytorch-ignite 0.5.5,
oxignite with its natives on and oxignite with them off give the same observations.

Covered natives: ProgressBar's gate (the bar's text when each bar closes, and the last frame
where the redraws are deterministic), Timer (step counts and pause/resume structure; its
values are times: non-negative and consistent), RunningAverage's float path (``ema`` and
``publish``: ``state.metrics`` after every iteration), TerminateOnNan's finite check (the
iteration the run stops at), EpochMetric's store (``store_pair``: the stored batches) and
the metric input helpers (``is_tensor_pair``, ``detached_pair``, ``on_device``: the values of
Accuracy, MSE/MAE/RMSE, MeanPairwiseDistance, Cosine, PSNR, KL and JS at each epoch's end).
Metric values are compared exactly: oxignite does ignite's arithmetic in ignite's order.

Set HYPOTHESIS_PROFILE=explore to run ten times as many examples on a random seed.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from _differential import (
    BUMPING_WRITES,
    DTYPES,
    FLOAT_DTYPES,
    LEGS,
    PROFILE,
    SILENT_WRITES,
    Outputs,
    Step,
    assert_legs_equal,
    examples,
    lib,
    natives,
    plain,
    steps,
    values,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

torch.set_num_threads(1)

# -- loss streams: RunningAverage, TerminateOnNan, ProgressBar, Timer ------------------------

# tqdm's settings: the default redraws on its clock (only the frames when a bar closes are
# deterministic); with ``mininterval=0`` every frame is, so the last one of a run stopped
# mid-epoch (its bar never closes) is compared too, where TerminateOnNan runs before the bar
# (test_bar_left_open_by_a_later_terminate_shows_the_last_output: the other order).
BAR_SETTINGS = ((), (("mininterval", 0),), (("mininterval", 0), ("miniters", 2)))


@dataclass(frozen=True)
class LossRun:
    shape: tuple
    steps: tuple
    epoch_length: int
    alpha: float
    average: bool  # a RunningAverage of the output is attached
    bar_first: bool  # the bar's handler runs before TerminateOnNan's
    bar: tuple  # tqdm keyword arguments, as items

    @property
    def max_epochs(self) -> int:
        return len(self.steps) // self.epoch_length


@st.composite
def loss_runs(draw: Any) -> LossRun:
    shape = draw(st.sampled_from([(), (), (3,)]))
    epoch_length = draw(st.integers(1, 4))
    max_epochs = draw(st.integers(1, 3))
    # Mostly one dtype per run, as a loss has; sometimes it changes between iterations.
    base = draw(st.sampled_from(tuple(DTYPES)))
    dtype = st.one_of(st.just(base), st.just(base), st.sampled_from(tuple(DTYPES)))
    n = epoch_length * max_epochs
    sequence = draw(st.lists(steps(shape, dtype), min_size=n, max_size=n))
    return LossRun(
        shape=shape,
        steps=tuple(sequence),
        epoch_length=epoch_length,
        alpha=draw(st.sampled_from([0.98, 0.5, 1.0])),
        average=draw(st.booleans()),
        bar_first=draw(st.booleans()),
        bar=draw(st.sampled_from(BAR_SETTINGS)),
    )


_TIMES = re.compile(r" \[[^\]]*<[^\]]*\]$")  # tqdm's "[elapsed<remaining]"


def bar_texts(text: str) -> tuple:
    """The last frame of each closed bar (a persisting bar ends its line when it closes),
    and the last frame of a bar left open ("" if none), times masked."""
    *closed, left_open = text.split("\n")

    def last_frame(line: str) -> str:
        drawn = [frame for frame in line.split("\r") if frame.strip()]
        return _TIMES.sub(" [T]", drawn[-1]) if drawn else ""

    return tuple(map(last_frame, closed)), last_frame(left_open)


def run_leg(leg: str, engine: Any, n: int, max_epochs: int, epoch_length: int) -> str | None:
    """Runs ``engine`` over ``range(n)`` on ``leg`` (natives on / off, or ignite), warnings
    silenced; returns the name of the error it raised, if any."""
    with natives(leg), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            engine.run(range(n), max_epochs=max_epochs, epoch_length=epoch_length)
        except Exception as e:  # noqa: BLE001 - the same error on every leg is the property
            return type(e).__name__
    return None


def run_loss(leg: str, run: LossRun) -> dict:
    """Runs ``run`` on one leg; returns what it observed."""
    L = lib(leg)
    Events = L.Events
    outputs = Outputs()

    def process(engine: Any, batch: Any) -> Any:
        return outputs.next(run.steps[engine.state.iteration - 1], run.shape)

    engine = L.Engine(process)
    if run.average:
        L.metrics.RunningAverage(output_transform=lambda x: x, alpha=run.alpha).attach(
            engine, "avg"
        )
    file = io.StringIO()
    bar = L.ProgressBar(persist=True, file=file, **dict(run.bar))

    def attach_bar() -> None:
        bar.attach(engine, metric_names="all", output_transform=lambda x: {"loss": x})

    if run.bar_first:
        attach_bar()
    engine.add_event_handler(Events.ITERATION_COMPLETED, L.TerminateOnNan())
    if not run.bar_first:
        attach_bar()
    per_iteration = L.Timer(average=True).attach(
        engine,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )
    whole_run = L.Timer().attach(engine)
    timers = (per_iteration, whole_run)
    seen = []

    @engine.on(Events.ITERATION_COMPLETED)
    def record(engine: Any) -> None:
        timing = tuple((t.step_count, t.running) for t in timers)
        seen.append((engine.state.iteration, plain(engine.state.metrics), timing))

    error = run_leg(leg, engine, len(run.steps), run.max_epochs, run.epoch_length)
    closed, left_open = bar_texts(file.getvalue())
    for timer in timers:
        assert timer.total >= 0 and timer.value() >= 0, leg
    if not per_iteration.running:
        assert math.isclose(
            per_iteration.value(), per_iteration.total / max(per_iteration.step_count, 1.0)
        ), leg
    return {
        "error": error,
        "stopped at": (engine.state.epoch, engine.state.iteration),
        "per iteration": tuple(seen),
        "metrics": plain(engine.state.metrics),
        "timers": tuple((t.step_count, t.running) for t in timers),
        "bar": closed,
        # only where tqdm's redraws are deterministic
        "open bar": left_open if run.bar else None,
    }


def _stale_read_run(op: str) -> LossRun:
    """The same 0-d tensor returned again, its value written without a version bump: 1, 2,
    3, NaN, 5 (ignite averages 1, 1.5, 2.25 and stops at the NaN)."""
    first = Step("fresh", (1.0,))
    rest = tuple(Step(op, (v,)) for v in (2.0, 3.0, math.nan, 5.0))
    return LossRun((), (first, *rest), 5, 0.5, True, False, ())


@settings(PROFILE, max_examples=examples(150))
@given(loss_runs())
@example(_stale_read_run("data_copy"))
@example(_stale_read_run("numpy"))
@example(_stale_read_run("data_setitem"))
def test_loss_stream_handlers_match_ignite(run: LossRun) -> None:
    observed = {leg: run_loss(leg, run) for leg in LEGS}
    if run.bar_first:  # see test_bar_left_open_by_a_later_terminate_shows_the_last_output
        for obs in observed.values():
            del obs["open bar"]
    assert_legs_equal(observed)


# -- (y_pred, y) streams: EpochMetric's store and the metric input helpers -----------------
#
# ``is_tensor_pair`` (Metric.iteration_completed), ``detached_pair`` and ``on_device`` (the
# updates of Accuracy, MSE/MAE/RMSE, KL/JS, Cosine, PSNR, MeanPairwiseDistance) and
# ``store_pair`` (EpochMetric, natively from the engine's dispatch and from ``update``).

# How the engine output reaches the metric: as it is, or rebuilt by an ``output_transform``.
TRANSFORMS = {
    "none": None,
    "tuple": lambda o: (o[0], o[1]),
    "list": lambda o: [o[0], o[1]],
    "dict": lambda o: {"y_pred": o[0], "y": o[1]},
}
LABELS = (0.0, 1.0, 2.0)  # class indices and 0/1 targets (2: out of the binary range)


def _stored(y_pred: torch.Tensor, y: torch.Tensor) -> tuple:
    """EpochMetric's ``compute_fn`` that shows exactly what was stored."""
    return (y_pred.clone(), y.clone())


def _regression(m: Any) -> dict:
    return {
        "mse": lambda **kw: m.MeanSquaredError(**kw),
        "mae": lambda **kw: m.MeanAbsoluteError(**kw),
        "rmse": lambda **kw: m.RootMeanSquaredError(**kw),
        "mpd": lambda **kw: m.MeanPairwiseDistance(**kw),
        "cosine": lambda **kw: m.CosineSimilarity(**kw),
        "psnr": lambda **kw: m.PSNR(data_range=1.0, **kw),
        "kl": lambda **kw: m.KLDivergence(**kw),
        "js": lambda **kw: m.JSDivergence(**kw),
    }


def _classification(m: Any) -> dict:
    return {
        "accuracy": lambda **kw: m.Accuracy(**kw),
        "multilabel_accuracy": lambda **kw: m.Accuracy(is_multilabel=True, **kw),
    }


@dataclass(frozen=True)
class PairRun:
    classification: bool
    shapes: tuple  # (y_pred's, y's)
    preds: tuple  # steps of the y_pred stream
    targets: tuple  # steps of the y stream
    epoch_length: int
    transform: str

    @property
    def max_epochs(self) -> int:
        return len(self.preds) // self.epoch_length


@st.composite
def pair_runs(draw: Any) -> PairRun:
    classification = draw(st.booleans())
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if classification:
        # binary (N,) / (N, 1), multiclass (N, C) logits with (N,) classes, multilabel (N, C)
        shapes = draw(
            st.sampled_from([((n,), (n,)), ((n, 1), (n,)), ((n, c), (n,)), ((n, c), (n, c))])
        )
        pred_dtypes = st.sampled_from(("float32", "float64", "int64"))
        target_dtypes = st.sampled_from(("int64", "int32", "float32"))
        pred_values, target_values = (
            values(math.prod(shapes[0])),
            values(math.prod(shapes[1]), False, LABELS),
        )
    else:
        shapes = draw(st.sampled_from([((n,), (n,)), ((n, c), (n, c)), ((n, 1), (n,))]))
        pred_dtypes = target_dtypes = st.sampled_from(FLOAT_DTYPES)
        pred_values, target_values = values(math.prod(shapes[0])), values(math.prod(shapes[1]))
    epoch_length = draw(st.integers(1, 3))
    count = epoch_length * draw(st.integers(1, 2))

    def stream(dtypes: Any, vals: Any) -> tuple:
        base = draw(dtypes)  # mostly one dtype per stream, as a model's
        step = st.builds(
            Step,
            op=st.sampled_from(["fresh", *BUMPING_WRITES, *SILENT_WRITES, "same"]),
            values=vals,
            dtype=st.one_of(st.just(base), st.just(base), dtypes),
            sub=st.booleans(),
            grad=st.booleans(),
        )
        return tuple(draw(st.lists(step, min_size=count, max_size=count)))

    return PairRun(
        classification=classification,
        shapes=shapes,
        preds=stream(pred_dtypes, pred_values),
        targets=stream(target_dtypes, target_values),
        epoch_length=epoch_length,
        transform=draw(st.sampled_from(tuple(TRANSFORMS))),
    )


def run_pairs(leg: str, run: PairRun, metrics: dict) -> dict:
    """Runs ``run`` once per entry of ``metrics`` (name: factory taking keyword arguments),
    each on its own engine so that one metric's error does not hide another's values."""
    return {name: _run_pair_metric(leg, run, name, make) for name, make in metrics.items()}


def _run_pair_metric(leg: str, run: PairRun, name: str, make: Any) -> tuple:
    """The metric's values at every epoch's end, and its error if the run raised."""
    L = lib(leg)
    preds, targets = Outputs(), Outputs()

    def process(engine: Any, batch: Any) -> Any:
        i = engine.state.iteration - 1
        return (
            preds.next(run.preds[i], run.shapes[0]),
            targets.next(run.targets[i], run.shapes[1]),
        )

    engine = L.Engine(process)
    transform = TRANSFORMS[run.transform]
    make(**({} if transform is None else {"output_transform": transform})).attach(engine, name)
    seen = []
    engine.add_event_handler(
        L.Events.EPOCH_COMPLETED, lambda e: seen.append(plain(e.state.metrics))
    )
    error = run_leg(leg, engine, len(run.preds), run.max_epochs, run.epoch_length)
    return tuple(seen) if error is None else ("error", error, tuple(seen))


def epoch_metrics(m: Any) -> dict:
    """EpochMetric as it is, and a second one on the same engine fed the pair swapped (its
    batches go through ``update``, interleaved with the first one's stores)."""

    class Both:
        def __init__(self, **kw: Any) -> None:
            self.first = m.EpochMetric(_stored, **kw)
            self.second = m.EpochMetric(_stored, output_transform=lambda o: (o[1], o[0]))

        def attach(self, engine: Any, name: str) -> None:
            self.first.attach(engine, name)
            self.second.attach(engine, name + "_swapped")

    return {"epoch_metric": Both}


@settings(PROFILE, max_examples=examples(100))
@given(pair_runs())
def test_epoch_metric_store_matches_ignite(run: PairRun) -> None:
    assert_legs_equal({leg: run_pairs(leg, run, epoch_metrics(lib(leg).metrics)) for leg in LEGS})


@settings(PROFILE, max_examples=examples(100))
@given(pair_runs())
def test_metric_inputs_match_ignite(run: PairRun) -> None:
    def metrics(leg: str) -> dict:
        m = lib(leg).metrics
        return _classification(m) if run.classification else _regression(m)

    assert_legs_equal({leg: run_pairs(leg, run, metrics(leg)) for leg in LEGS})


# -- known divergences ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [1e300, 3.5e38, -3.4028235e38, 65504.0, 1e10])
def test_terminate_on_nan_python_numbers_beyond_float32(value: float) -> None:
    """ignite checks a Python number as torch.tensor(x), in the default dtype (float32): 1e300
    and 3.5e38 are infinite there and it stops; 3.4028235e38 rounds to float32's max."""
    numbers = (Step("number", (1.0,)), Step("number", (value,)), Step("number", (2.0,)))
    run = LossRun((), numbers, 3, 0.98, False, False, ())
    assert_legs_equal({leg: run_loss(leg, run) for leg in LEGS})


def test_bar_left_open_by_a_later_terminate_shows_the_last_output() -> None:
    """A bar handler that runs before the terminating handler takes the counter-only path (it
    cannot know the run stops here); at TERMINATE it draws the text ignite's call drew."""
    losses = (Step("number", (0.0,)), Step("number", (math.nan,)), Step("number", (0.0,)))
    run = LossRun((), losses, 3, 0.98, False, True, (("mininterval", 0), ("miniters", 2)))
    observed = {leg: run_loss(leg, run)["open bar"] for leg in LEGS}
    assert observed["ignite"] == "Iteration: [1/3]  33%|###3      , loss=nan [T]"
    assert all(frame == observed["ignite"] for frame in observed.values())
