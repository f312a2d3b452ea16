"""Timing curves: time an operation at sizes n, 2n and 4n and judge its growth.

n is calibrated on this machine so that the smallest run takes at least `TARGET` seconds; each
size is timed best-of-3 with the garbage collector on (as users run). Growth from n to 4n above
`MAX_GROWTH` (linear is 4x, quadratic 16x) fails. A run at 4n is stopped once it is clearly
superlinear (over `CUTOFF` times the run at n), so a quadratic path costs seconds, not minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from fuzz.oracle import FuzzTimeoutError, time_limit

__all__ = ["CUTOFF", "MAX_GROWTH", "TARGET", "Curve", "curve"]

#: The smallest run takes at least this long (shorter runs are mostly noise on a busy machine).
TARGET = 0.1
#: Growth from n to 4n allowed: linear is 4x, n log n a little more, quadratic 16x. On a loaded
#: 2-core machine linear paths were measured at up to 8.5x, so the bound sits between.
MAX_GROWTH = 10.0
CUTOFF = 24.0


@attrs.frozen
class Curve:
    """Best times at n, 2n and 4n (None: stopped at the cutoff)."""

    name: str
    n: int
    times: tuple[float, float | None, float | None]

    @property
    def growth(self) -> float:
        """Time at 4n over time at n (the cutoff ratio if the run at 4n was stopped)."""
        t4 = self.times[2]
        return CUTOFF if t4 is None else t4 / self.times[0]

    def render(self) -> str:
        """Describe the curve in one line."""
        shown = ", ".join("stopped" if t is None else f"{t * 1000:.0f} ms" for t in self.times)
        sign = ">=" if self.times[2] is None else ""
        return (
            f"{self.name}: n={self.n}: {shown} "
            f"(n->2n {self._ratio(1)}, n->4n {sign}{self.growth:.1f}x; bound {MAX_GROWTH:g}x)"
        )

    def _ratio(self, i: int) -> str:
        t = self.times[i]
        return ">=stopped" if t is None else f"{t / self.times[0]:.1f}x"


def _time(fn: Callable[[], object], limit: float) -> float | None:
    start = time.perf_counter()
    try:
        with time_limit(limit):
            fn()
    except FuzzTimeoutError:
        return None
    took = time.perf_counter() - start
    return None if took > limit else took


def curve(
    name: str,
    make: Callable[[int], Callable[[], object]],
    *,
    start: int,
    max_n: int = 1 << 20,
) -> Curve:
    """Calibrate n from *start* and time ``make(n)()`` at n, 2n and 4n.

    ``make(n)`` builds the input of size n (not timed) and returns the timed operation.
    """
    n = start
    while True:
        op = make(n)
        t = _time(op, 10.0)
        if t is None or t >= TARGET or n >= max_n:
            break
        n *= 2
    if t is None:  # even the smallest size does not finish
        return Curve(name, n, (10.0, None, None))
    base = min([t, *(x for x in (_time(op, 10.0) for _ in range(2)) if x is not None)])
    times: list[float | None] = [base]
    for factor in (2, 4):
        op = make(factor * n)
        best: float | None = None
        for _ in range(5):
            got = _time(op, CUTOFF * base + 0.5)
            if got is not None:
                best = got if best is None else min(best, got)
            if best is not None and best / base <= MAX_GROWTH * factor / 4:
                break  # within the bound: no need to try again
            if got is None or got / base > 2 * MAX_GROWTH * factor / 4:
                break  # clearly superlinear: retrying only burns the machine
        times.append(best)
    return Curve(name, n, (times[0], times[1], times[2]))  # type: ignore[arg-type]
