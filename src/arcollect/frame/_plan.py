"""The columnar engine: a plan from tables, the facts worked out from the tables directly.

The per-account phase has three paths; `split` says which account takes which:

- **vectorised**: payments that each name the invoices they pay and never pay more than those
  are owed. Open amounts, paid-off days, overdue, days past due and the delinquency episode are
  computed with polars over the whole tables at once;
- **replayed**: unapplied cash, credit notes, payments naming more than is owed. The payments
  and credit notes are replayed in Python over the rows' integer amounts (minor units), in the
  order `arcollect.facts` documents;
- **fallback**: accounts with snoozes, and accounts with a value the two paths above do not
  read (a bad record, an amount with more decimals than its currency has): built as `Account`
  records from their rows and planned by `arcollect.Policy.plan_partition`, whose errors are
  then the row engine's, located at the table, row and column. Under a policy with
  ``charges``, every account.

On the first two paths the account's `AccountFacts` are built from those results (promises and
disputes judged as `arcollect.facts` judges them, from their rows), with an `Account` that holds
the account's own fields and contacts but not its invoices, payments, promises, disputes or
activities (the facts hold what the engine reads of them); the row engine's decision stage
(segments, timeline, channel, contacts, score, explanations) runs on those facts. So the
vectorised and replayed accounts give the `_AccountPlan`s the row engine gives, and
`Planner.combine` makes the same `Plan`.
"""

from __future__ import annotations

import bisect
import decimal
import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs
import polars as pl

from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent, is_currency
from arcollect.domain.records import (
    Activity,
    Channel,
    Collector,
    Contact,
    Dispute,
    Installment,
    Outcome,
    Payment,
    Promise,
)
from arcollect.engine.planner import PartialPlan, _AccountPlan, _failed
from arcollect.errors import ArcollectError, CurrencyMismatchError, DataError, EvaluationError
from arcollect.facts import (
    _CONTACT_RANK,
    DEFAULT_AGING_BOUNDS,
    AccountFacts,
    AgingBucket,
    InvoiceFacts,
    PromiseFacts,
    _dispute_order,
    _Ledger,
    _payment_key,
    _promise_facts,
    _promise_order,
    allocate,
    delinquent_since,
    disputed,
)
from arcollect.frame._tables import TABLES, Tables

if TYPE_CHECKING:
    from arcollect.charges import RateTable
    from arcollect.engine.model import Plan
    from arcollect.engine.planner import Planner
    from arcollect.policy import Policy

__all__ = ["Split", "partition", "plan", "split"]

#: Amounts the first two paths read: digits, a point, at most the minor unit's decimals.
_AMOUNT: Final = r"^-?\d{1,15}(\.\d+)?$"
_EPOCH: Final = date(1970, 1, 1)
_DAY_MAX: Final = (date.max - _EPOCH).days
_ZERO: Final = Decimal(0)


@attrs.frozen
class Split:
    """Which path of the columnar engine plans each account (see the module docstring).

    *vectorised*, *replayed* and *fallback* are account ids, sorted; *whole* says why every
    account falls back (None: the policy's plans need no more than the tables).
    """

    vectorised: tuple[str, ...]
    replayed: tuple[str, ...]
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
    # The partial plan is this call's own: placed in place, as `Planner.plan` places its own.
    share = partition(policy, tables, as_of, rates)
    return policy.planner._combine([share], in_place=True)  # noqa: SLF001 - the package's own


def partition(
    policy: Policy,
    tables: Tables,
    as_of: date,
    rates: Mapping[str, RateTable] | None = None,
) -> PartialPlan:
    """Run the per-account phase over the accounts of *tables*: a share for `Policy.combine`."""
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, got {type(as_of).__name__}")
    _check_keys(tables)
    if _policy_outside(policy) is not None:
        return policy.plan_partition(tables.to_accounts(), as_of=as_of, rates=rates)
    work = _Work(tables, as_of)
    with decimal.localcontext(MONEY_CONTEXT):
        results = [_run(policy.planner, f, as_of) for f in work.facts()]
    if work.fallback:
        accounts = tables.build(work.fallback)
        results += policy.plan_partition(accounts, as_of=as_of, rates=rates).accounts
    results.sort(key=lambda r: r.state.account)
    return PartialPlan(as_of, policy.name, tuple(results))


def split(policy: Policy, tables: Tables, as_of: date) -> Split:
    """Return which accounts of *tables* `plan` vectorises, replays, or leaves to the row engine."""
    _check_keys(tables)
    ids = sorted(tables.accounts.get_column("account_id").to_list())
    why = _policy_outside(policy)
    if why is not None:
        return Split((), (), tuple(ids), why)
    work = _Work(tables, as_of)
    with decimal.localcontext(MONEY_CONTEXT):
        for _ in work.facts():
            pass
    fallback, replayed = work.fallback, work.replay - work.fallback
    vectorised = [a for a in ids if a not in fallback and a not in replayed]
    return Split(tuple(vectorised), tuple(sorted(replayed)), tuple(sorted(fallback)))


def _policy_outside(policy: Policy) -> str | None:
    """Say why the policy's plans need the row engine for every account (None: they do not)."""
    if policy.compiled.checked.charges is not None:
        return "the policy has charges (interest and fees need the account's records)"
    return None


def _check_keys(tables: Tables) -> None:
    """Refuse duplicate accounts and rows naming no account, as `Tables.to_accounts` does."""
    ids = tables.accounts.get_column("account_id")
    if ids.is_duplicated().any():
        tables.build({ids.filter(ids.is_duplicated())[0]})  # raises the located error
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
    """Run `Planner.account` from the facts on: the decision stage of the row engine."""
    try:
        return planner._account(f, as_of, None)  # noqa: SLF001 - the row engine's decision stage
    except (CurrencyMismatchError, ArithmeticError, EvaluationError) as exc:
        located = exc if isinstance(exc, EvaluationError) else planner.policy.locate(f)
        return _failed(
            f.account, f, f"cannot evaluate the policy for this account: {located or exc}"
        )


def _minor(amount: pl.Expr, exponent: pl.Expr) -> pl.Expr:
    """Return the amount text as integer minor units (null: not read exactly here)."""
    negative = amount.str.starts_with("-")
    whole = amount.str.extract(r"^-?(\d+)", 1).cast(pl.Int64)
    frac = amount.str.extract(r"\.(\d+)$", 1).fill_null("")
    fits = amount.str.contains(_AMOUNT) & (frac.str.len_chars() <= exponent)
    padded = (frac + pl.lit("000000")).str.slice(0, exponent).replace("", "0").cast(pl.Int64)
    units = whole * pl.lit(10, dtype=pl.Int64).pow(exponent) + padded
    return pl.when(~fits).then(None).when(negative).then(-units).otherwise(units)


def _ids(frame: pl.DataFrame) -> pl.Series:
    return frame.get_column("account_id")


# -- how arcollect.facts orders records (the same keys, on the rows' values) --------------------


# -- the replay of payments and credit notes, on integer amounts ----------------------------------


def _replay(
    invoices: Sequence[tuple[Any, ...]], payments: Sequence[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], dict[str, int], int, dict[str, date]]:
    """Replay payments and credit notes as `arcollect.facts` does, in minor units.

    *invoices* are ``(number, issued, due, minor, credits, row)`` issued by the date (credit
    notes have a negative *minor*), *payments* ``(date, reference, minor, applies_to)`` made by
    then. Return the invoices oldest due first, their open amounts, the unapplied credit, and the
    day each fully paid invoice was paid off.
    """
    items = sorted((i for i in invoices if i[3] > 0), key=lambda i: (i[2], i[1], i[0]))
    open_amt = {i[0]: i[3] for i in items}
    events: list[tuple[date, int, tuple[object, ...], int, tuple[str, ...]]] = [
        (i[1], 0, (i[0],), -i[3], (i[4],) if i[4] else ()) for i in invoices if i[3] < 0
    ]
    events += [(d, 1, (d, ref or "", m, tuple(to)), m, tuple(to)) for d, ref, m, to in payments]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    unapplied, paid_on = allocate(events, [i[0] for i in items], open_amt, 0)
    return items, open_amt, unapplied, paid_on


# -- the work on one portfolio and date ---------------------------------------------------------


class _Work:
    """The facts of one portfolio on one date, and which accounts take which path."""

    def __init__(self, tables: Tables, as_of: date) -> None:
        self.tables, self.as_of = tables, as_of
        day = (as_of - _EPOCH).days
        acc = tables.accounts.select("account_id", pl.col("currency").alias("acct_currency"))
        currencies = acc.get_column("acct_currency").unique().to_list()
        exps = {c: currency_exponent(c) for c in currencies if is_currency(c)}
        acc = acc.with_columns(
            pl.col("acct_currency")
            .replace_strict(exps, default=None, return_dtype=pl.Int64)
            .alias("exp")
        )
        bad = [_ids(acc.filter(pl.col("exp").is_null())), _ids(tables.snoozes)]
        replay: list[pl.Series] = []
        other = pl.col("currency") != pl.col("acct_currency")

        inv = (
            tables.invoices.join(acc, on="account_id", how="inner")
            .with_columns(
                _minor(pl.col("amount"), pl.col("exp")).alias("minor"),
                pl.col("due").cast(pl.Int32).alias("due_d"),
            )
            .with_columns(pl.struct("account_id", "number").is_duplicated().alias("dup"))
        )
        numbers = inv.select("account_id", "number", "issued", "minor", "due_d")
        credit_notes = numbers.filter(pl.col("minor") < 0).select("account_id", "number")
        bad.append(
            _ids(
                inv.filter(
                    pl.col("minor").is_null()
                    | (pl.col("minor") == 0)
                    | other
                    | (pl.col("number").str.strip_chars() == "")
                    | (pl.col("due") < pl.col("issued"))
                    | (pl.col("credits").is_not_null() & (pl.col("minor") > 0))
                    | (
                        pl.col("account").is_not_null()
                        & (pl.col("account") != pl.col("account_id"))
                    )
                    | (pl.col("due_d") >= _DAY_MAX - 1)
                    | pl.col("dup")
                )
            )
        )
        credited = inv.filter(pl.col("credits").is_not_null()).select(
            "account_id", pl.col("credits").alias("number")
        )
        bad.append(_ids(credited.join(numbers, on=["account_id", "number"], how="anti")))
        bad.append(_ids(credited.join(credit_notes, on=["account_id", "number"], how="semi")))
        replay.append(_ids(credit_notes))

        pay = (
            tables.payments.with_row_index("_prow")
            .join(acc, on="account_id", how="inner")
            .with_columns(_minor(pl.col("amount"), pl.col("exp")).alias("minor"))
        )
        bad.append(_ids(pay.filter(pl.col("minor").is_null() | (pl.col("minor") <= 0) | other)))
        named = (
            pay.select("_prow", "account_id", "date", "minor", "applies_to")
            .with_columns(pl.col("applies_to").list.len().alias("n_named"))
            .explode("applies_to")
            .rename({"applies_to": "number", "minor": "pay_minor"})
            .with_columns(pl.int_range(pl.len()).over("_prow").alias("pos"))
            .filter(pl.col("number").is_not_null())
        )
        known = numbers.select("account_id", "number")
        bad.append(_ids(named.join(known, on=["account_id", "number"], how="anti")))
        activities = tables.activities
        bad.append(
            _ids(
                activities.filter(
                    ~pl.col("channel").is_in([c.value for c in Channel])
                    | ~(
                        pl.col("outcome").is_null()
                        | pl.col("outcome").is_in([o.value for o in Outcome])
                    )
                )
            )
        )
        bad.append(
            _ids(
                activities.filter(pl.col("invoice").is_not_null()).join(
                    known.rename({"number": "invoice"}), on=["account_id", "invoice"], how="anti"
                )
            )
        )
        promises = tables.promises.join(acc, on="account_id", how="inner")
        bad.append(_ids(promises.filter(other)))
        disputes = tables.disputes.join(acc, on="account_id", how="inner")
        bad.append(_ids(disputes.filter(pl.col("currency").is_not_null() & other)))
        bad.append(
            _ids(
                disputes.select("account_id", pl.col("invoices").alias("number"))
                .explode("number")
                .filter(pl.col("number").is_not_null())
                .join(known, on=["account_id", "number"], how="anti")
            )
        )

        # Payments that are simply applied (the vectorised path); the others are replayed.
        paid = pay.filter(pl.col("date") <= as_of)
        replay.append(_ids(paid.filter(pl.col("applies_to").list.len() == 0)))
        alloc = (
            named.filter(pl.col("date") <= as_of)
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
        replay.append(
            _ids(
                alloc.filter(
                    pl.col("inv_minor").is_null()
                    | pl.col("twice")
                    | ((pl.col("most_named") > 1) & (pl.col("times_named") > 1))
                )
            )
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
        replay.append(
            _ids(
                alloc.filter(pl.col("n_named") > 1)
                .group_by("_prow", "account_id")
                .agg(pl.col("take").sum(), pl.col("pay_minor").first())
                .filter(pl.col("take") < pl.col("pay_minor"))
            )
        )
        taken = alloc.group_by("account_id", "number").agg(
            pl.col("take").sum().alias("paid"),
            pl.col("date").max().alias("last_paid"),
            pl.col("inv_minor").first(),
        )
        replay.append(_ids(taken.filter(pl.col("paid") > pl.col("inv_minor"))))

        self.fallback: set[str] = set(pl.concat(bad).unique().to_list())
        self.replay: set[str] = set(pl.concat(replay).unique().to_list()) - self.fallback
        kept = acc.filter(~pl.col("account_id").is_in(list(self.fallback)))
        self.kept = kept.select("account_id")
        simple = kept.filter(~pl.col("account_id").is_in(list(self.replay))).select("account_id")
        replayed = kept.filter(pl.col("account_id").is_in(list(self.replay))).select("account_id")
        invoice_cols = ("exp", "issued", "due", "delivered", "po_number", "tags")
        open_cols = ("account_id", "number", "amount", "currency", "open", *invoice_cols)

        # The vectorised path: open amounts and the delinquency episode, with polars.
        live = (
            inv.filter(pl.col("issued") <= as_of)
            .join(simple, on="account_id", how="semi")
            .join(
                taken.select("account_id", "number", "paid", "last_paid"),
                on=["account_id", "number"],
                how="left",
            )
            .with_columns((pl.col("minor") - pl.col("paid").fill_null(0)).alias("open"))
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
                "account_id", (pl.col("due_d") + 1).alias("start"), pl.col("paid_d").alias("stop")
            )
            .sort("account_id", "start", "stop")
            .with_columns(pl.col("stop").cum_max().shift(1).over("account_id").alias("before"))
            .with_columns(
                (pl.col("before").is_null() | (pl.col("start") > pl.col("before"))).alias("new")
            )
            .group_by("account_id")
            .agg(
                pl.col("start").filter(pl.col("new")).max().alias("since"),
                pl.col("stop").max().alias("end"),
            )
        )
        self.since: dict[str, date] = {
            aid: _EPOCH + timedelta(days=since)
            for aid, since, end in spans.iter_rows()
            if end > day
        }
        self.open_rows = _by_account(
            live.filter(pl.col("open") > 0)
            .sort("account_id", "due", "issued", "number")
            .select(open_cols)
        )
        # The replayed path: the rows it replays.
        self.replay_invoices = _by_account(
            inv.filter(pl.col("issued") <= as_of)
            .join(replayed, on="account_id", how="semi")
            .select(
                "account_id",
                "number",
                "issued",
                "due",
                "minor",
                "credits",
                "amount",
                "currency",
                "exp",
                "delivered",
                "po_number",
                "tags",
            )
        )
        self.replay_payments = _by_account(
            paid.join(replayed, on="account_id", how="semi").select(
                "account_id", "date", "reference", "minor", "applies_to"
            )
        )
        # What every kept account needs.
        self.last_pays = _by_account(
            paid.join(self.kept, on="account_id", how="semi")
            .filter(pl.col("date") == pl.col("date").max().over("account_id"))
            .select("account_id", "date", "amount", "currency", "reference", "applies_to")
        )
        self.promises = _by_account(promises.join(self.kept, on="account_id", how="semi"))
        self.all_payments = _by_account(
            pay.join(promises.select("account_id").unique(), on="account_id", how="semi")
            .join(self.kept, on="account_id", how="semi")
            .select("account_id", "date", "amount", "currency", "reference", "applies_to")
        )
        self.disputes = _by_account(disputes.join(self.kept, on="account_id", how="semi"))
        self.contacts = _by_account(tables.contacts.join(self.kept, on="account_id", how="semi"))
        rank = {c.value: r for c, r in _CONTACT_RANK.items()}
        text = ("step", "outcome", "contact", "timeline", "invoice", "notes")
        self.activities = _by_account(  # in the order of arcollect.facts (`_activity_key`)
            activities.filter(pl.col("date") <= as_of)
            .join(self.kept, on="account_id", how="semi")
            .sort(
                "account_id",
                "date",
                pl.col("channel").replace_strict(rank, default=-1, return_dtype=pl.Int64),
                "channel",
                *(pl.col(c).fill_null("") for c in text),
                maintain_order=True,
            )
        )
        self._objects: dict[tuple[Any, ...], Any] = {}
        self._amounts: dict[tuple[str, str], Money] = {}
        self._minor_money: dict[str, dict[int, Money]] = {}

    def facts(self) -> Iterator[AccountFacts]:
        """Yield the facts of the accounts kept; an account whose records fail falls back."""
        accounts = self.tables.accounts.join(self.kept, on="account_id", how="semi")
        for row in accounts.iter_rows():
            try:
                f = self._facts(row)
            except (ArcollectError, ValueError, TypeError, ArithmeticError):
                self.fallback.add(row[0])
                continue
            yield f

    def _shared(self, kind: type[Any], row: tuple[Any, ...], build: Any) -> Any:
        """Return the record of *kind* for *row* (hashable), built once: records are immutable."""
        key = (kind, row)
        found = self._objects.get(key)
        if found is None:
            found = self._objects[key] = build()
        return found

    def _money(self, text: str, currency: str) -> Money:
        key = (text, currency)
        found = self._amounts.get(key)
        if found is None:
            found = self._amounts[key] = Money(text, currency)
        return found

    def _facts(self, row: tuple[Any, ...]) -> AccountFacts:
        as_of, shared = self.as_of, self._shared
        (aid, cur, name, limit, terms, tags, risk, country, locale, since, *collector) = row
        contacts = [
            shared(
                Contact,
                (*r[1:3], tuple(r[3]), *r[4:]),
                lambda r=r: Contact(
                    r[1],
                    title=r[2],
                    roles=r[3],
                    can_authorize_payment=r[4],
                    phone=r[5],
                    email=r[6],
                    preferred_channel=r[7],
                    language=r[8],
                ),
            )
            for r in self.contacts.get(aid, ())
        ]
        account = Account(
            aid,
            cur,
            name=name,
            credit_limit=None if limit is None else self._money(limit, cur),
            terms=terms,
            tags=tags,
            risk=None if risk is None else Decimal(risk.strip()),
            country=country,
            locale=locale,
            customer_since=since,
            contacts=contacts,
            collector=shared(Collector, tuple(collector), lambda: Collector(*collector))
            if collector[0] is not None
            else None,
        )
        exp = currency_exponent(cur)
        wrap = Money._exact_sum  # noqa: SLF001 - amounts valid in the currency

        known = self._minor_money.setdefault(cur, {})

        def money(minor: int) -> Money:
            found = known.get(minor)
            if found is None:
                found = known[minor] = wrap(Decimal(minor).scaleb(-exp), cur)
            return found

        # Open invoices (oldest due first), unapplied credit and the delinquency episode.
        unapplied = 0
        if aid in self.replay:
            rows = self.replay_invoices.get(aid, [])
            items, open_amt, unapplied, paid_on = _replay(
                [r[1:6] for r in rows],
                [r[1:] for r in self.replay_payments.get(aid, ())],
            )
            by_number = {r[1]: r for r in rows}
            opens = []
            for i in items:
                if open_amt[i[0]] > 0:
                    r = by_number[i[0]]
                    opens.append(
                        (
                            aid,
                            r[1],
                            r[6],
                            r[7],
                            open_amt[r[1]],
                            r[8],
                            r[2],
                            r[3],
                            r[9],
                            r[10],
                            r[11],
                        )
                    )
            episode = delinquent_since(((i[2], i[0]) for i in items), paid_on, as_of)
        else:
            opens = self.open_rows.get(aid, [])
            episode = self.since.get(aid)

        open_disputes = tuple(
            sorted(
                (d for d in (_dispute(r) for r in self.disputes.get(aid, ())) if d.is_open(as_of)),
                key=_dispute_order,
            )
        )
        disputed_numbers = {n for d in open_disputes for n in d.invoices}

        invoices: list[InvoiceFacts] = []
        overdue = current = 0
        edges = (0, *DEFAULT_AGING_BOUNDS)
        amounts = [0] * (len(edges) + 1)
        counts = [0] * (len(edges) + 1)
        for _, number, amount, _c, open_minor, _e, issued, due, delivered, po, itags in opens:
            dpd = max((as_of - due).days, 0)
            if dpd > 0:
                overdue += open_minor
            else:
                current += open_minor
            slot = bisect.bisect_left(edges, dpd)  # the first bucket whose bound is >= dpd
            amounts[slot] += open_minor
            counts[slot] += 1
            invoices.append(
                InvoiceFacts(
                    number=number,
                    amount=self._money(amount, cur),
                    open=money(open_minor),
                    issued=issued,
                    due=due,
                    days_past_due=dpd,
                    disputed=number in disputed_numbers,
                    delivered=delivered,
                    po_number=po,
                    tags=frozenset(itags),
                )
            )
        aging = tuple(
            self._bucket(k, cur, money(amounts[k]), counts[k])
            if counts[k]
            else self._bucket(k, cur)
            for k in range(len(edges) + 1)
        )

        over = money(overdue)
        undisputed, dispute_amount = over, Money.zero(cur)
        if open_disputes:
            disputed_overdue, total = disputed(invoices, open_disputes, over.amount)
            undisputed = wrap(over.amount - disputed_overdue, cur)
            dispute_amount = wrap(total, cur)

        promise_rows = self.promises.get(aid, ())
        promises: tuple[PromiseFacts, ...] = ()
        if promise_rows:
            ledger = _Ledger(self._payment(r) for r in self.all_payments.get(aid, ()))
            made = sorted((self._promise(r) for r in promise_rows), key=_promise_order)
            promises = tuple(_promise_facts(p, ledger, as_of) for p in made if p.made_on <= as_of)
        open_promises = [p for p in promises if p.active]
        promise = open_promises[-1] if open_promises else (promises[-1] if promises else None)

        payments = [
            shared(Payment, (*r[1:5], tuple(r[5])), lambda r=r: self._payment(r))
            for r in self.last_pays.get(aid, ())
        ]
        last_payment = max(payments, key=_payment_key) if payments else None
        activities = tuple(
            shared(
                Activity,
                r[1:],
                lambda r=r: Activity(
                    r[1],
                    r[2],
                    step=r[3],
                    outcome=r[4],
                    contact=r[5],
                    timeline=r[6],
                    invoice=r[7],
                    notes=r[8],
                ),
            )
            for r in self.activities.get(aid, ())
        )
        last_contact = next((a for a in reversed(activities) if a.channel.is_contact), None)
        oldest_due = invoices[0].due if invoices else None
        return AccountFacts.of(
            account=account,
            as_of=as_of,
            invoices=tuple(invoices),
            balance=money(overdue + current - unapplied),
            overdue=over,
            current=money(current),
            unapplied=money(unapplied),
            undisputed_overdue=undisputed,
            days_past_due=(as_of - oldest_due).days if overdue > 0 and oldest_due else 0,
            oldest_due=oldest_due,
            delinquent_since=episode if overdue > 0 else None,
            aging=aging,
            promises=promises,
            promise=promise,
            open_disputes=open_disputes,
            dispute_amount=dispute_amount,
            last_payment=last_payment,
            activities=activities,
            last_contact=last_contact,
            days_since_contact=(as_of - last_contact.date).days if last_contact else None,
            has_decision_maker=any(c.is_decision_maker for c in account.contacts),
        )

    def _bucket(self, k: int, cur: str, amount: Money | None = None, count: int = 0) -> AgingBucket:
        """Return aging bucket *k* holding *count* invoices, *amount* (None: empty, built once)."""
        edges = (0, *DEFAULT_AGING_BOUNDS)
        low = edges[k - 1] + 1 if k else 0
        high = edges[k] if k < len(edges) else None
        label = "current" if not k else f"over {low - 1}" if high is None else f"{low}-{high}"
        if amount is not None:
            return AgingBucket(label, low, high, amount, count)
        key = (AgingBucket, (k, cur))
        found = self._objects.get(key)
        if found is None:
            found = self._objects[key] = AgingBucket(label, low, high, Money.zero(cur), 0)
        return found

    def _payment(self, r: tuple[Any, ...]) -> Payment:
        _, on, amount, currency, reference, applies_to = r
        return Payment(
            on, self._money(amount, currency), reference=reference, applies_to=applies_to
        )

    def _promise(self, r: tuple[Any, ...]) -> Promise:
        _, made_on, amount, currency, due, by, grace, note, dues, parts = r[:10]
        if len(dues) != len(parts):
            raise DataError.at("installment_amounts", "installments do not pair up")
        return Promise(
            made_on,
            self._money(amount, currency),
            due,
            by=by,
            installments=[
                Installment(d, self._money(a, currency)) for d, a in zip(dues, parts, strict=True)
            ],
            grace_days=grace,
            note=note,
        )


def _dispute(r: tuple[Any, ...]) -> Dispute:
    _, opened, reason, invoices, amount, currency, resolved, owner, did, notes = r[:10]
    return Dispute(
        opened,
        reason=reason,
        invoices=invoices,
        amount=None if amount is None else Money(amount, currency),
        resolved=resolved,
        owner=owner,
        id=did,
        notes=notes,
    )


def _by_account(frame: pl.DataFrame) -> dict[str, list[tuple[Any, ...]]]:
    """Group the rows of *frame* by their first column (``account_id``), keeping their order."""
    if not frame.height:
        return {}
    frame = frame.sort("account_id", maintain_order=True)  # stable: each account's rows in order
    rows = list(zip(*(frame.get_column(c).to_list() for c in frame.columns), strict=True))
    runs = frame.get_column("account_id").rle()
    ends = itertools.accumulate(runs.struct.field("len").to_list())
    out: dict[str, list[tuple[Any, ...]]] = {}
    start = 0
    for aid, end in zip(runs.struct.field("value").to_list(), ends, strict=True):
        out[aid] = rows[start:end]
        start = end
    return out
