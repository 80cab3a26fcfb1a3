"""Runs one scenario of ``scenarios.py`` for N units, for instruction counting.

Wall-clock ratios on a shared 2-core machine move by 50% between runs; instruction counts
under callgrind do not. Count two run lengths and take the difference per iteration, which
cancels start-up:

    for units in 10 30; do
      valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$units \\
        python benches/callgrind_scenario.py four_events oxignite $units 2>&1 | grep Collected
    done
    # instructions per iteration = (count(30) - count(10)) / (20 * 1000)

Arguments: scenario key (see ``SCENARIOS``), engine (bare, ignite or oxignite), units.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenarios import SCENARIOS, runner


def main() -> None:
    key, engine, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
    scenario = next(s for s in SCENARIOS if s.key == key)
    run = runner(scenario, engine)
    run(1)  # warm-up: imports, first-call caches
    gc.disable()
    run(units)


if __name__ == "__main__":
    main()
