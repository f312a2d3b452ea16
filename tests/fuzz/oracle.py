"""The fuzz oracle: what counts as a crash, a hang or an unlocated error, and the findings.

A *crash* is any exception that is not an `ArcollectError`. An `ArcollectError` must also say
where: every `PolicyError` diagnostic has a span, every `DataError` problem a path (an empty
path only when the error has that one problem, about the whole document), an `EvaluationError`
starts with the expression's ``file:line:col``, and the other errors are only acceptable where
the caller named the bad value directly (a constructor's argument). A *hang* is a call that
does not return within the per-input time limit.

Findings are deduplicated by kind, exception type and the innermost arcollect frame; for each
the smallest input seen is kept, as the reproducer.
"""

from __future__ import annotations

import json
import re
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal, TypeVar

import attrs
import pytest

from arcollect.errors import ArcollectError, DataError, EvaluationError, PolicyError

__all__ = [
    "Campaign",
    "Finding",
    "FuzzTimeoutError",
    "describe",
    "innermost_frame",
    "location_problem",
    "time_limit",
]

T = TypeVar("T")
Kind = Literal["crash", "hang", "unlocated", "wrong"]

#: An `EvaluationError` message starts with the expression's location.
_EVAL_LOCATION = re.compile(r"^\S+:\d+:\d+: ")


class FuzzTimeoutError(BaseException):
    """A call ran past its time limit (a BaseException, so no ``except Exception`` eats it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `FuzzTimeoutError` in the block if it runs longer than *seconds* (SIGALRM)."""

    def _alarm(_sig: int, frame: FrameType | None) -> None:
        if frame is not None and frame.f_code.co_name == "gc_callback":
            # An exception raised in a garbage-collector callback is lost: try again soon.
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        raise FuzzTimeoutError(f"no result after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def innermost_frame(tb: TracebackType | None) -> str:
    """Return ``module.py:function`` of the innermost traceback frame inside arcollect."""
    where = "<outside arcollect>"
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith("<attrs generated") and "arcollect." in frame.filename:
            where = f"{frame.filename.strip('<>').split()[-1]}:{frame.name}"
            continue
        path = Path(frame.filename)
        if "arcollect" in path.parts:
            idx = path.parts.index("arcollect")
            where = f"{'/'.join(path.parts[idx:])}:{frame.name}"
    return where


def location_problem(exc: ArcollectError, *, direct: bool = False) -> str | None:
    """Say why *exc* lacks a location, or return None if it is located.

    *direct* means the caller passed the bad value itself (a constructor argument): then any
    `ArcollectError` is located enough.
    """
    if isinstance(exc, PolicyError):
        missing = [d for d in exc.diagnostics if d.span is None]
        if not exc.diagnostics:
            return "PolicyError without diagnostics"
        if missing:
            return f"PolicyError diagnostic without a span: {missing[0].message!r}"
        return None
    if isinstance(exc, DataError):
        if not exc.problems:
            return "DataError without problems"
        if len(exc.problems) > 1:
            pathless = [p for p in exc.problems if not p.path]
            if pathless:
                return f"DataError problem without a path: {pathless[0].message!r}"
        return None
    if isinstance(exc, EvaluationError):
        if not _EVAL_LOCATION.match(str(exc)):
            return f"EvaluationError without file:line:col: {str(exc)[:200]!r}"
        return None
    if direct:
        return None
    return f"{type(exc).__name__} escaped without a location: {str(exc)[:200]!r}"


@attrs.define
class Finding:
    """One distinct defect, with the smallest input seen that shows it."""

    harness: str
    kind: Kind
    error: str
    frame: str
    message: str
    reproducer: str
    count: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two findings the same defect."""
        return (self.kind, self.error, self.frame)

    def render(self) -> str:
        """Describe the finding, with its reproducer, for a failure message."""
        head = f"[{self.kind}] {self.error} at {self.frame} ({self.count}x, {self.harness})"
        return f"{head}\n  {self.message[:300]}\n  reproducer:\n" + "\n".join(
            f"    {line}" for line in self.reproducer.splitlines()[:40]
        )


@attrs.define
class Campaign:
    """The findings of one fuzz test, and the oracle that makes them."""

    harness: str
    seed: int
    deadline: float
    #: Seconds one input may take before it counts as a hang. Generous: an input that merely
    #: runs slowly on a loaded 2-core machine must not be reported (a real hang never ends).
    hang_limit: float = 20.0
    findings: dict[tuple[str, str, str], Finding] = attrs.field(factory=dict, repr=False)
    inputs: int = 0
    report: Path | None = None

    def time_left(self) -> bool:
        """Whether the budget allows another input."""
        return time.monotonic() < self.deadline

    def record(
        self, kind: Kind, error: str, frame: str, message: str, reproducer: Callable[[], str]
    ) -> None:
        """Record a finding; keep the shortest reproducer per distinct defect."""
        try:
            text = reproducer()
        except Exception as exc:  # noqa: BLE001 - a finding is kept even if its input has no repr
            text = f"# (the input could not be shown: {exc})"
        f = Finding(self.harness, kind, error, frame, message, text)
        old = self.findings.get(f.key)
        if old is None:
            self.findings[f.key] = f
            return
        old.count += 1
        if len(text) < len(old.reproducer):
            old.reproducer, old.message = text, message

    def run(
        self,
        fn: Callable[[], T],
        reproducer: Callable[[], str],
        *,
        direct: bool = False,
        limit: float | None = None,
    ) -> T | None:
        """Call *fn* under the oracle; return its result, or None if it raised.

        An `ArcollectError` with a location is a fine outcome (None is returned); anything
        else is recorded as a finding with *reproducer*.
        """
        self.inputs += 1
        try:
            with time_limit(limit or self.hang_limit):
                return fn()
        except FuzzTimeoutError as exc:
            self.record("hang", "timeout", innermost_frame(exc.__traceback__), str(exc), reproducer)
        except ArcollectError as exc:
            why = location_problem(exc, direct=direct)
            if why is not None:
                frame = innermost_frame(exc.__traceback__)
                self.record("unlocated", type(exc).__name__, frame, why, reproducer)
        except RecursionError as exc:  # before Exception: the message is huge otherwise
            frame = innermost_frame(exc.__traceback__)
            self.record("crash", "RecursionError", frame, str(exc)[:200], reproducer)
        except Exception as exc:  # noqa: BLE001 - the oracle: everything else is a crash
            frame = innermost_frame(exc.__traceback__)
            self.record("crash", _qualname(exc), frame, str(exc)[:300], reproducer)
        return None

    def wrong(self, what: str, frame: str, message: str, reproducer: Callable[[], str]) -> None:
        """Record wrong behaviour that raised nothing (data lost, evaluators disagree)."""
        self.record("wrong", what, frame, message, reproducer)

    def summary(self) -> str:
        """Every finding, for the failure message, with the seed to reproduce."""
        head = (
            f"{len(self.findings)} distinct finding(s) from {self.inputs} inputs "
            f"(harness {self.harness}; reproduce with --fuzz-seed {self.seed})"
        )
        return "\n\n".join([head, *(f.render() for f in self.findings.values())])

    def check(self) -> None:
        """Fail the test with every finding if there is any."""
        if self.findings:
            pytest.fail(self.summary(), pytrace=False)

    def write_report(self) -> None:
        """Append the findings as JSON lines to the report file, if one was asked for."""
        if self.report is None:
            return
        with self.report.open("a", encoding="utf-8") as out:
            for f in self.findings.values():
                out.write(json.dumps({"seed": self.seed, **attrs.asdict(f)}) + "\n")


def _qualname(exc: BaseException) -> str:
    cls = type(exc)
    mod = cls.__module__
    return cls.__qualname__ if mod == "builtins" else f"{mod}.{cls.__qualname__}"


def describe(value: Any, limit: int = 400) -> str:
    """Return a short repr of *value* for a reproducer."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        text = f"<{type(value).__name__} too large to show>"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"
