from __future__ import annotations

import warnings

import ignite.engine as ig_engine
import ignite.handlers as ig_handlers
import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import EarlyStopping

from .conftest import make_data, make_update


def _stop_epoch(engine_cls, handler_cls, scores, **kwargs):
    """Run an engine whose epoch-end score follows ``scores``; return the epoch it stopped at."""
    trainer = engine_cls(lambda e, b: None)
    handler = handler_cls(
        score_function=lambda e: scores[e.state.epoch - 1], trainer=trainer, **kwargs
    )
    trainer.add_event_handler(Events.EPOCH_COMPLETED, handler)
    trainer.run([0], max_epochs=len(scores))
    return trainer.state.epoch, handler.counter, handler.best_score


def _ignite_stop_epoch(scores, **kwargs):
    trainer = ig_engine.Engine(lambda e, b: None)
    handler = ig_handlers.EarlyStopping(
        score_function=lambda e: scores[e.state.epoch - 1], trainer=trainer, **kwargs
    )
    trainer.add_event_handler(ig_engine.Events.EPOCH_COMPLETED, handler)
    trainer.run([0], max_epochs=len(scores))
    return trainer.state.epoch, handler.counter, handler.best_score


SCORES = [
    [1.0, 2.0, 2.0, 1.5, 1.9, 3.0, 2.9, 2.8, 2.7, 2.6],
    [0.5, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57],
    [3.0, 2.0, 1.0, 1.5, 0.9, 0.95, 0.85, 0.84, 2.0, 2.0],
    [1.0] * 6,
]


@pytest.mark.parametrize("scores", SCORES)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 1},
        {"patience": 2},
        {"patience": 3, "threshold": 0.015},
        {"patience": 3, "threshold": 0.015, "cumulative": True},
        {"patience": 2, "mode": "min"},
        {"patience": 2, "mode": "min", "threshold": 0.05, "threshold_mode": "rel"},
        {"patience": 2, "threshold": 0.02, "threshold_mode": "rel", "cumulative": True},
    ],
)
def test_stops_at_same_epoch_as_ignite(scores, kwargs):
    ours = _stop_epoch(Engine, EarlyStopping, scores, **kwargs)
    assert ours == _ignite_stop_epoch(scores, **kwargs)


def test_stop_epoch_known_values():
    # best=1, 2 (improved), 2 (=, no), 1.5 (no) -> counter 2 at epoch 4
    assert _stop_epoch(Engine, EarlyStopping, SCORES[0], patience=2)[0] == 4
    # threshold 0.015: +0.01 steps never count -> stops after 3 non-improvements
    assert _stop_epoch(Engine, EarlyStopping, SCORES[1], patience=3, threshold=0.015)[0] == 4
    # non-cumulative: each +0.01 step is compared with the previous score only
    epoch, counter, _ = _stop_epoch(
        Engine, EarlyStopping, SCORES[1], patience=3, threshold=0.015, cumulative=True
    )
    # cumulative: 0.52 - 0.5 > 0.015 resets the counter, so training lasts longer
    assert epoch == len(SCORES[1]) and counter < 3


def test_deprecated_argument_names_still_work():
    trainer = Engine(lambda e, b: None)
    with pytest.warns(DeprecationWarning, match="min_delta"):
        h = EarlyStopping(2, lambda e: 0.0, trainer, min_delta=0.1)
    assert h.threshold == 0.1
    with pytest.warns(DeprecationWarning, match="cumulative_delta"):
        h = EarlyStopping(2, lambda e: 0.0, trainer, cumulative_delta=True)
    assert h.cumulative


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [("min_delta", "threshold", 0.2), ("min_delta_mode", "threshold_mode", "rel"),
     ("cumulative_delta", "cumulative", True)],
)
def test_deprecated_attributes_warn_on_get_and_set_like_ignite(old, new, value):
    messages = []
    for engine_cls, handler_cls in ((Engine, EarlyStopping),
                                    (ig_engine.Engine, ig_handlers.EarlyStopping)):
        h = handler_cls(2, lambda e: 0.0, engine_cls(lambda e, b: None))
        with pytest.warns(DeprecationWarning) as set_record:
            setattr(h, old, value)
        assert getattr(h, new) == value
        with pytest.warns(DeprecationWarning) as get_record:
            assert getattr(h, old) == value
        # the warning points at the caller's line, not at the property
        assert get_record[0].filename == __file__
        messages.append((str(set_record[0].message), str(get_record[0].message)))
    assert messages[0] == messages[1]


def test_real_training_that_stops_improving():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    train_data = make_data(4)
    val_data = make_data(2, seed=1)
    trainer = Engine(make_update(model, optimizer))

    def neg_val_loss(engine):
        with torch.no_grad():
            return -sum(torch.nn.functional.mse_loss(model(x), y).item() for x, y in val_data)

    @trainer.on(Events.EPOCH_COMPLETED(once=3))
    def freeze(engine):  # from epoch 4 on, nothing improves any more
        for g in optimizer.param_groups:
            g["lr"] = 0.0

    handler = EarlyStopping(patience=2, score_function=neg_val_loss, trainer=trainer)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, handler)
    trainer.run(train_data, max_epochs=20)
    # epochs 1-3 improve the validation loss; with lr=0, epochs 4 and 5 do not
    assert trainer.state.epoch == 5
    assert handler.counter == 2
    assert handler.best_score == pytest.approx(neg_val_loss(trainer))


def test_attach_resets_on_reset_engine():
    trainer = Engine(lambda e, b: None)
    evaluator = Engine(lambda e, b: None)
    scores = iter([1.0, 0.5, 0.4, 2.0, 1.0])
    h = EarlyStopping(patience=5, score_function=lambda e: next(scores), trainer=trainer)
    h.attach(evaluator, reset_engine=trainer)
    for _ in range(3):
        evaluator.run([0])
    assert h.counter == 2 and h.best_score == 1.0
    trainer.run([0], max_epochs=1)  # STARTED -> reset
    assert h.counter == 0 and h.best_score is None


def test_state_dict_roundtrip_continues_counting():
    trainer = Engine(lambda e, b: None)
    scores = [1.0, 0.9, 0.8]
    h = EarlyStopping(patience=3, score_function=lambda e: scores.pop(0), trainer=trainer)
    for _ in range(3):
        h(trainer)
    sd = h.state_dict()
    assert dict(sd) == {"counter": 2, "best_score": 1.0, "threshold_mode": "abs"}

    h2 = EarlyStopping(patience=3, score_function=lambda e: 0.5, trainer=trainer)
    h2.load_state_dict(sd)
    assert not trainer.should_terminate
    h2(trainer)
    assert h2.counter == 3 and trainer.should_terminate
    with pytest.raises(ValueError, match="counter"):
        h2.load_state_dict({"best_score": 1.0})
    with pytest.raises(TypeError):
        h2.load_state_dict([1, 2])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"patience": 0}, ValueError, "patience"),
        ({"patience": -2}, ValueError, "patience"),
        ({"patience": 1.5}, TypeError, "patience"),
        ({"score_function": 12}, TypeError, "score_function"),
        ({"trainer": object()}, TypeError, "trainer"),
        ({"threshold": -0.1}, ValueError, "threshold"),
        ({"threshold_mode": "bad"}, ValueError, "threshold_mode"),
        ({"mode": "avg"}, ValueError, "mode"),
        ({"min_delta": -1.0}, ValueError, "threshold"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = {"patience": 2, "score_function": lambda e: 0.0, "trainer": Engine(lambda e, b: None)}
    args.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(exc, match=match):
            EarlyStopping(**args)
