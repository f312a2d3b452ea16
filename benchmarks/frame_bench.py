"""Benchmark the columnar engine: `arcollect.frame.plan` from Parquet, against hand-written code.

The seeded portfolio of `plan_bench.generate` (N accounts, default 100,000: 10 invoices each on
average) is turned into tables with `Tables.from_accounts` and written to Parquet once, untimed.
Then, taking turns, GC on, best of N (`_timing.interleaved`):

- **columnar**: `read_tables(directory)` and `frame.plan(policy, tables, as_of)`, end to end from
  the Parquet files to the `Plan`;
- **hand-written**: `plan_bench.hand_written_plan` over the already parsed records;
- **row engine**: ``policy.plan`` over the same parsed records;
- **records from the tables**: `read_tables(directory).to_accounts()` (what the fallback path
  and a user reading tables as records pay), and the same followed by ``policy.plan``: the
  row engine from the same files;
- **the floor**: `read_tables(directory)` alone, and the plan's own objects (`plain_plan`: its
  states, actions, contacts, amounts and explanations made again from plain values by their
  public constructors). What any engine returning this `Plan` from these files pays at least.

Before timing, the columnar plan is checked against the baseline on every account
(`plan_bench.compare`) and against ``policy.plan`` of the records, byte for byte (its JSON);
``--no-row`` skips the latter (the row engine takes a while at 100,000 accounts). The target is
at most 0.5x.

Usage: ``python benchmarks/frame_bench.py [ACCOUNTS] [--no-row]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _timing import interleaved
from plan_bench import AS_OF, ROOT, compare, generate, hand_written_plan

from arcollect import Money, frame
from arcollect.engine.explain import Explanation
from arcollect.engine.model import AccountState, ContactRef, Plan, PlannedAction
from arcollect.policy import load_policy

#: The fields of `AccountState` and `PlannedAction` that `plain_plan` makes again.
_STATE = (
    "account", "timeline", "episode_start", "day", "step_reached", "steps_done",
    "steps_skipped", "paused_by", "next_step", "next_date", "priority", "tier", "overdue",
    "notes", "error", "cycle_start",
)  # fmt: skip
_ACTION = (
    "account", "step", "timeline", "action", "channel", "contact", "template", "due",
    "priority", "tier", "needs_approval", "deferred", "invoice", "explanation", "channel_rule",
    "charges", "owner", "cc", "owner_rule",
)  # fmt: skip


def _contact(c: ContactRef) -> tuple[str, str | None, str | None, str | None]:
    return (c.name, c.role, c.phone, c.email)


def _plain(name: str, value: Any) -> Any:
    """Return the field *name*'s *value* as plain data: amounts and contacts as tuples."""
    if name == "overdue":
        return (value.amount, value.currency)
    if name == "contact":
        return None if value is None else _contact(value)
    if name == "cc":
        return tuple(_contact(c) for c in value)
    return value  # the explanation is its lines already


def _made(name: str, value: Any) -> Any:
    """Return the field *name*'s value that `_plain` made *value* of, by public constructors."""
    if name == "overdue":
        return Money(*value)
    if name == "contact":
        return None if value is None else ContactRef(*value)
    if name == "cc":
        return tuple(ContactRef(*c) for c in value)
    if name == "explanation":
        return Explanation(value)
    return value


def plain_plan(plan: Plan) -> Callable[[], Plan]:
    """Return what makes *plan* again from plain values (tuples, Decimals, texts, dates).

    Its states, actions, contacts, amounts and explanations (as lines), each made by its public
    constructor: the floor of an engine whose result is this `Plan`.
    """
    states = [{k: _plain(k, getattr(s, k)) for k in _STATE} for s in plan.states]
    actions = [{k: _plain(k, getattr(a, k)) for k in _ACTION} for a in plan.actions]
    as_of, name = plan.as_of, plan.policy

    def build() -> Plan:
        made_states = [AccountState(**{k: _made(k, v) for k, v in s.items()}) for s in states]
        made_actions = [PlannedAction(**{k: _made(k, v) for k, v in a.items()}) for a in actions]
        return Plan(as_of, name, tuple(made_actions), tuple(made_states))

    again = build()
    if again != plan or [a.explanation for a in again.actions] != [
        a.explanation for a in plan.actions
    ]:
        raise SystemExit("the plan made from plain values differs from the plan")
    return build


def main(argv: Sequence[str]) -> None:
    """Generate, write, check and time; print the report."""
    args = [a for a in argv if not a.startswith("-")]
    n = int(args[0]) if args else 100_000
    runs = 3
    policy = load_policy(ROOT / "rules" / "standard.arc")
    start = time.perf_counter()
    accounts = generate(n)
    tables = frame.Tables.from_accounts(accounts)
    setup = time.perf_counter() - start
    invoices = tables.invoices.height
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        tables.write(directory)
        size = sum(f.stat().st_size for f in directory.iterdir()) / 2**20
        del tables

        def columnar() -> Plan:
            return frame.plan(policy, frame.read_tables(directory), AS_OF)

        def baseline() -> object:
            return hand_written_plan(accounts, AS_OF)

        def row_engine() -> object:
            return policy.plan(accounts, as_of=AS_OF)

        def records() -> object:
            return frame.read_tables(directory).to_accounts()

        def records_planned() -> object:
            return policy.plan(frame.read_tables(directory).to_accounts(), as_of=AS_OF)

        plan = columnar()
        compare(plan, hand_written_plan(accounts, AS_OF))
        if (
            "--no-row" not in argv
            and plan.to_json() != policy.plan(accounts, as_of=AS_OF).to_json()
        ):
            raise SystemExit("the columnar plan differs from policy.plan")
        split = frame.split(policy, frame.read_tables(directory), AS_OF)
        objects = plain_plan(plan)
        del plan
        if frame.read_tables(directory).to_accounts() != tuple(accounts):
            raise SystemExit("to_accounts does not give the accounts written")

        def tables_only() -> object:
            return frame.read_tables(directory)

        t_frame, t_base, t_row, t_records, t_both, t_read, t_objects = interleaved(
            runs, columnar, baseline, row_engine, records, records_planned, tables_only, objects
        )

    row = "" if "--no-row" in argv else ", and policy.plan byte for byte"
    print(f"frame.plan from Parquet, rules/standard.arc as of {AS_OF}:")
    print(f"  {n:,} accounts, {invoices:,} invoices; {size:,.0f} MB of Parquet")
    print(f"  (generated and written in {setup:.1f} s; agrees with the hand-written plan{row})")
    print(
        f"  vectorised {len(split.vectorised):,} accounts, replayed {len(split.replayed):,}, "
        f"fell back to the row engine {len(split.fallback):,}"
    )
    print("  (the records read back from the tables equal those written)")
    print(f"  hand-written Python (parsed records):   {t_base:.2f} s (best of {runs}, GC on)")
    print(f"  policy.plan (parsed records):           {t_row:.2f} s  {t_row / t_base:.2f}x")
    print(f"  frame.plan (Parquet to Plan):           {t_frame:.2f} s  {t_frame / t_base:.2f}x")
    print(f"  read_tables + to_accounts:              {t_records:.2f} s  {t_records / t_base:.2f}x")
    print(f"  read_tables + to_accounts + policy.plan: {t_both:.2f} s  {t_both / t_base:.2f}x")
    print(f"  floor: read_tables alone:               {t_read:.2f} s  {t_read / t_base:.2f}x")
    print(f"  floor: the plan's objects, made again:  {t_objects:.2f} s  {t_objects / t_base:.2f}x")
    print(f"  ratio columnar / hand-written: {t_frame / t_base:.2f}x (target: under 0.5x)")
    print(f"  ratio columnar / row engine over parsed records: {t_frame / t_row:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
