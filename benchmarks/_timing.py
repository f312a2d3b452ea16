"""Timing shared by the benchmarks: best-of-N wall times, taken in turns with the GC paused."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

__all__ = ["interleaved"]


def interleaved(runs: int, *fns: Callable[[], object]) -> list[float]:
    """Return the best wall time of each of *fns*, run in turn *runs* times, GC paused.

    Taking turns exposes each function to the same drift of the machine's speed.
    """
    best = [float("inf")] * len(fns)
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            for i, fn in enumerate(fns):
                start = time.perf_counter()
                fn()
                best[i] = min(best[i], time.perf_counter() - start)
    finally:
        gc.enable()
    return best
