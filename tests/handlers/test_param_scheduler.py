from __future__ import annotations

import math

import ignite.engine as ig_engine
import ignite.handlers as ig
import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import (
    ConcatScheduler,
    CosineAnnealingScheduler,
    LinearCyclicalScheduler,
    LRScheduler,
    ParamGroupScheduler,
    ParamScheduler,
    PiecewiseLinear,
    ReduceLROnPlateauScheduler,
    create_lr_scheduler_with_warmup,
)
from torch.optim.lr_scheduler import (
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    StepLR,
)


def _optimizer(lr: float = 0.1, groups: int = 1) -> torch.optim.Optimizer:
    params = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(groups)]
    return torch.optim.SGD(params, lr=lr)


def _lrs_during_run(scheduler, optimizer, n_iters, event=Events.ITERATION_STARTED, epochs=1):
    """lr seen by each iteration of a real Engine run."""
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(event, scheduler)
    lrs = []
    engine.add_event_handler(
        Events.ITERATION_COMPLETED, lambda _: lrs.append(optimizer.param_groups[0]["lr"])
    )
    engine.run([0] * n_iters, max_epochs=epochs)
    return lrs


def _ignite_lrs(scheduler, optimizer, n_iters, event=None, epochs=1):
    engine = ig_engine.Engine(lambda e, b: None)
    engine.add_event_handler(event or ig_engine.Events.ITERATION_STARTED, scheduler)
    lrs = []
    engine.add_event_handler(
        ig_engine.Events.ITERATION_COMPLETED, lambda _: lrs.append(optimizer.param_groups[0]["lr"])
    )
    engine.run([0] * n_iters, max_epochs=epochs)
    return lrs


def _rows_close(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == pytest.approx(w)
    return True


# ----------------------------------------------------------------------------- formulas


def test_linear_cyclical_formula():
    opt = _optimizer()
    s = LinearCyclicalScheduler(opt, "lr", start_value=0.0, end_value=1.0, cycle_size=10)
    lrs = _lrs_during_run(s, opt, 25)
    expected = [1.0 + (0.0 - 1.0) * abs((i % 10) / 10 - 0.5) * 2 for i in range(25)]
    assert lrs == pytest.approx(expected)
    assert lrs[:6] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_cosine_annealing_formula():
    opt = _optimizer()
    s = CosineAnnealingScheduler(opt, "lr", start_value=0.1, end_value=0.001, cycle_size=8)
    lrs = _lrs_during_run(s, opt, 20)
    expected = [0.1 + (0.001 - 0.1) / 2 * (1 - math.cos(math.pi * (i % 8) / 8)) for i in range(20)]
    assert lrs == pytest.approx(expected)


def test_piecewise_linear_docs_example():
    opt = _optimizer()
    s = PiecewiseLinear(opt, "lr", milestones_values=[(1, 1.0), (3, 0.8), (5, 0.2)])
    lrs = _lrs_during_run(s, opt, 8)
    assert lrs == pytest.approx([1.0, 1.0, 0.9, 0.8, 0.5, 0.2, 0.2, 0.2])


def test_lr_scheduler_docs_example():
    opt = _optimizer(0.1)
    s = LRScheduler(StepLR(opt, step_size=3, gamma=0.1))
    lrs = _lrs_during_run(s, opt, 8)
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001])


def test_warmup_docs_example():
    opt = _optimizer(0.1)
    s = create_lr_scheduler_with_warmup(
        ExponentialLR(opt, gamma=0.98),
        warmup_start_value=0.0,
        warmup_end_value=0.1,
        warmup_duration=3,
    )
    lrs = _lrs_during_run(s, opt, 8)
    expected = [0.0, 0.05, 0.1, 0.098, 0.09604, 0.0941192, 0.092236816, 0.09039207968]
    assert lrs == pytest.approx(expected)


def test_param_group_index_and_save_history():
    opt = _optimizer(groups=2)
    s = LinearCyclicalScheduler(
        opt, "lr", 1.0, 0.0, cycle_size=4, param_group_index=1, save_history=True
    )
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_STARTED, s)
    engine.run([0] * 3, max_epochs=1)
    assert opt.param_groups[0]["lr"] == 0.1  # untouched
    assert engine.state.param_history["lr"] == [[1.0], [0.5], [0.0]]


def test_custom_param_scheduler_subclass():
    class Halving(ParamScheduler):
        def get_param(self):
            return 1.0 * 0.5**self.event_index

    opt = _optimizer()
    s = Halving(opt, "momentum")
    engine = Engine(lambda e, b: None)
    s.attach(engine, Events.EPOCH_STARTED)
    engine.run([0], max_epochs=3)
    assert opt.param_groups[0]["momentum"] == 0.25
    assert Halving.simulate_values(3, param_name="lr") == [[0, 1.0], [1, 0.5], [2, 0.25]]


# ----------------------------------------------------------------------------- vs ignite


CYCLICAL_CASES = [
    (
        LinearCyclicalScheduler,
        ig.LinearCyclicalScheduler,
        {"start_value": 1.0, "end_value": 0.0, "cycle_size": 6},
    ),
    (
        LinearCyclicalScheduler,
        ig.LinearCyclicalScheduler,
        {
            "start_value": 0.0,
            "end_value": 1.0,
            "cycle_size": 5,
            "monotonic": True,
            "warmup_duration": 3,
            "cycle_mult": 2.0,
            "start_value_mult": 0.5,
            "end_value_mult": 0.5,
        },
    ),
    (
        CosineAnnealingScheduler,
        ig.CosineAnnealingScheduler,
        {
            "start_value": 1.0,
            "end_value": 0.1,
            "cycle_size": 4,
            "cycle_mult": 1.5,
            "start_value_mult": 0.9,
            "end_value_mult": 0.8,
        },
    ),
    (
        CosineAnnealingScheduler,
        ig.CosineAnnealingScheduler,
        {"start_value": 0.5, "end_value": 0.0, "cycle_size": 7, "warmup_duration": 2},
    ),
]


@pytest.mark.parametrize("ours, ref, kwargs", CYCLICAL_CASES)
def test_cyclical_simulate_values_match_ignite(ours, ref, kwargs):
    got = ours.simulate_values(num_events=60, param_name="lr", **kwargs)
    want = ref.simulate_values(num_events=60, param_name="lr", **kwargs)
    assert [i for i, _ in got] == list(range(60))
    assert [v for _, v in got] == pytest.approx([v for _, v in want])


TORCH_SCHEDULERS = [
    lambda o: StepLR(o, step_size=3, gamma=0.5),
    lambda o: MultiStepLR(o, milestones=[2, 5], gamma=0.1),
    lambda o: ExponentialLR(o, gamma=0.9),
    lambda o: LambdaLR(o, lr_lambda=lambda ep: 1.0 / (ep + 1)),
    lambda o: CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
]


@pytest.mark.parametrize("make", TORCH_SCHEDULERS)
@pytest.mark.parametrize("use_legacy", [False, True])
def test_lr_scheduler_matches_ignite_in_engine_runs(make, use_legacy):
    event = Events.ITERATION_COMPLETED if use_legacy else Events.ITERATION_STARTED
    ig_event = (
        ig_engine.Events.ITERATION_COMPLETED if use_legacy else ig_engine.Events.ITERATION_STARTED
    )
    opt_a, opt_b = _optimizer(0.2), _optimizer(0.2)
    with pytest.warns(UserWarning) if use_legacy else _nullcontext():
        ours = LRScheduler(make(opt_a), use_legacy=use_legacy)
    with pytest.warns(UserWarning) if use_legacy else _nullcontext():
        ref = ig.LRScheduler(make(opt_b), use_legacy=use_legacy)
    got = _lrs_during_run(ours, opt_a, 12, event=event)
    want = _ignite_lrs(ref, opt_b, 12, event=ig_event)
    assert got == pytest.approx(want)


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


@pytest.mark.parametrize("make", TORCH_SCHEDULERS[:3])
def test_lr_scheduler_simulate_values_matches_ignite_and_restores_state(make):
    opt = _optimizer(0.2)
    sched = make(opt)
    before = (sched.state_dict(), opt.state_dict()["param_groups"][0]["lr"])
    got = LRScheduler.simulate_values(num_events=10, lr_scheduler=sched)
    assert (sched.state_dict(), opt.param_groups[0]["lr"]) == before
    want = ig.LRScheduler.simulate_values(num_events=10, lr_scheduler=make(_optimizer(0.2)))
    assert _rows_close(got, want)


@pytest.mark.parametrize("warmup_end_value", [None, 0.05, 0.2])
@pytest.mark.parametrize("duration", [2, 3, 5])
def test_warmup_with_torch_scheduler_matches_ignite(warmup_end_value, duration):
    opt_a, opt_b = _optimizer(0.2), _optimizer(0.2)
    kw = {
        "warmup_start_value": 0.01,
        "warmup_duration": duration,
        "warmup_end_value": warmup_end_value,
    }
    sim_a, sim_b = [None] * 15, [None] * 15
    ours = create_lr_scheduler_with_warmup(
        StepLR(opt_a, 2, 0.5), output_simulated_values=sim_a, **kw
    )
    ref = ig.create_lr_scheduler_with_warmup(
        StepLR(opt_b, 2, 0.5), output_simulated_values=sim_b, **kw
    )
    assert _rows_close(sim_a, sim_b)
    assert _lrs_during_run(ours, opt_a, 15) == pytest.approx(_ignite_lrs(ref, opt_b, 15))


@pytest.mark.parametrize("duration", [2, 4])
def test_warmup_with_param_scheduler_matches_ignite(duration):
    opt_a, opt_b = _optimizer(0.2), _optimizer(0.2)
    kw = {"start_value": 0.2, "end_value": 0.0, "cycle_size": 6}
    ours = create_lr_scheduler_with_warmup(
        CosineAnnealingScheduler(opt_a, "lr", **kw),
        warmup_start_value=0.0,
        warmup_duration=duration,
    )
    ref = ig.create_lr_scheduler_with_warmup(
        ig.CosineAnnealingScheduler(opt_b, "lr", **kw),
        warmup_start_value=0.0,
        warmup_duration=duration,
    )
    assert _lrs_during_run(ours, opt_a, 16) == pytest.approx(_ignite_lrs(ref, opt_b, 16))


def test_concat_scheduler_matches_ignite():
    def build(mod, opt):
        s1 = mod.LinearCyclicalScheduler(opt, "lr", start_value=0.1, end_value=0.5, cycle_size=20)
        s2 = mod.CosineAnnealingScheduler(opt, "lr", start_value=0.5, end_value=0.01, cycle_size=12)
        s3 = mod.PiecewiseLinear(opt, "lr", milestones_values=[(0, 0.01), (5, 0.3)])
        return [s1, s2, s3]

    import oxignite.handlers as ours_mod

    opt_a, opt_b = _optimizer(), _optimizer()
    got = ConcatScheduler.simulate_values(40, schedulers=build(ours_mod, opt_a), durations=[10, 15])
    want = ig.ConcatScheduler.simulate_values(40, schedulers=build(ig, opt_b), durations=[10, 15])
    assert _rows_close(got, want)
    assert opt_a.param_groups[0]["lr"] == 0.1  # simulate_values restores the optimizer

    ours = ConcatScheduler(build(ours_mod, opt_a), durations=[10, 15])
    ref = ig.ConcatScheduler(build(ig, opt_b), durations=[10, 15])
    assert _lrs_during_run(ours, opt_a, 40) == pytest.approx(_ignite_lrs(ref, opt_b, 40))


def test_reduce_lr_on_plateau_matches_ignite():
    metrics = [1.0, 0.9, 0.9, 0.95, 0.97, 0.8, 0.85, 0.9, 0.9, 0.9]
    kw = {"mode": "min", "factor": 0.5, "patience": 1, "threshold": 0.01}
    got = ReduceLROnPlateauScheduler.simulate_values(10, metrics, init_lr=0.1, **kw)
    want = ig.ReduceLROnPlateauScheduler.simulate_values(10, metrics, init_lr=0.1, **kw)
    assert _rows_close(got, want)
    assert got[-1][1] < 0.1


def test_reduce_lr_on_plateau_with_evaluator_and_param_group():
    opt = _optimizer(1.0, groups=2)
    trainer = Engine(lambda e, b: None)
    evaluator = Engine(lambda e, b: None)
    accs = iter([0.5, 0.5, 0.5, 0.5, 0.5])
    evaluator.add_event_handler(Events.COMPLETED, lambda e: e.state.metrics.update(acc=next(accs)))
    s = ReduceLROnPlateauScheduler(
        opt,
        "acc",
        trainer=trainer,
        mode="max",
        factor=0.1,
        patience=1,
        param_group_index=1,
        min_lr=0.05,
        save_history=True,
    )
    evaluator.add_event_handler(Events.COMPLETED, s)
    for _ in range(5):
        evaluator.run([0])
    assert opt.param_groups[0]["lr"] == 1.0
    assert opt.param_groups[1]["lr"] == pytest.approx(0.05)  # 1.0 -> 0.1 -> clipped at min_lr
    assert len(trainer.state.param_history["lr"]) == 5


# ----------------------------------------------------------------------------- resume


def _check_resume(build, n_before=7, n_total=20):
    """Uninterrupted sequence == first part + (state_dict -> fresh scheduler) second part."""
    opt = _optimizer()
    full = _lrs_during_run(build(opt), opt, n_total)

    opt1 = _optimizer()
    s1 = build(opt1)
    first = _lrs_during_run(s1, opt1, n_before)
    state = {"sched": s1.state_dict(), "opt": opt1.state_dict()}
    state = _roundtrip(state)

    opt2 = _optimizer(lr=0.777)
    s2 = build(opt2)
    opt2.load_state_dict(state["opt"])
    s2.load_state_dict(state["sched"])
    second = _lrs_during_run(s2, opt2, n_total - n_before)
    assert first + second == pytest.approx(full)


def _roundtrip(obj):
    import io

    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize(
    "build",
    [
        lambda o: LinearCyclicalScheduler(
            o, "lr", 0.0, 1.0, cycle_size=6, cycle_mult=2, end_value_mult=0.5
        ),
        lambda o: CosineAnnealingScheduler(o, "lr", 1.0, 0.0, cycle_size=5, warmup_duration=2),
        lambda o: PiecewiseLinear(o, "lr", [(0, 0.0), (5, 1.0), (10, 0.2), (15, 0.0)]),
        lambda o: LRScheduler(StepLR(o, step_size=4, gamma=0.5)),
        lambda o: LRScheduler(ExponentialLR(o, gamma=0.8)),
        lambda o: LRScheduler(CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
        lambda o: ConcatScheduler(
            [
                LinearCyclicalScheduler(o, "lr", 0.0, 0.5, cycle_size=6),
                CosineAnnealingScheduler(o, "lr", 0.5, 0.0, cycle_size=8),
            ],
            durations=[5],
        ),
        lambda o: create_lr_scheduler_with_warmup(
            StepLR(o, step_size=3, gamma=0.5), warmup_start_value=0.0, warmup_duration=4
        ),
    ],
)
@pytest.mark.parametrize("n_before", [3, 7])
def test_resume_continues_schedule(build, n_before):
    _check_resume(build, n_before=n_before)


def test_param_group_scheduler_state_dict_checks_names():
    opt = _optimizer(groups=2)
    s = ParamGroupScheduler(
        [
            LinearCyclicalScheduler(opt, "lr", 0.0, 1.0, 4, param_group_index=0),
            LinearCyclicalScheduler(opt, "lr", 0.0, 2.0, 4, param_group_index=1),
        ],
        names=["a", "b"],
    )
    for _ in range(3):
        s(None)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([1.0, 2.0])
    sd = s.state_dict()
    assert [n for n, _ in sd["schedulers"]] == ["a", "b"]
    bad = {"schedulers": [("x", sd["schedulers"][0][1]), sd["schedulers"][1]]}
    with pytest.raises(ValueError, match="Name of scheduler"):
        s.load_state_dict(bad)
    with pytest.raises(ValueError, match="schedulers"):
        s.load_state_dict({})


# ----------------------------------------------------------------------------- arguments


def test_bad_arguments():
    opt = _optimizer()
    with pytest.raises(TypeError, match="optimizer"):
        LinearCyclicalScheduler(object(), "lr", 0.0, 1.0, 10)
    with pytest.raises(ValueError, match="cycle_size"):
        CosineAnnealingScheduler(opt, "lr", 0.0, 1.0, cycle_size=1)
    with pytest.raises(ValueError, match="warmup_duration"):
        LinearCyclicalScheduler(opt, "lr", 0.0, 1.0, 10, warmup_duration=2)  # needs monotonic
    with pytest.raises(ValueError, match="increasing"):
        PiecewiseLinear(opt, "lr", [(5, 1.0), (2, 0.5)])
    with pytest.raises(ValueError, match="at least one"):
        PiecewiseLinear(opt, "lr", [])
    with pytest.raises(TypeError, match="milestone"):
        PiecewiseLinear(opt, "lr", [(0.5, 1.0)])
    with pytest.raises(ValueError, match="pairs"):
        PiecewiseLinear(opt, "lr", [[0, 1.0]])
    with pytest.raises(TypeError, match="lr_scheduler"):
        LRScheduler(opt)
    with pytest.raises(ValueError, match="warmup_duration"):
        create_lr_scheduler_with_warmup(StepLR(opt, 2), 0.0, warmup_duration=1)
    with pytest.raises(TypeError, match="warmup_duration"):
        create_lr_scheduler_with_warmup(StepLR(opt, 2), 0.0, warmup_duration=2.5)
    s1 = LinearCyclicalScheduler(opt, "lr", 0.0, 1.0, 10)
    with pytest.raises(ValueError, match="more than one"):
        ConcatScheduler([s1], durations=[])
    with pytest.raises(ValueError, match="Incorrect number"):
        ConcatScheduler([s1, s1], durations=[1, 2])
    with pytest.raises(ValueError, match="same optimizer"):
        ConcatScheduler([s1, LinearCyclicalScheduler(_optimizer(), "lr", 0, 1, 10)], durations=[3])
    with pytest.raises(ValueError, match="same param_name"):
        ConcatScheduler([s1, LinearCyclicalScheduler(opt, "momentum", 0, 1, 10)], durations=[3])
    with pytest.raises(ValueError, match="event_index"):
        s1.load_state_dict({})


@pytest.mark.parametrize("cls_name", ["LinearCyclicalScheduler", "MultiStepStateScheduler"])
def test_plot_values_without_matplotlib_message_matches_ignite(monkeypatch, cls_name):
    import sys

    import oxignite.handlers as ours

    kwargs = {
        "LinearCyclicalScheduler": {
            "optimizer": torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1),
            "param_name": "lr", "start_value": 1.0, "end_value": 0.0, "cycle_size": 4,
        },
        "MultiStepStateScheduler": {
            "param_name": "p", "initial_value": 10, "gamma": 0.5, "milestones": [2],
        },
    }[cls_name]
    # A None entry in sys.modules makes the import fail, as if matplotlib were absent.
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    messages = []
    for module in (ours, ig):
        with pytest.raises(ModuleNotFoundError) as info:
            getattr(module, cls_name).plot_values(num_events=4, **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
