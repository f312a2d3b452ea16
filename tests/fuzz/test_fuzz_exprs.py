"""Harness 2: random well-typed expressions, evaluated by generated code and the interpreter.

Both evaluators must give the same value, or both raise a located `EvaluationError`; a policy
using the expression (as a step condition and in the priority score) must plan.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from arcollect import Account, EvaluationError, Policy, facts, parse_policy
from fuzz.common import AS_OF
from fuzz.exprgen import TYPES, by_type
from fuzz.oracle import Campaign, location_problem
from strategies import accounts

pytestmark = pytest.mark.fuzz_harness("exprs")

_BATCH = settings(
    max_examples=25,
    database=None,
    deadline=None,
    derandomize=False,
    suppress_health_check=list(HealthCheck),
)

#: How each type becomes a condition and a score of the planning policy.
_AS_BOOL = {
    "number": "x > 10",
    "money": "x > 100 EUR",
    "duration": "x > 7 days",
    "date": "x < today",
    "bool": "x",
}
_AS_SCORE = {
    "number": "x",
    "money": "x / 1 EUR",
    "duration": "days(x)",
    "date": "days(today - x)",
    "bool": "(1 if x else 0)",
}


def let_policy(expr: str) -> str:
    return f'policy "fuzz" version 1\n  currency EUR\nlet x = {expr}\n'


def plan_policy(expr: str, kind: str) -> str:
    return (
        let_policy(expr)
        + "timeline t for all\n"
        + f'  step remind 1 day past due email "r" when {_AS_BOOL[kind]}\n'
        + "  step ring 10 days past due call per invoice\n"
        + f"priority\n  score {_AS_SCORE[kind]}\n"
    )


def repro(text: str, acct: Account, call: str) -> str:
    return (
        "from datetime import date\nfrom decimal import Decimal\n"
        "from arcollect import *\nfrom arcollect.domain.records import *\n"
        f"policy = parse_policy({text!r}, name='t.arc')\nacct = {acct!r}\n{call}"
    )


def _attempt(fn: Callable[[], Any]) -> Callable[[], tuple[str, Any]]:
    def run() -> tuple[str, Any]:
        try:
            return ("value", fn())
        except EvaluationError as exc:
            if location_problem(exc) is not None:
                raise
            return ("error", str(exc))

    return run


def exercise(c: Campaign, expr: str, kind: str, acct: Account, as_of: date) -> None:
    """Evaluate *expr* both ways on *acct*, then plan a policy that uses it."""
    text = let_policy(expr)
    policy: Policy | None = c.run(
        lambda: parse_policy(text, name="t.arc"),
        lambda: repro(text, acct, "# parse_policy raised"),
    )
    if policy is None:
        return
    typed = policy.checked.lets["x"]
    f = c.run(lambda: facts(acct, as_of), lambda: repro(text, acct, f"facts(acct, {as_of!r})"))
    if f is None:
        return
    fast = c.run(
        _attempt(lambda: policy.compile(typed)(f)),
        lambda: repro(
            text, acct, f"policy.compile(policy.checked.lets['x'])(facts(acct, {as_of!r}))"
        ),
    )
    slow = c.run(
        _attempt(lambda: policy.trace(typed, f)[0]),
        lambda: repro(
            text, acct, f"policy.trace(policy.checked.lets['x'], facts(acct, {as_of!r}))"
        ),
    )
    if (
        fast is not None
        and slow is not None
        and (fast[0] != slow[0] or (fast[0] == "value" and fast[1] != slow[1]))
    ):
        c.wrong(
            "evaluators disagree",
            "lang/compiler.py:Program/Interpreter",
            f"{kind} `{expr}`: generated code {fast!r}, interpreter {slow!r}",
            lambda: repro(
                text,
                acct,
                "t = policy.checked.lets['x']; f = facts(acct, date(2026, 11, 23))\n"
                "print(policy.compile(t)(f), policy.trace(t, f)[0])",
            ),
        )
    ptext = plan_policy(expr, kind)
    planning: Policy | None = c.run(
        lambda: parse_policy(ptext, name="t.arc"), lambda: repro(ptext, acct, "# parse")
    )
    if planning is None:
        return

    def plan() -> None:
        p = planning.plan([acct], as_of=as_of)
        p.to_json()
        p.explain(acct.id)

    c.run(
        plan, lambda: repro(ptext, acct, f"policy.plan([acct], as_of={as_of!r}).explain(acct.id)")
    )


class TestTypedExpressions:
    def test_generated_code_and_interpreter_agree(
        self, campaign: Campaign, fuzz_seed_value: int
    ) -> None:
        """Every well-typed expression has one value in both evaluators, or both raise a located EvaluationError."""  # noqa: E501
        for batch in itertools.count():
            if not campaign.time_left():
                break

            @seed(fuzz_seed_value + batch)
            @_BATCH
            @given(
                data=st.data(),
                acct=st.one_of(accounts(currency="EUR"), accounts(currency="EUR"), accounts()),
            )
            def run(data: st.DataObject, acct: Account) -> None:
                kind = data.draw(st.sampled_from(TYPES))
                expr = data.draw(by_type(kind))
                exercise(campaign, expr, kind, acct, AS_OF)

            run()
        campaign.check()
