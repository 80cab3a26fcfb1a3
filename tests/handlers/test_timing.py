from __future__ import annotations

import time

import pytest
from oxignite.engine import Engine, Events
from oxignite.handlers import Timer

SLEEP = 0.02  # measured work
IDLE = 0.1  # unmeasured time: upper bounds below stay well under it


def test_total_time_without_average():
    t = Timer()
    time.sleep(SLEEP)
    t.pause()
    v = t.value()
    assert SLEEP <= v < SLEEP + 0.2
    time.sleep(IDLE)  # paused: not counted
    assert t.value() == pytest.approx(v)
    assert not t.running


def test_pause_resume_and_average():
    t = Timer(average=True)
    t.pause()
    for _ in range(3):
        t.resume()
        time.sleep(SLEEP)
        t.pause()
        time.sleep(IDLE)  # excluded
        t.step()
    assert t.step_count == 3
    assert SLEEP <= t.value() < SLEEP + IDLE / 2
    assert t.total == pytest.approx(3 * t.value())


def test_reset_restarts_from_zero():
    t = Timer()
    time.sleep(SLEEP)
    assert t.reset() is t
    assert t.value() < SLEEP
    assert t.total == 0.0 and t.step_count == 0 and t.running


def test_average_without_steps_divides_by_one():
    t = Timer(average=True)
    time.sleep(SLEEP)
    t.pause()
    assert t.value() == pytest.approx(t.total)


def test_attach_measures_average_iteration_time():
    engine = Engine(lambda e, b: time.sleep(SLEEP))
    timer = Timer(average=True)
    returned = timer.attach(
        engine,
        start=Events.EPOCH_STARTED,
        resume=Events.ITERATION_STARTED,
        pause=Events.ITERATION_COMPLETED,
        step=Events.ITERATION_COMPLETED,
    )
    assert returned is timer

    @engine.on(Events.ITERATION_COMPLETED)  # runs after the timer paused: not measured
    def idle(_):
        time.sleep(IDLE)

    engine.run([0] * 3, max_epochs=2)
    assert timer.step_count == 3  # reset at the start of epoch 2
    assert SLEEP <= timer.value() < SLEEP + IDLE / 2


def test_attach_default_events_measure_whole_run():
    engine = Engine(lambda e, b: time.sleep(SLEEP))
    timer = Timer().attach(engine)
    engine.run([0] * 3, max_epochs=1)
    assert not timer.running  # paused on COMPLETED
    assert 3 * SLEEP <= timer.value() < 3 * SLEEP + 0.5
