"""The core's clocks are Python's: Timer's native ``perf_counter`` and the progress bar gate's
``time.time`` are read between two Python readings of the same clock, taken back to back.

Ordering only: nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import math
import time

from oxignite._core import Gate, NativeTimer
from oxignite.engine import Engine, Events
from oxignite.engine.natives import NativeSpec, set_native


def test_native_timer_starts_on_perf_counters_clock():
    for _ in range(200):
        before = time.perf_counter()
        timer = NativeTimer()
        after = time.perf_counter()
        assert before <= timer.t0 <= after


def test_native_timer_runs_at_perf_counters_rate():
    before_start = time.perf_counter()
    timer = NativeTimer()
    after_start = time.perf_counter()
    time.sleep(0.02)
    before_read = time.perf_counter()
    value = timer.value(False)
    after_read = time.perf_counter()
    # Same origin and rate: the native span lies within the Python spans around it.
    assert before_read - after_start <= value <= after_read - before_start


def test_gate_deadline_is_read_on_time_time():
    """A gate opens once its clock reaches the deadline: each firing it skipped came before
    the deadline on Python's clock, each one it opened came at or after it."""
    last_read, opened_at = {}, {}

    def process(engine, batch):
        time.sleep(0.002)
        last_read[engine.state.iteration] = time.time()  # just before the gate reads its clock

    def handler(engine):
        opened_at[engine.state.iteration] = time.time()  # just after

    engine = Engine(process)
    engine.add_event_handler(Events.ITERATION_COMPLETED, handler)
    gate = Gate()
    assert set_native(engine, Events.ITERATION_COMPLETED, handler, NativeSpec.gate(gate))
    deadline = time.time() + 0.05
    gate.arm(0, 10**9, 1, deadline, math.inf)
    engine.run(range(60))
    del opened_at[60]  # an epoch's last iteration opens the gate whatever the clock
    assert opened_at, "the deadline was never reached"
    assert all(t >= deadline for t in opened_at.values())
    skipped = set(last_read) - set(opened_at) - {60}
    assert all(last_read[i] < deadline for i in skipped)
    # Once open on the clock, the gate stays open: the opened firings are the last ones.
    assert sorted(opened_at) == list(range(min(opened_at), 60))
