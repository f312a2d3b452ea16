"""Benchmark peak memory: read a large JSON portfolio and plan it, in a fresh process each.

The seeded portfolio of `plan_bench.generate` (N accounts, ``10 * N`` invoices; 100,000 by
default, the issue's 1M invoices) is written once with ``dump_portfolio(format="json")`` to a
temporary file. Then each of these runs in a process of its own, so that its maximum resident
set size (``ru_maxrss``, what the operating system had to give it) is its own:

- ``read + plan``: ``read_portfolio(path)`` then ``policy.plan(accounts, as_of=2026-11-23)``
  with ``rules/standard.arc``: the time of each, and the process's peak after each;
- ``json.load``: the same file to plain dicts, nothing checked (the floor of any JSON reader):
  its time and peak.

The target is a peak under 1 GB for read + plan. Usage:
``python benchmarks/memory_bench.py [ACCOUNTS]``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 23)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_and_plan(path: str) -> None:
    """Read *path* and plan it; print the times and the peaks as one JSON line."""
    import arcollect  # noqa: PLC0415 - measured in this process only

    start = time.perf_counter()
    accounts = arcollect.read_portfolio(path, max_bytes=Path(path).stat().st_size)
    read = time.perf_counter() - start
    after_read = _peak_mb()
    policy = arcollect.load_policy(ROOT / "rules" / "standard.arc")
    start = time.perf_counter()
    plan = policy.plan(accounts, as_of=AS_OF)
    planned = time.perf_counter() - start
    print(
        json.dumps(
            {
                "read": read,
                "plan": planned,
                "peak_read": after_read,
                "peak": _peak_mb(),
                "actions": len(plan.actions),
                "accounts": len(accounts),
            }
        )
    )


def load_json(path: str) -> None:
    """`json.load` *path*; print the time and the peak as one JSON line."""
    start = time.perf_counter()
    with open(path, encoding="utf-8") as f:  # noqa: PTH123 - the plainest reader there is
        data = json.load(f)
    took = time.perf_counter() - start
    print(json.dumps({"load": took, "peak": _peak_mb(), "accounts": len(data["accounts"])}))


def _run(*args: str) -> dict[str, float]:
    paths = [str(ROOT / "src"), str(ROOT / "benchmarks")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    out = subprocess.run(  # noqa: S603 - this script, with its own arguments
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, env=env
    )
    if out.returncode:
        sys.exit(f"{args[0]} failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def write(path: str, n: int) -> None:
    """Write the portfolio of *n* accounts to *path*; print its size as one JSON line."""
    from plan_bench import generate  # noqa: PLC0415 - the generator, in this process only

    import arcollect  # noqa: PLC0415

    accounts = generate(n)
    invoices = sum(len(a.invoices) for a in accounts)
    Path(path).write_text(arcollect.dump_portfolio(accounts, format="json"), encoding="utf-8")
    print(json.dumps({"invoices": invoices, "size": Path(path).stat().st_size}))


def main(argv: Sequence[str]) -> None:
    """Write the portfolio, measure each side in its own process, print the report.

    Each step runs in a child of this small process: Linux keeps a process's peak resident
    size across ``exec``, so a child of a process that once held the portfolio would report
    that process's peak.
    """
    if argv and argv[0] in ("--read-and-plan", "--json-load"):
        (read_and_plan if argv[0] == "--read-and-plan" else load_json)(argv[1])
        return
    if argv and argv[0] == "--write":
        write(argv[1], int(argv[2]))
        return
    n = int(argv[0]) if argv else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "portfolio.json")
        written = _run("--write", path, str(n))
        ours = _run("--read-and-plan", path)
        floor = _run("--json-load", path)
    invoices, size = int(written["invoices"]), written["size"] / 1e6
    print(f"memory: {n:,} accounts, {invoices:,} invoices, JSON file {size:,.0f} MB")
    print(
        f"  read_portfolio {ours['read']:.1f} s (peak {ours['peak_read']:,.0f} MB), "
        f"then policy.plan {ours['plan']:.1f} s: {int(ours['actions']):,} actions"
    )
    print(f"  peak of read + plan: {ours['peak']:,.0f} MB (target: under 1 GB)")
    print(
        f"  json.load of the same file: {floor['load']:.1f} s, peak {floor['peak']:,.0f} MB "
        f"(read_portfolio / json.load: {ours['read'] / floor['load']:.2f}x)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
