"""Timing shared by the benchmarks: best-of-N wall times, taken in turns, with the GC on."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

__all__ = ["interleaved"]


def interleaved(
    runs: int, *fns: Callable[[], object], clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Return the best time of each of *fns*, run in turn *runs* times, GC on.

    *clock* is wall time by default; `time.process_time` (the process's CPU time) is steadier on
    a machine shared with other work.

    Taking turns exposes each function to the same drift of the machine's speed. The collector
    runs as it does in an application (its cost is part of each function's time); a full
    collection before each call (untimed) keeps one function from paying for another's garbage.
    """
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            gc.collect()
            start = clock()
            fn()
            best[i] = min(best[i], clock() - start)
    return best
