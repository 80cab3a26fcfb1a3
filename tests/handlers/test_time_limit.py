"""TimeLimit against ignite's: same argument errors, same stopping rule."""

from __future__ import annotations

import ignite.engine as ig_engine
import ignite.handlers as ig
import pytest
from oxignite.engine import Engine, Events
from oxignite.handlers import TimeLimit


@pytest.mark.parametrize(
    ("limit", "exc"), [(1.5, TypeError), ("10", TypeError), (0, ValueError), (-3, ValueError)]
)
def test_bad_limit_same_error_as_ignite(limit, exc):
    with pytest.raises(exc) as ig_err:
        ig.TimeLimit(limit)
    with pytest.raises(exc) as our_err:
        TimeLimit(limit)
    assert str(our_err.value) == str(ig_err.value)


def _stopped_at(engine_cls, events, handler):
    # Age the handler instead of sleeping: the budget was spent 1 s after it was created.
    engine = engine_cls(lambda e, b: None)

    @engine.on(events.ITERATION_COMPLETED(once=3))
    def spend_budget(_):
        handler.start_time -= handler.limit_sec + 1

    engine.add_event_handler(events.ITERATION_COMPLETED, handler)
    engine.run(range(10), max_epochs=2)
    return engine.state.iteration, engine.state.epoch


def test_terminates_when_budget_spent_like_ignite():
    ours = _stopped_at(Engine, Events, TimeLimit(5))
    assert ours == _stopped_at(ig_engine.Engine, ig_engine.Events, ig.TimeLimit(5)) == (3, 1)


def test_default_limit_and_no_stop_within_budget():
    handler = TimeLimit()
    assert handler.limit_sec == ig.TimeLimit().limit_sec == 28800
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED, handler)
    engine.run(range(4), max_epochs=2)
    assert engine.state.iteration == 8
