"""Benchmark the rule language: front-end speed, and compiled evaluation against hand-written code.

1. Parse + check + compile a generated 2,000-line policy (target: under 1 s): one written like
   rules/standard.arc, and a dense stress test of long compound conditions.
2. The priority score and the step, pause and channel conditions of rules/standard.arc,
   compiled, evaluated over 100,000 generated fact records, against the same logic written by
   hand in Python in the same run, on the same records (target: at most 1.5x). The two are
   checked to agree on every record before they are timed.

Usage: ``python benchmarks/lang_bench.py [RECORDS]``.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from _timing import interleaved

from arcollect import Account, Activity, Dispute, Invoice, Money, Payment, Promise, facts
from arcollect.domain import Channel, Outcome
from arcollect.facts import AccountFacts
from arcollect.lang.ir import TExpr
from arcollect.lang.parser import parse
from arcollect.policy import Policy, load_policy

ROOT = Path(__file__).parent.parent
AS_OF = date(2026, 11, 23)


def realistic_policy(lines: int) -> str:
    """Return a policy of *lines* lines written like rules/standard.arc.

    The lets, segments and timelines of the standard policy (comments and blank lines
    included) are repeated under new names, then its channel and priority sections close the
    file at *lines* lines.
    """
    text = (ROOT / "rules" / "standard.arc").read_text(encoding="utf-8")
    header, _, body = text.partition("\n\n")
    body, _, sections = body.partition("\n# Which channel")
    sections = "# Which channel" + sections.split("\nexpect ")[0]
    names = ("small_balance", "key", "new", "standard", "key_accounts")
    rename = [re.compile(rf"(?<![\w.]){name}(?![\w])") for name in names]
    tail = sections.replace("key", "key_0").splitlines()
    out = header.splitlines()
    i = 0
    while len(out) + len(tail) < lines:
        copy = body
        for name, pattern in zip(names, rename, strict=True):
            copy = pattern.sub(f"{name}_{i}", copy)
        out += ["", *copy.splitlines()]
        i += 1
    out = out[: lines - len(tail)]
    return "\n".join(out + tail) + "\n"


def dense_policy(lines: int) -> str:
    """Return a stress policy of *lines* long lines: 10-step timelines of compound conditions."""
    out = ['policy "Generated" version 1', "  currency EUR", "  locale en_US"]
    i = 0
    while len(out) < lines:
        out.append(
            f"let big_{i} = overdue >= {(1000 + i) * 1000:,} EUR and days_past_due > {i % 90}"
        )
        out.append(f'segment seg_{i} when account.tags contains "t{i}" or big_{i}')
        out.append(f"timeline t_{i} for segment seg_{i}")
        out.append("  pause while promise.active or dispute.open")
        out.append("  min gap 3 days between contacts")
        out.extend(
            f'  step s{k} {k * 10 + 1} days past due email "tpl_{k}" '
            f"when overdue >= {k + 1}00 EUR and not big_{i} "
            f"and count(invoices where days_past_due > {k * 5}) >= 1"
            for k in range(10)
        )
        i += 1
    return "\n".join(out[:lines]) + "\n"


def front_end(text: str, runs: int = 5) -> tuple[float, float, float, int]:
    """Time parse, check and compile (all step conditions) of *text*; best of *runs* each."""
    best = [float("inf")] * 3
    conditions: list[TExpr] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        tree = parse(text, source_name="generated.arc")
        t1 = time.perf_counter()
        policy = Policy.from_tree(tree, source=text, source_name="generated.arc")
        t2 = time.perf_counter()
        conditions = [
            s.when for t in policy.checked.timelines for s in t.steps if s.when is not None
        ]
        policy.compiled.program.compile_many(conditions)
        t3 = time.perf_counter()
        best = [min(b, t) for b, t in zip(best, (t1 - t0, t2 - t1, t3 - t2), strict=True)]
    return best[0], best[1], best[2], len(conditions)


def generate_accounts(n: int, seed: int = 11) -> list[Account]:
    """Return *n* varied accounts (seeded): invoices, payments, promises, disputes, contacts."""
    rnd = random.Random(seed)
    accounts = []
    for a in range(n):
        invoices = []
        payments = []
        for i in range(rnd.randint(1, 4)):
            issued = AS_OF - timedelta(days=rnd.randint(0, 200))
            amount = Money(Decimal(rnd.randint(1_000, 5_000_000)).scaleb(-2), "EUR")
            invoices.append(
                Invoice(f"I{i}", issued=issued, due=issued + timedelta(30), amount=amount)
            )
            if rnd.random() < 0.3:
                payments.append(
                    Payment(issued + timedelta(rnd.randint(5, 60)), amount, applies_to=[f"I{i}"])
                )
        promises = []
        if rnd.random() < 0.3:
            made = AS_OF - timedelta(rnd.randint(0, 40))
            promises.append(Promise(made, Money(500, "EUR"), made + timedelta(rnd.randint(0, 20))))
        disputes = []
        if rnd.random() < 0.1:
            disputes.append(Dispute(AS_OF - timedelta(rnd.randint(0, 30)), invoices=["I0"]))
        activities = []
        if rnd.random() < 0.5:
            activities.append(
                Activity(
                    AS_OF - timedelta(rnd.randint(0, 60)),
                    rnd.choice([Channel.CALL, Channel.EMAIL]),
                    outcome=rnd.choice(list(Outcome)),
                )
            )
        accounts.append(
            Account(
                f"C-{a}",
                "EUR",
                tags=frozenset(rnd.sample(["key", "wholesale", "retail"], rnd.randint(0, 2))),
                credit_limit=Money(rnd.choice([10_000, 100_000, 300_000]), "EUR")
                if rnd.random() < 0.8
                else None,
                invoices=invoices,
                payments=payments,
                promises=promises,
                disputes=disputes,
                activities=activities,
            )
        )
    return accounts


def _eur(amount: int) -> Money:
    return Money(Decimal(amount), "EUR")


K250, K1000, K100, K25000, K5000, K250K, K0 = map(_eur, (250, 1000, 100, 25000, 5000, 250_000, 0))
IRATE = Outcome.IRATE


def hand_written(f: AccountFacts) -> tuple[Any, ...]:
    """Compute the standard policy's score and conditions, written by hand."""
    limit = f.account.credit_limit
    key = "key" in f.account.tags or (limit is not None and limit >= K250K)
    small = f.overdue < K250
    overdue = f.overdue
    last = f.last_contact
    return (
        # step conditions, in the order of the policy: demand, agency, attorney (when); courtesy
        # (unless); the pauses of both timelines; the channel rule; the score.
        overdue >= K100,
        overdue >= K1000 and not key,
        overdue >= K25000,
        small,
        f.promise is not None and f.promise.active,
        f.dispute_open and f.undisputed_overdue == K0,
        (f.promise is not None and f.promise.active) or f.dispute_open,
        overdue >= K5000 or key or (last is not None and last.outcome == IRATE),
        overdue / K1000 * 10
        + f.days_past_due * 2
        + f.promises_broken * 15
        + (50 if key else 0)
        - (100 if f.dispute_open else 0),
    )


def standard_exprs(policy: Policy) -> list[Any]:
    """Return the standard policy's expressions, in the order `hand_written` computes them."""
    steps = {s.name: s for t in policy.checked.timelines for s in t.steps}
    standard, key_accounts = policy.checked.timelines
    channel_call = policy.checked.channel[0].condition
    return [
        steps["demand"].when,
        steps["agency"].when,
        steps["attorney"].when,
        standard.steps[0].unless,
        standard.pause_while[0],
        standard.pause_while[1],
        key_accounts.pause_while[0],
        channel_call,
        policy.checked.priority.score,
    ]


def main(argv: Sequence[str]) -> None:
    """Run both benchmarks and print the report."""
    records = int(argv[0]) if argv else 100_000
    for label, text in (
        ("like rules/standard.arc", realistic_policy(2_000)),
        ("dense stress test", dense_policy(2_000)),
    ):
        parse_t, check_t, compile_t, n_cond = front_end(text)
        size = f"{len(text) / 1e3:.0f} kB, {n_cond} step conditions"
        print(f"front end, 2,000-line policy {label} ({size}), best of 5:")
        print(f"  parse {parse_t:.3f} s + check {check_t:.3f} s + compile {compile_t:.3f} s")
        print(f"  = {parse_t + check_t + compile_t:.3f} s")

    policy = load_policy(ROOT / "rules" / "standard.arc")
    compiled = policy.compiled.program.compile_many(standard_exprs(policy)).fast
    start = time.perf_counter()
    all_facts = [facts(a, AS_OF) for a in generate_accounts(records)]
    setup = time.perf_counter() - start
    for f in all_facts:  # the two must agree before they are compared
        if compiled(f) != hand_written(f):
            raise SystemExit(f"compiled and hand-written disagree on {f.account.id}")
    t_hand, t_comp = interleaved(
        7,
        lambda: [hand_written(f) for f in all_facts],
        lambda: [compiled(f) for f in all_facts],
    )
    print(f"evaluation, standard policy score + 8 conditions, {records:,} fact records")
    print(f"  (facts derived once beforehand in {setup:.1f} s; results agree on every record)")
    print(f"  hand-written Python: {t_hand:.3f} s (best of 7, taking turns, GC on)")
    print(f"  compiled policy:     {t_comp:.3f} s")
    print(f"  ratio compiled / hand-written: {t_comp / t_hand:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
