"""Charges in the plan: the interest and fees of an account, and the fees today's actions charge.

A policy's ``charges`` section (`CheckedCharges`) and the rate tables its caller supplies make a
`Charging`. For each account it

1. reads the fees already charged from the account's activities: an activity whose ``step`` is
   a fee's key (``fee.invoice``, ``fee.letter``, ...) is that fee, charged on its date, on its
   ``invoice`` if it names one, else on the account;
2. works out the interest and fees as of the plan's date (`arcollect.charges.account_charges`)
   and puts them in the facts, so that ``interest``, ``fees`` and ``claim`` can be read;
3. adds to today's actions the fees they charge: a fee ``with CHANNEL`` rides on each action of
   that channel; a fee ``per invoice`` is charged once for each overdue invoice not charged it
   before, with the account's first action of the day (no action, no charge: it waits for the
   next one). A fee applies only while its ``when`` holds (and its ``unless`` does not).

Once an action is done, `PlannedAction.logged` gives the activities to record, fees included,
so that a fee is never charged twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from arcollect.charges import Fee, RateTable, account_charges
from arcollect.engine.actions import Candidate
from arcollect.engine.model import PlannedCharge
from arcollect.errors import DataError, EvaluationError
from arcollect.facts import AccountFacts
from arcollect.lang.ir import CheckedCharges, CheckedFee
from arcollect.lang.program import CompiledPolicy

__all__ = ["Charging"]


@attrs.frozen
class Charging:
    """A policy's charges with the rate tables they need, ready for the planner."""

    charges: CheckedCharges
    rates: Mapping[str, RateTable]
    policy: CompiledPolicy = attrs.field(repr=False)

    @classmethod
    def of(cls, policy: CompiledPolicy, rates: Mapping[str, RateTable] | None) -> Charging | None:
        """Return the charging of *policy* (None if it charges nothing), checking *rates*.

        Raise `DataError` naming any rate table the policy needs that *rates* lacks.
        """
        charges = policy.checked.charges
        given = dict(rates or {})
        for name, table in given.items():
            if not isinstance(table, RateTable):
                raise DataError.at(
                    f"rates[{name!r}]",
                    f"expected a RateTable, got {type(table).__name__} "
                    "(read a file with arcollect.charges.parse_rates)",
                )
        if charges is None:
            return None
        for name in charges.tables:
            if name not in given:
                known = ", ".join(sorted(given)) or "none"
                raise DataError.at(
                    "rates",
                    f"the policy {policy.checked.source_name} charges interest above the rate "
                    f"table {name!r}, which was not given (given: {known}); pass "
                    f"rates={{{name!r}: ...}} or --rates FILE",
                )
        return cls(charges, given, policy)

    def facts(self, f: AccountFacts) -> AccountFacts:
        """Return *f* with the account's interest and fees as of its date."""
        acct = f.account
        by_key = {fee.key: fee for fee in self.charges.fees}
        on_invoices: dict[str, list[Fee]] = {}
        on_account: list[Fee] = []
        for act in f.activities:
            fee = by_key.get(act.step or "")
            if fee is None:
                continue
            self._same_currency(fee, f)
            charged = Fee(act.date, fee.amount, fee.key)
            if act.invoice is None:
                on_account.append(charged)
            else:
                on_invoices.setdefault(act.invoice, []).append(charged)
        charges = account_charges(
            acct,
            f.as_of,
            rule=self.charges.interest,
            rates=self.rates,
            invoice_fees=on_invoices,
            account_fees=on_account,
            allocation=self.charges.payments,
        )
        return attrs.evolve(f, charges=charges)

    def charge(self, candidates: Sequence[Candidate], f: AccountFacts) -> list[Candidate]:
        """Return *candidates* with the fees each charges today."""
        if not candidates or not self.charges.fees:
            return list(candidates)
        applies = self.policy.fees_apply(f)
        added: dict[int, list[PlannedCharge]] = {}
        first = min(range(len(candidates)), key=lambda i: candidates[i].rank)
        charged = {(a.step, a.invoice) for a in f.activities}
        for fee, applied in zip(self.charges.fees, applies, strict=True):
            if not applied:
                continue
            self._same_currency(fee, f)
            if fee.basis == "invoice":
                added.setdefault(first, []).extend(
                    PlannedCharge(fee.key, fee.amount, inv.number, fee.text)
                    for inv in f.invoices
                    if inv.overdue and (fee.key, inv.number) not in charged
                )
                continue
            for i, cand in enumerate(candidates):
                if str(cand.action.channel) == fee.basis:
                    line = PlannedCharge(fee.key, fee.amount, cand.action.invoice, fee.text)
                    added.setdefault(i, []).append(line)
        return [
            attrs.evolve(c, action=attrs.evolve(c.action, charges=added[i])) if i in added else c
            for i, c in enumerate(candidates)
        ]

    @staticmethod
    def _same_currency(fee: CheckedFee, f: AccountFacts) -> None:
        if fee.amount.currency != f.currency:
            raise EvaluationError(
                f"the fee `{fee.text}` is in {fee.amount.currency}, the account in "
                f"{f.currency}: write the policy's fees in the account's currency",
                account=f.account.id,
            )
