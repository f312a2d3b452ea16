"""The front: a rule file parsed, checked and compiled into a `Policy`, ready to plan.

This is the one module that composes the rule language (`arcollect.lang`: parse, check,
compile) and the engine (`arcollect.engine`: plan). Below it nothing imports upward.

>>> policy = parse_policy('''
... policy "Tiny" version 1
...   currency EUR
... let big = overdue >= 10,000 EUR
... timeline standard for all
...   step reminder 1 day past due email "friendly_reminder"
... ''', name="tiny.arc")
>>> policy.name, [s.name for s in policy.checked.timelines[0].steps]
('Tiny', ['reminder'])
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from arcollect._suggest import did_you_mean
from arcollect.charges import RateTable
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.actions import DISPUTE_REVIEW, PROMISE_FOLLOW_UP
from arcollect.engine.fees import Charging
from arcollect.engine.model import Plan
from arcollect.engine.planner import PartialPlan, Planner
from arcollect.engine.timeline import RELEASE_HOLD
from arcollect.errors import Diagnostic, EvaluationError, PolicyError, Problem
from arcollect.facts import AccountFacts, InvoiceFacts, facts
from arcollect.lang import ast
from arcollect.lang.checker import check
from arcollect.lang.compiler import CompiledExpr
from arcollect.lang.interpreter import Interpreter, Trace
from arcollect.lang.ir import CheckedPolicy, TExpr, reads_invoice
from arcollect.lang.parser import parse
from arcollect.lang.program import CompiledPolicy, compile_policy

__all__ = ["Policy", "load_policy", "parse_policy"]


@attrs.frozen(eq=False)
class Policy:
    """A checked, compiled collection policy.

    ``tree`` is its syntax tree, ``checked`` the typed policy, ``compiled`` what the engine
    evaluates, ``warnings`` what the checker noticed without refusing the policy. `plan` says
    what to do on a date; `evaluate` computes any of its expressions for an account's facts;
    `trace` does the same and says what decided it.
    """

    tree: ast.PolicyFile
    checked: CheckedPolicy
    compiled: CompiledPolicy = attrs.field(repr=False)
    planner: Planner = attrs.field(repr=False)

    @classmethod
    def from_tree(
        cls, tree: ast.PolicyFile, *, source: str = "", source_name: str = "<policy>"
    ) -> Policy:
        """Check and compile a syntax tree (from `parse` or the YAML reader)."""
        checked = check(tree, source=source, source_name=source_name)
        compiled = compile_policy(checked)
        return cls(tree, checked, compiled, Planner(compiled))

    @property
    def name(self) -> str:
        """The policy's name, from its header."""
        return self.checked.name

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The checker's warnings."""
        return self.checked.warnings

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle by source (or syntax tree): a process compiles each policy once.

        The compiled functions cannot be pickled; a `Policy` travels as the text it was read
        from (its syntax tree, if it has none) and is checked and compiled again where it is
        unpickled, once per process (`_rebuild` keeps what it built).
        """
        if self.checked.source:
            return (_rebuild, (self.checked.source, self.checked.source_name, None))
        return (_rebuild, ("", self.checked.source_name, self.tree))

    def plan(
        self,
        accounts: Iterable[Account],
        *,
        as_of: date,
        rates: Mapping[str, RateTable] | None = None,
    ) -> Plan:
        """Return the plan for *accounts* on *as_of*: actions in order, and every state.

        *rates* are the rate tables, by name, that the policy's ``charges`` charge interest
        above (``interest 9% above rate "DE-base"``); one it needs and lacks is a `DataError`
        naming it. Pure and deterministic: the same policy, accounts, date and rates give the
        same plan, whatever the order of the accounts or of their records.
        """
        return self.planner.plan(accounts, as_of, rates)

    def facts(
        self,
        account: Account,
        as_of: date,
        *,
        rates: Mapping[str, RateTable] | None = None,
    ) -> AccountFacts:
        """Return what the policy reads about *account* on *as_of*, its charges included.

        Without a ``charges`` section these are `arcollect.facts`; with one, ``charges`` holds
        the interest and fees, per invoice (its periods, days, rates and amounts).
        """
        charging = Charging.of(self.compiled, rates)
        found = facts(account, as_of)
        if charging is None:
            return found
        with decimal.localcontext(MONEY_CONTEXT):
            return charging.facts(found)

    def plan_partition(
        self,
        accounts: Iterable[Account],
        *,
        as_of: date,
        rates: Mapping[str, RateTable] | None = None,
    ) -> PartialPlan:
        """Run the per-account phase of `plan` over a share of the portfolio.

        Partition the portfolio by account, plan each share anywhere (a `PartialPlan` and the
        `Policy` both pickle), and `combine` the shares: the result is `plan` of the whole,
        byte for byte. See docs/scale.md.
        """
        return self.planner.partition(accounts, as_of, rates)

    def combine(self, partials: Iterable[PartialPlan]) -> Plan:
        """Run the global phase of `plan` (tiers, order, call capacity) over all the shares."""
        return self.planner.combine(partials)

    def validate(self, accounts: Iterable[Account]) -> tuple[Problem, ...]:
        """Return what in *accounts* this policy does not know, as warnings (never raised).

        A contact role the policy does not know (`CheckedPolicy.roles`), an activity's
        ``timeline`` naming no timeline of the policy, and an activity's ``step`` naming no step
        (of its timeline if it names one, else of any; the engine's own ``promise_follow_up``,
        ``dispute_review`` and ``release_hold`` always count, and so do the keys of the
        policy's fees, ``fee.invoice`` say). Paths are the data readers'
        (``accounts[3].activities[0].step``), in the order of the accounts and their records.
        """
        roles = self.checked.roles
        timelines = {t.name: {s.name for s in t.steps} for t in self.checked.timelines}
        engine_steps = {PROMISE_FOLLOW_UP, DISPUTE_REVIEW, RELEASE_HOLD}
        if self.checked.charges is not None:  # fees charged are logged under their keys
            engine_steps |= {fee.key for fee in self.checked.charges.fees}
        every_step = set().union(*timelines.values(), engine_steps)
        problems: list[Problem] = []
        for i, account in enumerate(accounts):
            at = f"accounts[{i}]"
            for j, contact in enumerate(account.contacts):
                problems.extend(
                    Problem(f"{at}.contacts[{j}].roles", _unknown("role", role, roles))
                    for role in sorted(contact.roles - roles)
                )
            for j, activity in enumerate(account.activities):
                steps = every_step
                if activity.timeline is not None:
                    if activity.timeline in timelines:
                        steps = timelines[activity.timeline] | engine_steps
                    else:
                        message = _unknown("timeline", activity.timeline, timelines)
                        problems.append(Problem(f"{at}.activities[{j}].timeline", message))
                if activity.step is not None and activity.step not in steps:
                    where = "" if steps is every_step else f" in timeline {activity.timeline!r}"
                    message = _unknown("step", activity.step, steps, where)
                    problems.append(Problem(f"{at}.activities[{j}].step", message))
        return tuple(problems)

    @property
    def interpreter(self) -> Interpreter:
        """The reference interpreter of the policy's expressions."""
        return self.compiled.interpreter

    def compile(self, expr: TExpr) -> CompiledExpr:
        """Compile one of the policy's typed expressions."""
        return self.compiled.program.compile(expr)

    def evaluate(
        self, expr: TExpr, facts: AccountFacts, *, invoice: InvoiceFacts | None = None
    ) -> Any:
        """Evaluate one of the policy's typed expressions for *facts*.

        A condition of a ``per invoice`` step that reads ``invoice.FIELD`` needs *invoice*, one
        of ``facts.invoices``.
        """
        if reads_invoice(expr):
            return self.compiled.interpreter.evaluate(
                expr, facts, invoice=_needed(expr, facts, invoice)
            )
        return self.compile(expr)(facts)

    def trace(
        self, expr: TExpr, facts: AccountFacts, *, invoice: InvoiceFacts | None = None
    ) -> tuple[Any, Trace]:
        """Evaluate *expr* for *facts* (and *invoice*), returning its value and what decided it.

        (`Plan.explain` says why a plan holds what it does for an account.)
        """
        if reads_invoice(expr):
            invoice = _needed(expr, facts, invoice)
        return self.compiled.interpreter.trace(expr, facts, invoice=invoice)


def _needed(expr: TExpr, facts: AccountFacts, invoice: InvoiceFacts | None) -> InvoiceFacts:
    """Return *invoice*, which *expr* reads; refuse None."""
    if invoice is None:
        raise EvaluationError(
            f"`{expr.text}` reads `invoice.`: pass the invoice, one of the facts' invoices "
            "(invoice=facts.invoices[0])",
            account=facts.account.id,
        )
    return invoice


def _unknown(what: str, word: str, known: Iterable[str], where: str = "") -> str:
    """Return "unknown WHAT 'word'" and, if one is close, the known word it may mean."""
    message = f"unknown {what} {word!r}{where}"
    hint = did_you_mean(word, known)
    return f"{message}; {hint}" if hint else message


_REBUILT: dict[tuple[str, str], Policy] = {}


def _rebuild(source: str, source_name: str, tree: ast.PolicyFile | None) -> Policy:
    """Unpickle a `Policy`: parse, check and compile it, once per process for one source."""
    if tree is not None:
        return Policy.from_tree(tree, source_name=source_name)
    key = (source_name, source)
    found = _REBUILT.get(key)
    if found is None:
        found = _REBUILT[key] = parse_policy(source, name=source_name)
    return found


def parse_policy(text: str | bytes, *, name: str = "<policy>") -> Policy:
    """Parse, check and compile the rule text *text*; *name* is used in error messages.

    A name ending in ``.yaml`` or ``.yml`` reads the text as a YAML rule file.
    Raise `PolicyError` listing every error of the file.
    """
    if name.endswith((".yaml", ".yml")):
        from arcollect.lang.yaml_rules import parse_yaml_policy  # noqa: PLC0415 - optional path

        tree, source = parse_yaml_policy(text, source_name=name)
    else:
        tree = parse(text, source_name=name)
        source = text if isinstance(text, str) else text.decode("utf-8")
    return Policy.from_tree(tree, source=source, source_name=name)


def load_policy(path: str | Path) -> Policy:
    """Read and compile the rule file at *path* (``.arc``, ``.yaml`` or ``.yml``)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PolicyError([Diagnostic(exc.strerror or str(exc), None, str(p))], None) from None
    return parse_policy(data, name=str(p))
