"""Benchmark scenarios: each one as an engine run and as the same work in a bare Python loop.

A scenario has two builders:

* ``build(engine_module)`` takes ``ignite.engine`` or ``oxignite.engine`` and returns a runner;
* ``bare()`` returns a runner doing the same work directly in Python.

A runner is ``run(units) -> (handler_calls, iterations)``: it runs ``units`` epochs over
``DATA`` (or, for the construction scenario, ``units`` constructions + 1-iteration runs) and
returns how many times handlers were called and how many iterations ran, so the engines can be
checked to do the same work as the bare loop. Building (engines, handlers, models) happens
outside the runner, so only ``run`` is timed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# OXIGNITE_BENCH_QUICK=1 (CI) shortens the epoch to a few hundred iterations.
DATA = list(range(300 if os.environ.get("OXIGNITE_BENCH_QUICK") == "1" else 1000))
EVAL_DATA = list(range(20))

Runner = Callable[[int], "tuple[int, int]"]


def process(engine: Any, batch: Any) -> Any:
    return batch


def counting_handler(calls: list) -> Callable[[Any], None]:
    """A new handler function that counts its calls in ``calls[0]``."""

    def handler(engine: Any) -> None:
        calls[0] += 1

    return handler


def engine_runner(engine: Any, calls: list, data: list = DATA) -> Runner:
    def run(units: int) -> tuple[int, int]:
        calls[0] = 0
        engine.state.max_epochs = None  # a new run, not a resumption of the previous one
        engine.run(data, max_epochs=units)
        return calls[0], engine.state.iteration

    return run


# 1. No handlers.


def build_no_handlers(mod: ModuleType) -> Runner:
    return engine_runner(mod.Engine(process), [0])


def bare_loop(step: Callable[[Any, Any], Any]) -> Runner:
    """``step`` called on every batch, as a bare Python loop; no handlers."""

    def run(units: int) -> tuple[int, int]:
        for _ in range(units):
            for batch in DATA:
                step(None, batch)
        return 0, units * len(DATA)

    return run


def bare_no_handlers() -> Runner:
    return bare_loop(process)


# 2. 10 handlers on ITERATION_COMPLETED(every=100).


def build_every(mod: ModuleType) -> Runner:
    engine, calls = mod.Engine(process), [0]
    for _ in range(10):
        engine.add_event_handler(mod.Events.ITERATION_COMPLETED(every=100), counting_handler(calls))
    return engine_runner(engine, calls)


def bare_every() -> Runner:
    calls = [0]
    handlers = [counting_handler(calls) for _ in range(10)]

    def run(units: int) -> tuple[int, int]:
        calls[0] = 0
        iteration = 0
        for _ in range(units):
            for batch in DATA:
                iteration += 1
                process(None, batch)
                if iteration % 100 == 0:
                    for handler in handlers:
                        handler(None)
        return calls[0], iteration

    return run


# 3. 10 handlers on ITERATION_COMPLETED(once=k), distinct k.

ONCE_AT = [len(DATA) // 10 * (j + 1) - 1 for j in range(10)]  # 99, 199, ..., 999


def build_once(mod: ModuleType) -> Runner:
    engine, calls = mod.Engine(process), [0]
    for k in ONCE_AT:
        engine.add_event_handler(mod.Events.ITERATION_COMPLETED(once=k), counting_handler(calls))
    return engine_runner(engine, calls)


def bare_once() -> Runner:
    calls = [0]
    handlers = {k: counting_handler(calls) for k in ONCE_AT}

    def run(units: int) -> tuple[int, int]:
        calls[0] = 0
        iteration = 0
        for _ in range(units):
            for batch in DATA:
                iteration += 1
                process(None, batch)
                handler = handlers.get(iteration)
                if handler is not None:
                    handler(None)
        return calls[0], iteration

    return run


# 4. 5 handlers with a custom event_filter.


def every_50(engine: Any, event: int) -> bool:
    return event % 50 == 0


def build_filter(mod: ModuleType) -> Runner:
    engine, calls = mod.Engine(process), [0]
    event = mod.Events.ITERATION_COMPLETED(event_filter=every_50)
    for _ in range(5):
        engine.add_event_handler(event, counting_handler(calls))
    return engine_runner(engine, calls)


def bare_filter() -> Runner:
    calls = [0]
    handlers = [(every_50, counting_handler(calls)) for _ in range(5)]

    def run(units: int) -> tuple[int, int]:
        calls[0] = 0
        iteration = 0
        for _ in range(units):
            for batch in DATA:
                iteration += 1
                process(None, batch)
                for event_filter, handler in handlers:
                    if event_filter(None, iteration):
                        handler(None)
        return calls[0], iteration

    return run


# 5. One plain handler on each of 4 per-iteration events.

FOUR_EVENTS = [
    "ITERATION_STARTED",
    "ITERATION_COMPLETED",
    "GET_BATCH_STARTED",
    "GET_BATCH_COMPLETED",
]


def build_four_events(mod: ModuleType) -> Runner:
    engine, calls = mod.Engine(process), [0]
    for name in FOUR_EVENTS:
        engine.add_event_handler(getattr(mod.Events, name), counting_handler(calls))
    return engine_runner(engine, calls)


def bare_four_events() -> Runner:
    calls = [0]
    get_batch_started, get_batch_completed, started, completed = (
        counting_handler(calls) for _ in FOUR_EVENTS
    )

    def run(units: int) -> tuple[int, int]:
        calls[0] = 0
        for _ in range(units):
            for batch in DATA:
                get_batch_started(None)
                get_batch_completed(None)
                started(None)
                process(None, batch)
                completed(None)
        return calls[0], units * len(DATA)

    return run


# 6. A typical trainer: log every 100 iterations, evaluate each epoch, NaN check every iteration.


def build_trainer(mod: ModuleType) -> Runner:
    trainer, evaluator, calls, log, total = mod.Engine(process), mod.Engine(process), [0], [], [0]

    @trainer.on(mod.Events.ITERATION_COMPLETED(every=100))
    def log_output(engine: Any) -> None:
        log.append((engine.state.iteration, engine.state.output))

    @trainer.on(mod.Events.ITERATION_COMPLETED)
    def check_nan(engine: Any) -> None:
        calls[0] += 1
        if math.isnan(engine.state.output):
            engine.terminate()

    @trainer.on(mod.Events.EPOCH_COMPLETED)
    def evaluate(engine: Any) -> None:
        calls[0] += 1
        evaluator.run(EVAL_DATA)

    @evaluator.on(mod.Events.ITERATION_COMPLETED)
    def update_metric(engine: Any) -> None:
        calls[0] += 1
        total[0] += engine.state.output

    def run(units: int) -> tuple[int, int]:
        log.clear()
        calls[0] = total[0] = 0
        trainer.state.max_epochs = None
        trainer.run(DATA, max_epochs=units)
        return calls[0] + len(log), trainer.state.iteration

    return run


def bare_trainer() -> Runner:
    calls, log, total = [0], [], [0]

    def run(units: int) -> tuple[int, int]:
        log.clear()
        calls[0] = total[0] = 0
        iteration = 0
        for _ in range(units):
            for batch in DATA:
                iteration += 1
                output = process(None, batch)
                if iteration % 100 == 0:
                    log.append((iteration, output))
                calls[0] += 1
                if math.isnan(output):  # never true here: the engine would terminate
                    return calls[0] + len(log), iteration
            calls[0] += 1
            for batch in EVAL_DATA:
                output = process(None, batch)
                calls[0] += 1
                total[0] += output
        return calls[0] + len(log), iteration

    return run


# 7. A real tiny training step: torch Linear 32->2, SGD, batch 8, one thread.


def training_step() -> Callable[[Any, Any], float]:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Linear(32, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    # A batch per index, with random labels: the model can't fit them, so the loss (and the
    # time per step: no denormals) stays put however long it trains.
    batches = [(torch.randn(8, 32), torch.randint(0, 2, (8,))) for _ in DATA]

    def step(engine: Any, batch: int) -> float:
        x, y = batches[batch]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def build_torch(mod: ModuleType) -> Runner:
    return engine_runner(mod.Engine(training_step()), [0])


def bare_torch() -> Runner:
    return bare_loop(training_step())


# 8. Engine construction + run() for a 1-iteration run.

ONE_BATCH = [0]


def build_construct(mod: ModuleType) -> Runner:
    engine_class = mod.Engine

    def run(units: int) -> tuple[int, int]:
        iterations = 0
        for _ in range(units):
            engine = engine_class(process)
            engine.run(ONE_BATCH, max_epochs=1)
            iterations += engine.state.iteration
        return 0, iterations

    return run


def bare_construct() -> Runner:
    def run(units: int) -> tuple[int, int]:
        for _ in range(units):
            for batch in ONE_BATCH:
                process(None, batch)
        return 0, units

    return run


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    build: Callable[[ModuleType], Runner]
    bare: Callable[[], Runner]
    iters_per_unit: int = len(DATA)  # iterations one unit of ``run`` stands for
    slowdown: int = 1  # run this many times fewer iterations than the other scenarios


SCENARIOS = [
    Scenario("no_handlers", "1. no handlers", build_no_handlers, bare_no_handlers),
    Scenario("every", "2. 10 handlers, every=100", build_every, bare_every),
    Scenario("once", "3. 10 handlers, once=k", build_once, bare_once),
    Scenario("filter", "4. 5 handlers, event_filter", build_filter, bare_filter),
    Scenario("four_events", "5. 4 events, 1 handler each", build_four_events, bare_four_events),
    Scenario("trainer", "6. typical trainer", build_trainer, bare_trainer),
    Scenario("torch", "7. tiny torch training step", build_torch, bare_torch, slowdown=50),
    Scenario(
        "construct", "8. construct + 1-iteration run", build_construct, bare_construct, 1, 100
    ),
]


def runner(scenario: Scenario, engine: str) -> Runner:
    """The runner for ``engine``: "bare", "ignite" or "oxignite"."""
    if engine == "bare":
        return scenario.bare()
    import importlib

    return scenario.build(importlib.import_module(f"{engine}.engine"))
