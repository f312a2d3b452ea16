"""Harness 8: mutated tables (CSV files) read and planned by the columnar engine.

`arcollect.frame.read_tables` either returns tables or refuses them with a located `DataError`
(file, row, column). Tables it returns are planned by `frame.plan` or refused with a located
error, never a traceback; and where both `frame.plan` and the row engine (over
`Tables.to_accounts`) plan them, the two plans are the same, byte for byte.
"""

from __future__ import annotations

import functools
import random
import tempfile
from pathlib import Path

import pytest

from arcollect import Policy, parse_policy
from fuzz.common import AS_OF, rule_files, small_portfolio
from fuzz.mutate import mutate_text
from fuzz.oracle import Campaign

pl = pytest.importorskip("polars")

from arcollect import frame  # noqa: E402 - needs polars


@functools.cache
def standard() -> Policy:
    return parse_policy(dict(rule_files())["standard.arc"], name="standard.arc")


@functools.cache
def tables_text() -> dict[str, str]:
    """The example portfolio's tables, as the CSV files `Tables.write` writes."""
    with tempfile.TemporaryDirectory() as tmp:
        frame.Tables.from_accounts(small_portfolio()).write(tmp, format="csv")
        return {p.name: p.read_text("utf-8") for p in sorted(Path(tmp).iterdir())}


def _plans(c: Campaign, files: dict[str, str]) -> None:
    """Read and plan the *files* under the oracle; compare the columnar and row plans."""

    def repro() -> str:
        lines = ["import pathlib, tempfile", "d = pathlib.Path(tempfile.mkdtemp())"]
        lines += [f"(d / {name!r}).write_text({text!r})" for name, text in files.items()]
        lines.append("from arcollect import frame; frame.read_tables(d)")
        return "\n".join(lines)

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, "utf-8")
        tables = c.run(lambda: frame.read_tables(tmp), repro)
    if tables is None:
        return
    policy = standard()
    columnar = c.run(lambda: frame.plan(policy, tables, AS_OF), repro)
    accounts = c.run(tables.to_accounts, repro)
    if columnar is None or accounts is None:
        return
    row = c.run(lambda: policy.plan(accounts, as_of=AS_OF), repro)
    if row is None:
        return
    if columnar.to_json() != row.to_json():
        c.wrong("frame plan", "frame.plan", "the columnar plan differs from the row plan", repro)
        return
    for state in row.states:
        if columnar.explain(state.account) != row.explain(state.account):
            message = f"the explanations of {state.account} differ"
            c.wrong("frame explain", "frame.plan", message, repro)
            return


@pytest.mark.fuzz_harness("frame")
class TestTables:
    def test_mutated_csv_tables(self, campaign: Campaign, rng: random.Random) -> None:
        """Every mutant of the example's CSV tables is read and planned alike by both engines, or refused with a located problem."""  # noqa: E501
        base = tables_text()
        while campaign.time_left():
            files = dict(base)
            for name in rng.sample(sorted(files), rng.randint(1, 2)):
                files[name] = mutate_text(files[name], rng, extra_tokens=(",", '"', "[]"))
            _plans(campaign, files)
        campaign.check()
