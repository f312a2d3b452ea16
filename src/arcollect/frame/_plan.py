"""The columnar engine: a plan from tables, the facts worked out with polars.

The per-account phase has two paths:

- **vectorised** accounts: their facts are computed with polars over the whole table at once
  (payment allocation, open amounts, overdue, days past due, the delinquency episode, the last
  payment and the last contact), and the row engine's decision stage (segments, timeline,
  channel, contacts, score) runs on those `AccountFacts`, built without the account's invoice
  and payment records;
- **fallback** accounts (see `split`): built as `Account` records from their rows and planned by
  `arcollect.Policy.plan_partition`, as the row engine plans them.

Both give the same `_AccountPlan`s, so `Planner.combine` makes the same `Plan`, explanations
included.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs
import polars as pl

from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent, is_currency
from arcollect.domain.records import Activity, Channel, Collector, Contact, Outcome, Payment
from arcollect.engine.planner import PartialPlan, _AccountPlan, _failed
from arcollect.errors import (
    ArcollectError,
    CurrencyMismatchError,
    DataError,
    EvaluationError,
    Problem,
)
from arcollect.facts import (
    DEFAULT_AGING_BOUNDS,
    AccountFacts,
    AgingBucket,
    InvoiceFacts,
    _activity_key,
    _payment_key,
)
from arcollect.frame._tables import TABLES, Tables

if TYPE_CHECKING:
    from arcollect.charges import RateTable
    from arcollect.engine.model import Plan
    from arcollect.engine.planner import Planner
    from arcollect.policy import Policy

__all__ = ["Split", "partition", "plan", "split"]

#: Amounts the vectorised path reads exactly: digits, a point, at most the minor unit's decimals.
_AMOUNT: Final = r"^\d{1,15}(\.\d+)?$"
_DAY_MAX: Final = (date.max - date(1970, 1, 1)).days
_EPOCH: Final = date(1970, 1, 1)


@attrs.frozen
class Split:
    """Which accounts the columnar engine plans vectorised, and which fall back.

    *fallback* are the account ids planned by the row engine (sorted); *whole* says why the
    whole portfolio falls back (None: the policy is in the vectorised subset).
    """

    vectorised: tuple[str, ...]
    fallback: tuple[str, ...]
    whole: str | None = None


def plan(
    policy: Policy,
    tables: Tables,
    as_of: date,
    rates: Mapping[str, RateTable] | None = None,
) -> Plan:
    """Return the plan of the portfolio *tables* under *policy* on *as_of*.

    The same `Plan` as ``policy.plan(tables.to_accounts(), as_of=as_of)``, byte for byte and
    explanation for explanation. Raise `DataError` with the path of a bad value.
    """
    return policy.combine([partition(policy, tables, as_of, rates)])


def partition(
    policy: Policy,
    tables: Tables,
    as_of: date,
    rates: Mapping[str, RateTable] | None = None,
) -> PartialPlan:
    """Run the per-account phase over the accounts of *tables* (see `plan`)."""
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, got {type(as_of).__name__}")
    _check_keys(tables)
    why = _policy_outside(policy)
    if why is not None:
        return policy.plan_partition(tables.to_accounts(), as_of=as_of, rates=rates)
    work = _Work(tables, as_of)
    results: list[_AccountPlan] = []
    fallback = set(work.fallback)
    with decimal.localcontext(MONEY_CONTEXT):
        results.extend(_run(policy.planner, f, as_of) for f in work.facts(fallback))
    if fallback:
        accounts = tables.build(fallback)
        results += policy.plan_partition(accounts, as_of=as_of, rates=rates).accounts
    results.sort(key=lambda r: r.state.account)
    return PartialPlan(as_of, policy.name, tuple(results))


def split(policy: Policy, tables: Tables, as_of: date) -> Split:
    """Return which accounts of *tables* `plan` vectorises and which fall back, on *as_of*.

    An account falls back when it has promises, disputes or snoozes, a credit note, a payment
    that is not simply applied (unapplied cash, more than the invoices it names are owed, an
    invoice named by several payments of which one names several invoices), or a value the
    vectorised path does not read (an amount with more decimals than its currency has, a bad
    record: its error is then the row engine's). Every account falls back under a policy with
    ``charges``.
    """
    _check_keys(tables)
    ids = tables.accounts.get_column("account_id")
    why = _policy_outside(policy)
    if why is not None:
        return Split((), tuple(sorted(ids.to_list())), why)
    work = _Work(tables, as_of)
    fallback = set(work.fallback)
    with decimal.localcontext(MONEY_CONTEXT):
        for _ in work.facts(fallback):
            pass
    vectorised = tuple(sorted(set(ids.to_list()) - fallback))
    return Split(vectorised, tuple(sorted(fallback)))


def _policy_outside(policy: Policy) -> str | None:
    """Why the policy's plans need the row engine for every account (None: they do not)."""
    if policy.compiled.checked.charges is not None:
        return "the policy has charges (interest and fees need the account's records)"
    return None


def _check_keys(tables: Tables) -> None:
    """Refuse duplicate accounts and rows naming no account, as `Tables.to_accounts` does."""
    ids = tables.accounts.get_column("account_id")
    if ids.is_duplicated().any():
        dup = ids.filter(ids.is_duplicated())[0]
        tables.build({dup})  # raises the located error
    known = tables.accounts.select("account_id")
    for name in TABLES[1:]:
        frame = getattr(tables, name).with_row_index("_row")
        stray = frame.join(known, on="account_id", how="anti")
        if stray.height:
            row, aid = stray.get_column("_row")[0], stray.get_column("account_id")[0]
            raise DataError.at(
                f"{tables.sources.get(name, name)}[{row}].account_id",
                f"no account {aid!r} in the accounts table",
            )


def _run(planner: Planner, f: AccountFacts, as_of: date) -> _AccountPlan:
    """`Planner.account` from the facts on: the decision stage of the row engine."""
    try:
        return planner._account(f, as_of, None)  # noqa: SLF001 - the row engine's decision stage
    except (CurrencyMismatchError, ArithmeticError, EvaluationError) as exc:
        located = exc if isinstance(exc, EvaluationError) else planner.policy.locate(f)
        return _failed(
            f.account, f, f"cannot evaluate the policy for this account: {located or exc}"
        )


def _minor(amount: pl.Expr, exponent: pl.Expr) -> pl.Expr:
    """Return the amount text as integer minor units (null: not read exactly here)."""
    whole = amount.str.extract(r"^(\d+)", 1).cast(pl.Int64)
    frac = amount.str.extract(r"\.(\d+)$", 1).fill_null("")
    fits = amount.str.contains(_AMOUNT) & (frac.str.len_chars() <= exponent)
    padded = (frac + pl.lit("000000")).str.slice(0, exponent).replace("", "0").cast(pl.Int64)
    scale = pl.lit(10, dtype=pl.Int64).pow(exponent)
    return pl.when(fits).then(whole * scale + padded).otherwise(None)


class _Work:
    """The vectorised facts of one portfolio on one date, and the accounts that fall back."""

    def __init__(self, tables: Tables, as_of: date) -> None:
        self.tables, self.as_of = tables, as_of
        day = (as_of - _EPOCH).days
        acc = tables.accounts.select(
            "account_id",
            pl.col("currency").alias("acct_currency"),
        )
        currencies = acc.get_column("acct_currency").unique().to_list()
        exps = {
            c: currency_exponent(c) for c in currencies if isinstance(c, str) and is_currency(c)
        }
        acc = acc.with_columns(
            pl.col("acct_currency")
            .replace_strict(exps, default=None, return_dtype=pl.Int64)
            .alias("exp")
        )
        bad = [acc.filter(pl.col("exp").is_null()).get_column("account_id")]
        bad += [
            getattr(tables, n).get_column("account_id") for n in ("promises", "disputes", "snoozes")
        ]

        inv = (
            tables.invoices.with_row_index("_row")
            .join(acc, on="account_id", how="inner")
            .with_columns(
                _minor(pl.col("amount"), pl.col("exp")).alias("minor"),
                pl.col("issued").cast(pl.Int32).alias("issued_d"),
                pl.col("due").cast(pl.Int32).alias("due_d"),
            )
        )
        bad.append(
            inv.filter(
                pl.col("minor").is_null()
                | (pl.col("minor") <= 0)
                | (pl.col("currency") != pl.col("acct_currency"))
                | (pl.col("number").str.strip_chars() == "")
                | (pl.col("due") < pl.col("issued"))
                | pl.col("credits").is_not_null()
                | (pl.col("account").is_not_null() & (pl.col("account") != pl.col("account_id")))
                | (pl.col("due_d") >= _DAY_MAX - 1)
                | pl.struct("account_id", "number").is_duplicated()
            ).get_column("account_id")
        )
        pay = (
            tables.payments.with_row_index("_prow")
            .join(acc, on="account_id", how="inner")
            .with_columns(_minor(pl.col("amount"), pl.col("exp")).alias("minor"))
        )
        bad.append(
            pay.filter(
                pl.col("minor").is_null()
                | (pl.col("minor") <= 0)
                | (pl.col("currency") != pl.col("acct_currency"))
            ).get_column("account_id")
        )
        numbers = inv.select("account_id", "number", "issued", "minor", "due_d")
        named = (
            pay.select("_prow", "account_id", "date", "minor", "applies_to")
            .with_columns(pl.col("applies_to").list.len().alias("n_named"))
            .explode("applies_to")
            .rename({"applies_to": "number", "minor": "pay_minor"})
            .with_columns(pl.int_range(pl.len()).over("_prow").alias("pos"))
        )
        named_known = named.filter(pl.col("number").is_not_null()).join(
            numbers.select("account_id", "number"), on=["account_id", "number"], how="anti"
        )
        bad.append(named_known.get_column("account_id"))
        bad.append(
            tables.activities.filter(
                ~pl.col("channel").is_in([c.value for c in Channel])
                | ~(
                    pl.col("outcome").is_null()
                    | pl.col("outcome").is_in([o.value for o in Outcome])
                )
            ).get_column("account_id")
        )
        acts = tables.activities.filter(pl.col("invoice").is_not_null()).join(
            numbers.select("account_id", pl.col("number").alias("invoice")),
            on=["account_id", "invoice"],
            how="anti",
        )
        bad.append(acts.get_column("account_id"))

        # Payment allocation, as of the date: only payments that are simply applied.
        paid = pay.filter(pl.col("date") <= as_of)
        bad.append(paid.filter(pl.col("applies_to").list.len() == 0).get_column("account_id"))
        alloc = (
            named.filter(pl.col("date") <= as_of, pl.col("number").is_not_null())
            .join(
                numbers.filter(pl.col("issued") <= as_of).rename({"minor": "inv_minor"}),
                on=["account_id", "number"],
                how="left",
            )
            .with_columns(
                pl.len().over("account_id", "number").alias("times_named"),
                pl.col("n_named").max().over("account_id", "number").alias("most_named"),
                pl.struct("_prow", "number").is_duplicated().alias("twice"),
            )
        )
        bad.append(
            alloc.filter(
                pl.col("inv_minor").is_null()
                | pl.col("twice")
                | ((pl.col("most_named") > 1) & (pl.col("times_named") > 1))
            ).get_column("account_id")
        )
        # One payment naming several invoices pays them in order, up to each one's amount.
        alloc = alloc.sort("_prow", "pos").with_columns(
            (pl.col("inv_minor").cum_sum().over("_prow") - pl.col("inv_minor")).alias("before")
        )
        alloc = alloc.with_columns(
            pl.when(pl.col("n_named") > 1)
            .then(
                pl.min_horizontal(
                    pl.col("inv_minor"),
                    pl.max_horizontal(pl.col("pay_minor") - pl.col("before"), pl.lit(0)),
                )
            )
            .otherwise(pl.col("pay_minor"))
            .alias("take")
        )
        over_multi = (
            alloc.filter(pl.col("n_named") > 1)
            .group_by("_prow", "account_id")
            .agg(pl.col("take").sum(), pl.col("pay_minor").first())
            .filter(pl.col("take") < pl.col("pay_minor"))
        )
        bad.append(over_multi.get_column("account_id"))
        taken = alloc.group_by("account_id", "number").agg(
            pl.col("take").sum().alias("paid"),
            pl.col("date").max().alias("last_paid"),
            pl.col("inv_minor").first(),
        )
        bad.append(taken.filter(pl.col("paid") > pl.col("inv_minor")).get_column("account_id"))

        self.fallback = set(pl.concat(bad).unique().to_list())
        keep = acc.filter(~pl.col("account_id").is_in(list(self.fallback)))
        self.keep = keep

        # Open amounts, overdue and the delinquency episode of the accounts kept.
        live = (
            inv.filter(pl.col("issued") <= as_of)
            .join(keep.select("account_id"), on="account_id", how="semi")
            .join(
                taken.select("account_id", "number", "paid", "last_paid"),
                on=["account_id", "number"],
                how="left",
            )
            .with_columns(
                (pl.col("minor") - pl.col("paid").fill_null(0)).alias("open"),
            )
            .with_columns(
                pl.when(pl.col("open") <= 0)
                .then(pl.col("last_paid").cast(pl.Int32))
                .otherwise(pl.lit(_DAY_MAX, dtype=pl.Int32))
                .alias("paid_d")
            )
        )
        spans = (
            live.filter(pl.col("due_d") < day)
            .select(
                "account_id",
                (pl.col("due_d") + 1).alias("start"),
                pl.col("paid_d").alias("stop"),
            )
            .sort("account_id", "start", "stop")
            .with_columns(
                pl.col("stop").cum_max().shift(1).over("account_id").alias("end_before"),
            )
            .with_columns(
                (pl.col("end_before").is_null() | (pl.col("start") > pl.col("end_before"))).alias(
                    "new"
                )
            )
            .group_by("account_id")
            .agg(
                pl.col("start").filter(pl.col("new")).max().alias("since"),
                pl.col("stop").max().alias("end"),
            )
        )
        self.since = {
            aid: _EPOCH + timedelta(days=since)
            for aid, since, end in spans.iter_rows()
            if end > day
        }
        self.open_rows = (
            live.filter(pl.col("open") > 0)
            .sort("account_id", "due", "issued", "number")
            .select(
                "account_id",
                "number",
                "amount",
                "currency",
                "open",
                "exp",
                "issued",
                "due",
                "delivered",
                "po_number",
                "tags",
            )
        )
        last_day = paid.join(keep.select("account_id"), on="account_id", how="semi").filter(
            pl.col("date") == pl.col("date").max().over("account_id")
        )
        self.last_pays = last_day.select(
            "account_id", "date", "amount", "currency", "reference", "applies_to"
        )

    def facts(self, fallback: set[str]) -> Iterable[AccountFacts]:
        """Yield the facts of the accounts kept; an account whose records fail joins *fallback*."""
        t, as_of = self.tables, self.as_of
        keep_ids = self.keep.get_column("account_id")
        accounts = t.accounts.join(self.keep.select("account_id"), on="account_id", how="semi")
        contacts = _by_account(
            t.contacts.join(self.keep.select("account_id"), on="account_id", how="semi")
        )
        acts = _by_account(
            t.activities.filter(pl.col("date") <= as_of).join(
                self.keep.select("account_id"), on="account_id", how="semi"
            )
        )
        opens = _by_account(self.open_rows)
        pays = _by_account(self.last_pays)
        del keep_ids
        for row in accounts.iter_rows():
            aid = row[0]
            try:
                f = self._facts(
                    row,
                    contacts.get(aid, ()),
                    acts.get(aid, ()),
                    opens.get(aid, ()),
                    pays.get(aid, ()),
                )
            except (ArcollectError, ValueError, TypeError):
                fallback.add(aid)
                continue
            yield f

    def _facts(
        self,
        row: tuple[Any, ...],
        contact_rows: Iterable[tuple[Any, ...]],
        act_rows: Iterable[tuple[Any, ...]],
        open_rows: Iterable[tuple[Any, ...]],
        pay_rows: Iterable[tuple[Any, ...]],
    ) -> AccountFacts:
        as_of = self.as_of
        (
            aid,
            cur,
            name,
            limit,
            terms,
            tags,
            risk,
            country,
            locale,
            since,
            c_name,
            c_title,
            c_phone,
            c_email,
        ) = row
        contacts = [
            Contact(
                n,
                title=ti,
                roles=ro,
                can_authorize_payment=ca,
                phone=ph,
                email=em,
                preferred_channel=pc,
                language=la,
            )
            for _, n, ti, ro, ca, ph, em, pc, la in contact_rows
        ]
        account = Account(
            aid,
            cur,
            name=name,
            credit_limit=None if limit is None else Money(limit, cur),
            terms=terms,
            tags=tags,
            risk=None if risk is None else _risk(risk),
            country=country,
            locale=locale,
            customer_since=since,
            contacts=contacts,
            collector=Collector(c_name, title=c_title, phone=c_phone, email=c_email)
            if c_name is not None
            else None,
        )
        wrap = Money._exact_sum  # noqa: SLF001 - amounts valid in the currency
        zero = Money.zero(cur)
        invoices: list[InvoiceFacts] = []
        overdue = current = 0
        edges = (0, *DEFAULT_AGING_BOUNDS)
        amounts = [0] * (len(edges) + 1)
        counts = [0] * (len(edges) + 1)
        exp = 0
        for _, number, amount, _c, open_minor, exp, issued, due, delivered, po, itags in open_rows:
            dpd = max((as_of - due).days, 0)
            if dpd > 0:
                overdue += open_minor
            else:
                current += open_minor
            slot = next((k for k, edge in enumerate(edges) if dpd <= edge), len(edges))
            amounts[slot] += open_minor
            counts[slot] += 1
            invoices.append(
                InvoiceFacts(
                    number=number,
                    amount=Money(amount, cur),
                    open=wrap(Decimal(open_minor).scaleb(-exp), cur),
                    issued=issued,
                    due=due,
                    days_past_due=dpd,
                    disputed=False,
                    delivered=delivered,
                    po_number=po,
                    tags=frozenset(itags),
                )
            )

        def money(minor: int) -> Money:
            return wrap(Decimal(minor).scaleb(-exp), cur)

        aging = [AgingBucket("current", 0, 0, money(amounts[0]), counts[0])]
        for k in range(1, len(edges) + 1):
            low = edges[k - 1] + 1
            high = edges[k] if k < len(edges) else None
            label = f"over {low - 1}" if high is None else f"{low}-{high}"
            aging.append(AgingBucket(label, low, high, money(amounts[k]), counts[k]))
        oldest_due = invoices[0].due if invoices else None
        payments = [
            Payment(d, Money(a, c), reference=r, applies_to=at) for _, d, a, c, r, at in pay_rows
        ]
        last_payment = max(payments, key=_payment_key) if payments else None
        activities = tuple(
            sorted(
                (
                    Activity(
                        d, ch, step=st, outcome=ou, contact=co, timeline=tl, invoice=iv, notes=no
                    )
                    for _, d, ch, st, ou, co, tl, iv, no in act_rows
                ),
                key=_activity_key,
            )
        )
        last_contact = next((a for a in reversed(activities) if a.channel.is_contact), None)
        over = money(overdue)
        return AccountFacts(
            account=account,
            as_of=as_of,
            invoices=tuple(invoices),
            balance=money(overdue + current),
            overdue=over,
            current=money(current),
            unapplied=zero,
            undisputed_overdue=over,
            days_past_due=(as_of - oldest_due).days if overdue > 0 and oldest_due else 0,
            oldest_due=oldest_due,
            delinquent_since=self.since.get(aid) if overdue > 0 else None,
            aging=tuple(aging),
            promises=(),
            promise=None,
            open_disputes=(),
            dispute_amount=zero,
            last_payment=last_payment,
            days_since_payment=(as_of - last_payment.date).days if last_payment else None,
            activities=activities,
            last_contact=last_contact,
            days_since_contact=(as_of - last_contact.date).days if last_contact else None,
            has_decision_maker=any(c.is_decision_maker for c in account.contacts),
        )


def _risk(text: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite():
        raise DataError([Problem("risk", "not a finite number")])
    return value


def _by_account(frame: pl.DataFrame) -> dict[str, list[tuple[Any, ...]]]:
    """Group the rows of *frame* by their first column (``account_id``), keeping their order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for aid, rows in itertools.groupby(frame.iter_rows(), key=lambda r: r[0]):
        out.setdefault(aid, []).extend(rows)
    return out
