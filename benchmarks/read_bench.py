"""Benchmark reading: `arcollect.read_portfolio` against `json.load` of the same JSON file.

The seeded portfolio of `plan_bench.generate` (N accounts, ``10 * N`` invoices) is written with
``dump_portfolio(format="json")`` to a temporary file, once, untimed. Then, best of N taking
turns with the garbage collector on:

- ``read_portfolio(path)``: the file to validated `Account` records, every field checked;
- ``json.load(f)``: the same file to plain dicts and lists, nothing checked: the floor any reader
  of JSON pays.

The accounts read back are checked (untimed) to equal the generated ones, and the report gives
the ratio (the target is at most 2x) and the peak memory each allocates (tracemalloc, an extra
untimed turn; ``--no-memory`` skips it).

Usage: ``python benchmarks/read_bench.py [ACCOUNTS] [--no-memory]``.
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

from _timing import interleaved
from plan_bench import generate

from arcollect import Account, dump_portfolio, read_portfolio


def traced_peak(fn: Callable[[], object]) -> float:
    """Return the peak of memory *fn* allocates (tracemalloc, MB), its result included."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        tracemalloc.stop()


def main(argv: Sequence[str]) -> None:
    """Write the portfolio, time both readers and print the report."""
    args = [a for a in argv if not a.startswith("-")]
    n = int(args[0]) if args else 20_000
    runs = 3
    start = time.perf_counter()
    accounts = generate(n)
    text = dump_portfolio(accounts, format="json", currency="EUR")
    setup = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.json"
        path.write_text(text, encoding="utf-8")
        size = path.stat().st_size
        del text
        limit = size + 1

        def arcollect_read() -> tuple[Account, ...]:
            return read_portfolio(path, max_bytes=limit)

        def json_load() -> object:
            with path.open("rb") as f:
                return json.load(f)

        if arcollect_read() != tuple(accounts):
            raise SystemExit("read_portfolio did not give back the accounts written")
        t_read, t_json = interleaved(runs, arcollect_read, json_load)
        memory = "--no-memory" not in argv
        if memory:
            m_read, m_json = traced_peak(arcollect_read), traced_peak(json_load)

    invoices = sum(len(a.invoices) for a in accounts)
    print(f"read, {n:,} accounts, {invoices:,} invoices: a JSON file of {size / 2**20:,.1f} MB")
    print(f"  (portfolio generated and written in {setup:.1f} s; read back equal to it)")
    print(f"  json.load:      {t_json:.2f} s (best of {runs}, taking turns, GC on)")
    print(f"  read_portfolio: {t_read:.2f} s")
    print(f"  ratio read_portfolio / json.load: {t_read / t_json:.2f}x (target: at most 2x)")
    if memory:
        print(
            f"  peak allocated (tracemalloc): read_portfolio {m_read:,.0f} MB,"
            f" json.load {m_json:,.0f} MB ({m_read / m_json:.1f}x)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
