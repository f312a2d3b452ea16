"""Benchmark reading: `arcollect.read_portfolio` against `json.load` of the same JSON file.

The seeded portfolio of `plan_bench.generate` (N accounts, ``10 * N`` invoices) is written with
``dump_portfolio(format="json")`` to a temporary file, once, untimed. Then, best of N taking
turns with the garbage collector on:

- ``read_portfolio(path)``: the file to validated `Account` records, every field checked (the
  fast path, which falls back to the detailed one for anything not plainly well formed);
- ``json.load(f)``: the same file to plain dicts and lists, nothing checked: the floor any reader
  of JSON pays;
- the fast path account by account (``FastReader.batch`` switched off: each account read
  by `FastReader.account`, as `read_portfolio` did before accounts were read in chunks, a field
  at a time);
- the detailed path alone (``documents._read_document(path, fast=False)``, what
  `read_portfolio` did before the fast path), so that before and after are measured in one run.

The accounts read back are checked (untimed) to equal the generated ones, both ways, and the
report gives the ratios (the target is at most 2x) and the peak memory each allocates
(tracemalloc, an extra untimed turn; ``--no-memory`` skips it). ``--yaml`` also reads the same
portfolio written in YAML, by the C loader and the fast path, and by the detailed path (the
Python loader); ``--no-detailed`` skips the detailed path, ``--no-before`` the fast path account
by account.

Usage: ``python benchmarks/read_bench.py [ACCOUNTS] [--no-memory] [--no-detailed] [--no-before]
[--yaml]``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from _timing import interleaved
from plan_bench import generate

from arcollect import Account, dump_portfolio, read_portfolio
from arcollect.convert import documents
from arcollect.convert.fast import FastReader


@contextlib.contextmanager
def account_by_account() -> Iterator[None]:
    """Switch off reading accounts in chunks: each is read by `FastReader.account` alone."""
    batch = FastReader.batch

    def no_batch(_self: FastReader, _items: list[Any], _currency: str | None) -> None:
        return None

    FastReader.batch = no_batch  # type: ignore[assignment, method-assign]
    try:
        yield
    finally:
        FastReader.batch = batch  # type: ignore[method-assign]


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
    """Write the portfolio, time the readers and print the report."""
    args = [a for a in argv if not a.startswith("-")]
    n = int(args[0]) if args else 20_000
    detailed = "--no-detailed" not in argv
    before = "--no-before" not in argv
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

        def by_account_read() -> tuple[Account, ...]:
            with account_by_account():
                return read_portfolio(path, max_bytes=limit)

        def detailed_read() -> tuple[Account, ...]:
            return documents._read_document(path, limit, fast=False).accounts  # noqa: SLF001 - the path before the fast one

        def json_load() -> object:
            with path.open("rb") as f:
                return json.load(f)

        if arcollect_read() != tuple(accounts):
            raise SystemExit("read_portfolio did not give back the accounts written")
        if before and by_account_read() != tuple(accounts):
            raise SystemExit("reading account by account did not give back the accounts written")
        if detailed and detailed_read() != tuple(accounts):
            raise SystemExit("the detailed path did not give back the accounts written")
        fns = [arcollect_read, json_load]
        fns += ([by_account_read] if before else []) + ([detailed_read] if detailed else [])
        t_read, t_json, *t_others = interleaved(runs, *fns)
        t_before = t_others.pop(0) if before else None
        t_detailed = t_others
        memory = "--no-memory" not in argv
        if memory:
            m_read, m_json = traced_peak(arcollect_read), traced_peak(json_load)
        yaml_times = _yaml_times(accounts, Path(tmp), runs, detailed) if "--yaml" in argv else None

    invoices = sum(len(a.invoices) for a in accounts)
    print(f"read, {n:,} accounts, {invoices:,} invoices: a JSON file of {size / 2**20:,.1f} MB")
    print(f"  (portfolio generated and written in {setup:.1f} s; read back equal to it)")
    print(f"  json.load:      {t_json:.2f} s (best of {runs}, taking turns, GC on)")
    print(f"  read_portfolio: {t_read:.2f} s")
    print(f"  ratio read_portfolio / json.load: {t_read / t_json:.2f}x (target: at most 2x)")
    if t_before is not None:
        print(
            f"  account by account (before chunks): {t_before:.2f} s, {t_before / t_json:.2f}x"
            f" json.load (read_portfolio is {t_before / t_read:.2f}x faster)"
        )
    if t_detailed:
        print(
            f"  detailed path alone: {t_detailed[0]:.2f} s, {t_detailed[0] / t_json:.2f}x"
            f" json.load (read_portfolio is {t_detailed[0] / t_read:.1f}x faster)"
        )
    if memory:
        print(
            f"  peak allocated (tracemalloc): read_portfolio {m_read:,.0f} MB,"
            f" json.load {m_json:,.0f} MB ({m_read / m_json:.1f}x)"
        )
    if yaml_times is not None:
        yaml_size, t_yaml, t_yaml_detailed = yaml_times
        print(f"  YAML ({yaml_size / 2**20:,.1f} MB): read_portfolio {t_yaml:.2f} s", end="")
        if t_yaml_detailed is not None:
            print(f", detailed path (Python loader) {t_yaml_detailed:.2f} s", end="")
        print()


def _yaml_times(
    accounts: list[Account], tmp: Path, runs: int, detailed: bool
) -> tuple[int, float, float | None]:
    """Return the YAML file's size and the best times of both ways of reading it."""
    path = tmp / "portfolio.yaml"
    path.write_text(dump_portfolio(accounts, format="yaml", currency="EUR"), encoding="utf-8")
    limit = path.stat().st_size + 1

    def fast() -> tuple[Account, ...]:
        return read_portfolio(path, max_bytes=limit)

    def slow() -> tuple[Account, ...]:
        return documents._read_document(path, limit, fast=False).accounts  # noqa: SLF001 - as above

    if fast() != tuple(accounts):
        raise SystemExit("read_portfolio did not give back the accounts written (YAML)")
    times = interleaved(runs, fast, *([slow] if detailed else []))
    return path.stat().st_size, times[0], times[1] if detailed else None


if __name__ == "__main__":
    main(sys.argv[1:])
