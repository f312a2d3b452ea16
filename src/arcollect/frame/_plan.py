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

On the first two paths the account's `AccountFacts` are built from those results in one pass
over the accounts (`_Work.facts`): every table is sorted by account in polars, and each
account's rows are found by the offsets polars computed, in column lists converted once;
polars also works out per account what it can (overdue and current money, the oldest open due
date, the episode, where the last contact is among the activities, the last payment's date).
Records are made once, from the columns (activities and payments unchecked: the checks that
decide the paths prove what their validators would refuse; contacts and collectors once per
distinct row). Promises and disputes are judged as `arcollect.facts` judges them, from their
rows. The `Account` holds the account's own fields and contacts but not its invoices,
payments, promises, disputes or activities (the facts hold what the engine reads of them).

What `AccountFacts` derives on first read (the open invoices one by one, aging, balance,
current and unapplied money, the disputed share) is derived from the account's open invoices
as rows, kept in polars (`_Store`) until a fact asks: `_TableFacts` keeps those rows where the
row engine's facts keep their replay (there are no records to replay again), and the last
payment is given. The row engine's decision stage (segments, timeline, channel, contacts,
score, explanations) runs on those facts. So the vectorised and replayed accounts give the
`_AccountPlan`s the row engine gives, and `Planner.combine` makes the same `Plan`.

Before the facts are made, the decision stage runs in columns (`arcollect.frame._decide`)
for the accounts it can prove quiet (nothing to dress today): `_Work.head` is one row per
account (sorted by id) with the account's columns and the figures above, and the replayed
accounts' figures come from their replay (`_Work.replays`, worked out once for both). Those
accounts get no facts (their records are still checked, as making their facts would check
them); the others get them as above.
"""

from __future__ import annotations

import decimal
import itertools
import threading
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import attrs
import polars as pl

from arcollect.convert.fast import constructor
from arcollect.domain.account import Account
from arcollect.domain.actions import CONTACT_CHANNELS
from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent, is_currency
from arcollect.domain.records import (
    Activity,
    Channel,
    Collector,
    Contact,
    Dispute,
    Installment,
    Invoice,
    Outcome,
    Payment,
    Promise,
)
from arcollect.engine.actions import Dressing, dress
from arcollect.engine.planner import PartialPlan, _AccountPlan, _failed, account_state
from arcollect.errors import ArcollectError, CurrencyMismatchError, DataError, EvaluationError
from arcollect.facts import (
    _CONTACT_RANK,
    DEFAULT_AGING_BOUNDS,
    AccountFacts,
    PromiseFacts,
    _dispute_order,
    _facts,
    _Ledger,
    _payment_key,
    _promise_facts,
    _promise_order,
    _Replay,
    allocate,
)
from arcollect.frame._build import (
    _activity,
    _good_locale,
    _ids,
    _names,
    _payment,
    minor_units,
    null_item,
    paused_gc,
)
from arcollect.frame._decide import Given, given_position, quiet
from arcollect.frame._tables import SCHEMAS, TABLES, Tables
from arcollect.lang.ir import calls

if TYPE_CHECKING:
    from arcollect.charges import RateTable
    from arcollect.engine.model import Plan
    from arcollect.engine.planner import Planner
    from arcollect.lang.program import CompiledPolicy
    from arcollect.policy import Policy

__all__ = ["Split", "partition", "plan", "split"]

_EPOCH: Final = date(1970, 1, 1)
_EPOCH_ORDINAL: Final = _EPOCH.toordinal()
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
    planner = policy.planner
    decided = quiet(planner.policy, planner.calendar, work, as_of)
    given = decided.given
    traced = _reads_activities(planner.policy)
    dressed = decided.dressed
    later = _Later(tables, as_of, dressed)
    with decimal.localcontext(MONEY_CONTEXT):
        results = [
            _run(planner, f, as_of, given.get(f.account.id), keep_activities=traced)
            if isinstance(f, AccountFacts)
            else _dress(planner, f, as_of, given[f[0].id], dressed[f[0].id], later)
            for f in work.made(decided.plans, dressed)
        ]
    results += [r for aid, r in decided.plans.items() if aid not in work.fallback]
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


def _run(
    planner: Planner,
    f: AccountFacts,
    as_of: date,
    given: Given | None = None,
    *,
    keep_activities: bool = True,
) -> _AccountPlan:
    """Run `Planner.account` from the facts on: the decision stage of the row engine.

    *given*: the account's timeline, position and standing, decided in columns already.
    Without *keep_activities* the facts let go of their activities once the account is
    planned: the explanations keep the facts alive, and read the activities only through
    ``times(STEP)`` (`_reads_activities`).
    """
    try:
        decided = None if given is None else given_position(planner.policy, given)
        result = planner._account(f, as_of, None, decided)  # noqa: SLF001 - the row engine's decision stage
    except (CurrencyMismatchError, ArithmeticError, EvaluationError) as exc:
        located = exc if isinstance(exc, EvaluationError) else planner.policy.locate(f)
        return _failed(
            f.account, f, f"cannot evaluate the policy for this account: {located or exc}"
        )
    if not keep_activities:
        _set_activities(f, ())
    return result


def _dress(  # noqa: PLR0917 - from `partition`
    planner: Planner,
    made: tuple[Account, Money],
    as_of: date,
    given: Given,
    channel_rule: int | None,
    later: _Later,
) -> _AccountPlan:
    """Dress an account decided in columns without its facts (`Dressing`), as `_account` does.

    *made* is its record and overdue money, *channel_rule* the channel rule that holds for it;
    *later* makes its facts if an explanation is traced. Should dressing fail (a date beyond
    the calendar), the account is planned by the row engine from its facts, which reports it.
    """
    account, overdue = made
    policy = planner.policy
    tl, position, fields = given_position(policy, given)
    facts = later.maker(account.id)
    dressing = Dressing(account, channel_rule, facts)
    try:
        candidates = dress(
            position, dressing, as_of=as_of, policy=policy, calendar=planner.calendar
        )
    except (CurrencyMismatchError, ArithmeticError, EvaluationError):
        return _run(planner, facts(), as_of, given)
    state = account_state(tl, position, fields, overdue)
    return _AccountPlan(*fields, state=state, candidates=tuple(candidates))


class _Later:
    """Makes the facts of accounts dressed without them, when an explanation first needs them.

    From the accounts' records (`Tables.build`) by the row engine's `arcollect.facts`, which
    the columnar facts equal: the first few accounts asked for one by one (a user reading an
    explanation or two), then every account not yet made at once (a whole plan's
    explanations, written out). Holds the tables until then.
    """

    __slots__ = ("_as_of", "_asked", "_lock", "_made", "_pending", "_tables")

    #: How many accounts are made one by one before the rest are made at once.
    ONE_BY_ONE: Final = 8

    def __init__(self, tables: Tables, as_of: date, ids: Iterable[str]) -> None:
        self._tables: Tables | None = tables
        self._as_of = as_of
        self._pending = set(ids)
        self._made: dict[str, AccountFacts] = {}
        self._asked = 0
        self._lock = threading.Lock()  # explanations may be read from several threads

    def facts(self, account: str) -> AccountFacts:
        """Return the facts of *account* (one of those given), made on first call."""
        found = self._made.get(account)
        if found is not None:
            return found
        with self._lock:
            return self._make(account)

    def maker(self, account: str) -> _Maker:
        """Return what makes the facts of *account* when called (one object: a plan keeps it)."""
        return _Maker(self, account)

    def _make(self, account: str) -> AccountFacts:
        found = self._made.get(account)  # made meanwhile, by another thread
        if found is not None:
            return found
        if self._tables is None or account not in self._pending:
            raise KeyError(account)  # pragma: no cover - only the accounts given are asked for
        self._asked += 1
        wanted = {account} if self._asked <= self.ONE_BY_ONE else self._pending
        with decimal.localcontext(MONEY_CONTEXT):
            for acct in self._tables.build(wanted):
                self._made[acct.id] = _facts(acct, self._as_of, DEFAULT_AGING_BOUNDS)
        self._pending -= wanted
        if not self._pending:
            self._tables = None
        return self._made[account]


class _Maker:
    """Makes the facts of one account dressed without them (`_Later.maker`)."""

    __slots__ = ("_account", "_later")

    def __init__(self, later: _Later, account: str) -> None:
        self._later, self._account = later, account

    def __call__(self) -> AccountFacts:
        """Return the account's facts, made on first call."""
        return self._later.facts(self._account)


def _with_account(frame: pl.DataFrame, acc: pl.DataFrame) -> pl.DataFrame:
    """Return *frame* with the columns of its rows' accounts in *acc*, in its own order.

    Every row names an account of *acc* (`_check_keys` refused the others first): a left join
    that keeps the rows where they are gathers only *acc*'s columns, several times faster on a
    wide table than an inner join, which gathers every column of *frame* again.
    """
    return frame.join(acc, on="account_id", how="left", maintain_order="left")


def _reads_activities(policy: CompiledPolicy) -> bool:
    """Whether an expression of *policy* reads the account's activities (``times(STEP)``).

    Every expression the engine evaluates (segments included), and the lets they refer to.
    """
    exprs = [*policy.checked.lets.values(), *policy.expressions()]
    return any(calls(e, "times") for e in exprs)


def _targets() -> tuple[pl.Expr, pl.Expr]:
    """Return ``applies_to`` as its first name and, when it has more, the whole list.

    Most payments name one invoice or none: a list column costs more to read than two.
    """
    names = pl.col("applies_to")
    return names.list.first().alias("one"), pl.when(names.list.len() > 1).then(names).alias("all")


# -- how arcollect.facts orders records (the same keys, on the rows' values) --------------------


# -- the replay of payments and credit notes, on integer amounts ----------------------------------


def _replay(
    invoices: Sequence[tuple[Any, ...]], payments: Sequence[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], dict[str, int], int, dict[str, int]]:
    """Replay payments and credit notes as `arcollect.facts` does, in minor units.

    *invoices* are ``(number, issued, due, minor, credits, row)`` issued by the date, oldest
    due first (then issued, number; credit notes have a negative *minor*), *payments*
    ``(date, reference, minor, applies_to)`` made by then (references "" for none); dates are
    days since 1970. Return the invoices (not the credit notes), their open amounts, the
    unapplied credit, and the day each fully paid invoice was paid off.
    """
    items = [i for i in invoices if i[3] > 0]
    open_amt = {i[0]: i[3] for i in items}
    events: list[Any] = [  # `allocate`'s events, with days for dates
        (i[1], 0, (i[0],), -i[3], (i[4],) if i[4] else ()) for i in invoices if i[3] < 0
    ]
    events += [(d, 1, (d, ref, m, to), m, to) for d, ref, m, to in payments]
    events.sort()  # by date, kind, key: the key is unique but for payments equal in every field
    unapplied, paid_on = allocate(events, [i[0] for i in items], open_amt, 0)
    return items, open_amt, unapplied, cast("dict[str, int]", paid_on)


def _episode(items: Sequence[tuple[Any, ...]], paid_on: dict[str, int], day: int) -> date | None:
    """Return the first day of the delinquency episode on day *day* (`delinquent_since`).

    *items* are ``(number, issued, due, ...)`` oldest due first, *paid_on* the day each fully
    paid one was paid off; days are counted from 1970-01-01.
    """
    since: int | None = None
    end = -_DAY_MAX  # before any day
    for i in items:
        due = i[2]
        if due >= day:
            break
        if due + 1 > end:  # a gap: a new stretch begins
            since = due + 1
        end = max(end, paid_on.get(i[0], _DAY_MAX))
    return _day(since) if since is not None and end > day else None


def _day(days: int) -> date:
    """Return the date *days* after 1970-01-01."""
    return date.fromordinal(_EPOCH_ORDINAL + days)


# -- the work on one portfolio and date ---------------------------------------------------------


class _Work:
    """The facts of one portfolio on one date, and which accounts take which path."""

    def __init__(self, tables: Tables, as_of: date) -> None:
        with paused_gc():  # the rows of every account, made Python values at once
            self._prepare(tables, as_of)

    def _prepare(self, tables: Tables, as_of: date) -> None:
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
            _with_account(tables.invoices, acc)
            .with_columns(
                minor_units(pl.col("amount"), pl.col("exp")).alias("minor"),
                pl.col("due").cast(pl.Int32).alias("due_d"),
            )
            .with_columns((pl.len().over("account_id", "number") > 1).alias("dup"))
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

        pay = _with_account(tables.payments.with_row_index("_prow"), acc).with_columns(
            minor_units(pl.col("amount"), pl.col("exp")).alias("minor")
        )
        bad.append(_ids(pay.filter(pl.col("minor").is_null() | (pl.col("minor") <= 0) | other)))
        named = (
            pay.select("_prow", "account_id", "date", "minor", "applies_to")
            .with_columns(
                pl.col("applies_to").list.len().alias("n_named"),
                pl.int_ranges(0, pl.col("applies_to").list.len(), dtype=pl.Int64).alias("pos"),
            )
            .explode("applies_to", "pos")
            .rename({"applies_to": "number", "minor": "pay_minor"})
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
        promises = _with_account(tables.promises, acc)
        bad.append(_ids(promises.filter(other)))
        disputes = _with_account(tables.disputes, acc)
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
        several = (
            alloc.filter(pl.col("n_named") > 1)
            .sort("_prow", "pos")
            .with_columns(
                (pl.col("inv_minor").cum_sum().over("_prow") - pl.col("inv_minor")).alias("before")
            )
            .with_columns(
                pl.min_horizontal(
                    pl.col("inv_minor"),
                    pl.max_horizontal(pl.col("pay_minor") - pl.col("before"), pl.lit(0)),
                ).alias("take")
            )
            .drop("before")
        )
        alloc = pl.concat(
            [
                alloc.filter(pl.col("n_named") <= 1).with_columns(
                    pl.col("pay_minor").alias("take")
                ),
                several,
            ]
        )
        replay.append(
            _ids(
                several.group_by("_prow", "account_id")
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

        # What the light records (built unchecked) would refuse: the row engine reports it.
        accounts = tables.accounts
        bad.append(
            _ids(
                accounts.filter(
                    (pl.col("account_id").str.strip_chars() == "")
                    | (pl.col("terms") < 0)
                    | null_item("tags")
                )
            )
        )
        locales = accounts.get_column("locale").drop_nulls().unique().to_list()
        refused = [v for v in locales if not _good_locale(v)]
        bad.append(_ids(accounts.filter(pl.col("locale").is_in(refused))))
        bad.append(_ids(inv.filter(null_item("tags"))))
        bad.append(_ids(pay.filter(null_item("applies_to"))))

        self.fallback: set[str] = set(pl.concat(bad).unique().to_list())
        self.replay: set[str] = set(pl.concat(replay).unique().to_list()) - self.fallback
        kept = acc.filter(~pl.col("account_id").is_in(list(self.fallback)))
        self.kept = kept.select("account_id")
        simple = kept.filter(~pl.col("account_id").is_in(list(self.replay))).select("account_id")
        replayed = kept.filter(pl.col("account_id").is_in(list(self.replay))).select("account_id")

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
            .filter(pl.col("end") > day)
            .select("account_id", pl.col("since").cast(pl.Date))
        )
        opened = live.filter(pl.col("open") > 0).sort("account_id", "due", "issued", "number")
        summary = opened.group_by("account_id").agg(
            pl.col("open").filter(pl.col("due_d") < day).sum().alias("overdue"),
            pl.col("open").filter(pl.col("due_d") >= day).sum().alias("current"),
            pl.col("due").min().alias("oldest"),
        )

        # Every table's rows of the accounts kept, grouped by account (`account_id` sorted,
        # stable: each account's rows in their order), and how many rows each account has.
        keep = pl.col("account_id").is_in(self.kept.get_column("account_id").implode())
        rank = {c.value: r for c, r in _CONTACT_RANK.items()}
        text = ("step", "outcome", "contact", "timeline", "invoice", "notes")
        contact_values = [c.value for c in CONTACT_CHANNELS]
        acts = (
            activities.filter(keep & (pl.col("date") <= as_of))
            .sort(  # in the order of arcollect.facts (`_activity_key`)
                "account_id",
                "date",
                pl.col("channel").replace_strict(rank, default=-1, return_dtype=pl.Int64),
                "channel",
                *(pl.col(c).fill_null("") for c in text),
                maintain_order=True,
            )
            .with_columns(pl.int_range(pl.len()).over("account_id").alias("_pos"))
        )
        self.acts = acts  # the activities dated by the plan's date, with each one's place
        last_contact = acts.group_by("account_id").agg(
            pl.col("_pos").filter(pl.col("channel").is_in(contact_values)).max().alias("last_c")
        )
        with_promises = promises.select("account_id").unique()
        replay_rows = (
            inv.filter(keep & (pl.col("issued") <= as_of))
            .join(replayed, on="account_id", how="semi")
            .sort("account_id", "due", "issued", "number")
            .with_row_index("_i")
        )
        item_cols = ("number", "amount", "issued", "due", "delivered", "po_number", "tags")
        # The open invoices' other columns become Python values only if a fact reads them.
        self.open_items = _Store(
            opened.sort("account_id", maintain_order=True), (*item_cols, "open")
        )
        self.replay_items = _Store(replay_rows, item_cols)
        parts: dict[str, pl.DataFrame] = {
            "open": opened.select("account_id"),
            "r_inv": replay_rows.select(  # dates as days (since 1970): compared, never shown
                "account_id",
                "number",
                pl.col("issued").cast(pl.Int32),
                "due_d",
                "minor",
                "credits",
                "_i",
            ),
            "r_pay": paid.filter(keep)
            .join(replayed, on="account_id", how="semi")
            .sort("account_id", "date", pl.col("reference").fill_null(""), "minor")
            .select(
                "account_id",
                pl.col("date").cast(pl.Int32),
                pl.col("reference").fill_null(""),
                "minor",
                *_targets(),
            ),
            "last_pay": paid.filter(keep)
            .filter(pl.col("date") == pl.col("date").max().over("account_id"))
            .select("account_id", "date", "minor", "currency", "exp", "reference", *_targets()),
            "promises": promises.filter(keep),
            "ledger": pay.filter(keep)
            .join(with_promises, on="account_id", how="semi")
            .sort("account_id", "date", maintain_order=True)
            .select("account_id", "date", "minor"),
            "disputes": disputes.filter(keep),
            "contacts": tables.contacts.filter(keep),
            "acts": acts.drop("_pos"),
        }
        parts = {
            name: frame.sort("account_id", maintain_order=True) for name, frame in parts.items()
        }
        head = (
            tables.accounts.filter(keep)
            .join(summary, on="account_id", how="left")
            .join(spans, on="account_id", how="left")
            .join(last_contact, on="account_id", how="left")
            .join(acc.select("account_id", "exp"), on="account_id", how="left")
            .with_columns(
                pl.col("account_id").is_in(replayed.get_column("account_id").implode()).alias("r"),
                minor_units(pl.col("credit_limit"), pl.col("exp")).alias("limit_m"),
            )
        )
        for name, frame in parts.items():
            counts = frame.group_by("account_id").agg(pl.len().cast(pl.Int64).alias(name))
            head = head.join(counts, on="account_id", how="left")
        ends = [pl.col(p).fill_null(0).cum_sum() for p in _PARTS]
        self.head = head.sort("account_id").with_columns(
            *(
                (e - pl.col(p).fill_null(0)).alias(f"s_{p}")
                for e, p in zip(ends, _PARTS, strict=True)
            ),
            *(e.alias(f"e_{p}") for e, p in zip(ends, _PARTS, strict=True)),
        )
        # Contacts are made from the frame when the facts are: their rows (with lists of
        # roles) are not kept as Python values, which the collector would scan meanwhile.
        self.contact_rows = parts["contacts"]
        self.rows = {  # record by record: records built once per distinct row, or rarely
            name: _rows(parts[name], 0 if name != "ledger" else 1)
            for name in ("promises", "disputes", "ledger")
        }
        self.columns = {  # column by column, without the account
            name: [parts[name].get_column(c).to_list() for c in parts[name].columns[1:]]
            for name in ("r_inv", "r_pay")
        }
        # Made Python values in `made`, for the accounts whose facts are made only.
        self.acts_rows, self.last_pay_rows = parts["acts"], parts["last_pay"]
        # The promises and disputes (with the account's currency exponent), and the payments
        # of the accounts with promises: the columnar decision judges them (`promise_facts`).
        self.promise_rows, self.ledger_rows = parts["promises"], parts["ledger"]
        self.dispute_rows = parts["disputes"]
        # The open invoices of the vectorised accounts, and the invoices of the replayed ones
        # by row, for the disputed share (`open_lines`).
        self._opened = opened.select("account_id", "number", "open", "due")
        self._replay_lines = replay_rows.select("_i", "number", "due")
        self._replays: dict[str, _Replayed] | None = None
        self._amounts: dict[tuple[str, str], Money] = {}
        self._minor_money: dict[str, dict[int, Money]] = {}

    def replays(self) -> dict[str, _Replayed]:
        """Return the replay of each replayed account (`_Replayed`), worked out once.

        An account whose replay fails falls back.
        """
        if self._replays is not None:
            return self._replays
        day = (self.as_of - _EPOCH).days
        out: dict[str, _Replayed] = {}
        head = self.head.filter(pl.col("r"))
        with paused_gc():
            r_inv = list(zip(*self.columns["r_inv"], strict=True))
            r_pay = [
                (d, ref, m, _names(one, every))
                for d, ref, m, one, every in zip(*self.columns["r_pay"], strict=True)
            ]
            spans = zip(
                *(head.get_column(c).to_list() for c in ("account_id", *_REPLAY_SPANS)),
                strict=True,
            )
            for aid, s_rinv, e_rinv, s_rpay, e_rpay in spans:
                try:
                    items, open_amt, unapplied, paid_on = _replay(
                        r_inv[s_rinv:e_rinv], r_pay[s_rpay:e_rpay]
                    )
                except (ArcollectError, ValueError, TypeError, ArithmeticError):
                    self.fallback.add(aid)
                    continue
                picks = []
                overdue_m = current_m = 0
                first = None
                for i in items:
                    owed = open_amt[i[0]]
                    if owed > 0:
                        picks.append((i[5], owed))
                        if i[2] < day:
                            overdue_m += owed
                        else:
                            current_m += owed
                        if first is None:
                            first = i[2]
                oldest = None if first is None else _day(first)
                episode = _episode(items, paid_on, day) if overdue_m else None
                out[aid] = (tuple(picks), overdue_m, current_m, oldest, episode, unapplied)
        self._replays = out
        return out

    def open_lines(self, accounts: pl.DataFrame) -> pl.DataFrame:
        """Return the open invoices of *accounts* (a column ``account_id``), a row each.

        Columns ``account_id``, ``number``, ``open`` (minor units) and ``due``; a replayed
        account's from its replay (`replays`).
        """
        simple = self._opened.join(accounts, on="account_id", how="semi")
        replays = self.replays()
        wanted = [a for a in accounts.get_column("account_id").to_list() if a in replays]
        picks = [(aid, row, owed) for aid in wanted for row, owed in replays[aid][0]]
        replayed = pl.DataFrame(
            picks,
            schema={"account_id": pl.String, "_i": pl.UInt32, "open": pl.Int64},
            orient="row",
        ).join(self._replay_lines, on="_i", how="inner")
        return pl.concat(
            [simple, replayed.select("account_id", "number", "open", "due")],
            how="vertical_relaxed",
        )

    def replay_frame(self) -> pl.DataFrame:
        """Return the replayed accounts' figures, a row each (see `_Replayed`).

        Columns ``account_id``, ``overdue``, ``current`` and ``unapplied`` (minor units),
        ``oldest`` (the oldest open due date) and ``since`` (the episode).
        """
        replays = self.replays()
        return pl.DataFrame(
            {
                "account_id": list(replays),
                "overdue": [r[1] for r in replays.values()],
                "current": [r[2] for r in replays.values()],
                "oldest": [r[3] for r in replays.values()],
                "since": [r[4] for r in replays.values()],
                "unapplied": [r[5] for r in replays.values()],
            },
            schema={
                "account_id": pl.String,
                "overdue": pl.Int64,
                "current": pl.Int64,
                "oldest": pl.Date,
                "since": pl.Date,
                "unapplied": pl.Int64,
            },
        )

    def facts(self, decided: Container[str] = frozenset()) -> Iterator[AccountFacts]:
        """Yield the facts of the accounts kept; an account whose records fail falls back.

        The accounts in *decided* (decided in columns) have their records checked, as their
        facts would check them, and no facts made: one whose records fail falls back too.
        """
        return cast("Iterator[AccountFacts]", self.made(decided))  # nothing dressed: facts

    def made(
        self, decided: Container[str] = frozenset(), dressed: Container[str] = frozenset()
    ) -> Iterator[AccountFacts | tuple[Account, Money]]:
        """Yield what `facts` yields, or for an account of *dressed*, its record and overdue.

        The accounts in *dressed* (decided in columns) are dressed without facts.
        """
        as_of, rows, fallback = self.as_of, self.rows, self.fallback
        replays = self.replays()
        with paused_gc():  # the records of every account, built at once
            columns = [self.head.get_column(c).to_list() for c in _HEAD]
            columns[_HEAD.index("tags")] = _tag_sets(columns[_HEAD.index("tags")])
            contacts = self._contacts(self.contact_rows, decided)
            # The activities and last payments are made account by account, for the accounts
            # whose facts are made (not those decided in columns): their rows only, in account
            # order, each account's where the ones before it end.
            faced = [
                a for a in columns[0] if a not in fallback and a not in decided and a not in dressed
            ]
            act_cols = _columns_of(self.acts_rows, faced)
            act_cols[1] = list(map(_CHANNELS.__getitem__, act_cols[1]))
            act_cols[3] = list(map(_OUTCOMES.get, act_cols[3]))
            pay_cols = _columns_of(self.last_pay_rows, faced)
        at_act = at_lp = 0  # where the next account's rows are in act_cols and pay_cols
        promises, ledger, disputes = rows["promises"], rows["ledger"], rows["disputes"]
        collectors: dict[tuple[Any, ...], Collector] = {}
        exps: dict[str, int] = {}
        for (
            aid, cur, name, limit, terms, tags, risk, country, locale, since,
            c_name, c_title, c_phone, c_email,
            v_overdue, v_current, v_oldest, v_since, last_c, replayed, limit_m,
            s_open, e_open, s_rinv, e_rinv, _s_rpay, _e_rpay, start_lp, end_lp, s_pro, e_pro,
            s_led, e_led, s_dis, e_dis, s_con, e_con, start_act, end_act,
        ) in zip(*columns, strict=True):  # fmt: skip
            if aid in fallback:
                continue
            s_act = e_act = s_lp = e_lp = 0  # where its rows are in act_cols and pay_cols
            if aid not in decided and aid not in dressed:  # its facts are made: they are there
                s_act, e_act = at_act, at_act + end_act - start_act
                s_lp, e_lp = at_lp, at_lp + end_lp - start_lp
                at_act, at_lp = e_act, e_lp
            try:
                collector = None
                if c_name is not None:
                    key = (c_name, c_title, c_phone, c_email)
                    collector = collectors.get(key)
                    if collector is None:
                        collector = collectors[key] = Collector(*key)
                exp = exps.get(cur)
                if exp is None:
                    exp = exps[cur] = currency_exponent(cur)
                if aid in decided:  # what making its account would refuse
                    if limit is not None and limit_m is None:
                        self._money(limit, cur)
                    if risk is not None:
                        _risk(risk)
                    continue
                account = _account(
                    aid,
                    cur,
                    name,
                    None
                    if limit is None
                    else self._money(limit, cur)  # read as Money reads it (rounded)
                    if limit_m is None
                    else self._minor(cur, exp, limit_m),
                    terms,
                    tags,
                    None if risk is None else _risk(risk),
                    country,
                    locale,
                    since,
                    tuple(contacts[s_con:e_con]),
                    collector,
                )
                if aid in dressed:
                    due_m = replays[aid][1] if replayed else v_overdue or 0
                    yield account, self._minor(cur, exp, due_m)
                    continue
                if replayed:
                    picks, overdue_m, current_m, oldest, episode, unapplied = replays[aid]
                    pending = _Pending(  # picks a tuple of tuples of ints: untracked
                        self.replay_items,
                        s_rinv,
                        e_rinv,
                        picks,
                        cur,
                        exp,
                        unapplied,
                        current_m,
                    )
                else:
                    overdue_m, oldest, episode = v_overdue or 0, v_oldest, v_since
                    pending = _Pending(
                        self.open_items, s_open, e_open, None, cur, exp, 0, v_current or 0
                    )

                open_disputes: tuple[Dispute, ...] = ()
                if e_dis > s_dis:
                    found = [_dispute(r) for r in disputes[s_dis:e_dis]]
                    open_disputes = tuple(
                        sorted([d for d in found if d.is_open(as_of)], key=_dispute_order)
                    )
                made: tuple[PromiseFacts, ...] = ()
                promise = None
                if e_pro > s_pro:
                    book = _ledger(ledger[s_led:e_led], exp)
                    ordered = sorted(
                        [self._promise(r) for r in promises[s_pro:e_pro]], key=_promise_order
                    )
                    made = tuple(
                        [_promise_facts(p, book, as_of) for p in ordered if p.made_on <= as_of]
                    )
                    if made:
                        active = [p for p in made if p.active]
                        promise = active[-1] if active else made[-1]
                last_payment = None
                if e_lp == s_lp + 1:
                    last_payment = self._payment(*[c[s_lp] for c in pay_cols])
                elif e_lp > s_lp:
                    last_pays = map(self._payment, *[c[s_lp:e_lp] for c in pay_cols])
                    last_payment = max(last_pays, key=_payment_key)
                activities: tuple[Activity, ...] = ()
                if e_act > s_act:
                    activities = tuple(map(_activity, *[c[s_act:e_act] for c in act_cols]))
                contact = None if last_c is None else activities[last_c]
                f = _new_facts(
                    account,
                    as_of,
                    self._minor(cur, exp, overdue_m),
                    (as_of - oldest).days if overdue_m > 0 and oldest else 0,
                    oldest,
                    episode if overdue_m > 0 else None,
                    made,
                    promise,
                    open_disputes,
                    activities,
                    contact,
                    None if contact is None else (as_of - contact.date).days,
                    None,
                    (),
                    DEFAULT_AGING_BOUNDS,
                    pending,
                )
                _set_last_payment(f, last_payment)
            except (ArcollectError, ValueError, TypeError, ArithmeticError):
                fallback.add(aid)
                continue
            yield f

    def _contacts(self, frame: pl.DataFrame, decided: Container[str]) -> list[Contact | None]:
        """Return the contact of each row, each distinct one built once; a bad one falls back.

        The rows of the accounts in *decided* are checked (their distinct contacts built and
        let go) but not kept: None. Kept until every account's facts are made, they would be
        objects more for the collector.
        """
        known: dict[tuple[Any, ...], Contact] = {}
        checked: set[tuple[Any, ...]] = set()
        out: list[Contact | None] = []
        for aid, *values in zip(
            *(frame.get_column(c).to_list() for c in frame.columns), strict=True
        ):
            values[2] = tuple(values[2])  # the roles
            key = tuple(values)
            found = known.get(key)
            if found is None and (key not in checked or aid not in decided):
                try:
                    made = _contact(*key)
                except (ArcollectError, ValueError, TypeError):
                    self.fallback.add(aid)
                else:
                    if aid in decided:
                        checked.add(key)
                    else:
                        found = known[key] = made
            out.append(None if aid in decided else found)
        return out

    def _money(self, text: str, currency: str) -> Money:
        """Return `Money` of *text*, the first `_SHARED` amounts read made once only.

        The caches are bounded: every amount they keep stays alive, for the collector to scan.
        """
        key = (text, currency)
        found = self._amounts.get(key)
        if found is None:
            found = Money(text, currency)
            if len(self._amounts) < _SHARED:
                self._amounts[key] = found
        return found

    def _minor(self, currency: str, exp: int, minor: int) -> Money:
        """Return the Money of *minor* units of *currency* (the first `_SHARED` made once)."""
        known = self._minor_money.get(currency)
        if known is None:
            known = self._minor_money[currency] = {}
        found = known.get(minor)
        if found is None:
            amount = Decimal(minor).scaleb(-exp, MONEY_CONTEXT)
            found = Money._exact_sum(amount, currency)  # noqa: SLF001 - exact
            if len(known) < _SHARED:
                known[minor] = found
        return found

    def _payment(  # noqa: PLR0917 - a row's columns
        self,
        on: date,
        minor: int,
        currency: str,
        exp: int,
        reference: str | None,
        one: str | None,
        every: list[str] | None,
    ) -> Payment:
        """Return the payment of a row the tables checked.

        Its amount is positive, in minor units of the account's currency; its names are known.
        """
        money = self._minor(currency, exp, minor)
        return _payment(on, money, reference, _names(one, every))  # type: ignore[no-any-return]

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


#: The columns of `_Work.head` the facts read, in order: the account's, then its figures and
#: how many rows each of its tables has (`_PARTS`).
_PARTS: Final = (
    "open",
    "r_inv",
    "r_pay",
    "last_pay",
    "promises",
    "ledger",
    "disputes",
    "contacts",
    "acts",
)
_HEAD: Final = (
    *(c.name for c in SCHEMAS["accounts"]),
    "overdue",
    "current",
    "oldest",
    "since",
    "last_c",
    "r",
    "limit_m",
    *(f"{end}_{p}" for p in _PARTS for end in "se"),
)
#: A replayed account's open invoices (`_Pending`'s picks), overdue and current money in
#: minor units, oldest open due date, delinquency episode and unapplied credit (minor units).
_Replayed: TypeAlias = tuple[tuple[tuple[int, int], ...], int, int, date | None, date | None, int]
_REPLAY_SPANS: Final = ("s_r_inv", "e_r_inv", "s_r_pay", "e_r_pay")
_EMPTY: Final[frozenset[str]] = frozenset()
_CHANNELS: Final = {c.value: c for c in Channel}
_OUTCOMES: Final = {o.value: o for o in Outcome}
_RISKS: dict[str, Decimal] = {}


def _tag_sets(tags: list[list[str]]) -> list[frozenset[str]]:
    """Return each list of tags as a frozenset, equal ones the same object."""
    known: dict[tuple[str, ...], frozenset[str]] = {}
    out = []
    for names in tags:
        if not names:
            out.append(_EMPTY)
            continue
        key = tuple(names)
        found = known.get(key)
        if found is None:
            found = known[key] = frozenset(names)
        out.append(found)
    return out


def _risk(text: str) -> Decimal:
    """Return the risk score of *text*, as `Account` converts it (refusing what it refuses)."""
    found = _RISKS.get(text)
    if found is None:
        found = Decimal(text.strip())
        if not found.is_finite():
            raise DataError.at("risk", f"expected a finite number, got {text!r}")
        if len(_RISKS) < _KEPT:
            _RISKS[text] = found
    return found


def _columns_of(frame: pl.DataFrame, accounts: list[str]) -> list[list[Any]]:
    """Return the columns of *frame* but the first (``account_id``), of the *accounts*' rows."""
    wanted = pl.Series(accounts, dtype=pl.String).implode()
    rows = frame.filter(pl.col("account_id").is_in(wanted))
    return [rows.get_column(c).to_list() for c in rows.columns[1:]]


def _rows(frame: pl.DataFrame, first: int) -> list[tuple[Any, ...]]:
    """Return the rows of *frame* from column *first* on as tuples, a column at a time."""
    if not frame.height:
        return []
    columns = frame.columns[first:]
    return list(zip(*(frame.get_column(c).to_list() for c in columns), strict=True))


def _ledger(rows: Sequence[tuple[Any, ...]], exp: int) -> _Ledger:
    """Return the ledger of payment rows ``(date, minor units)`` sorted by date.

    The payments' order within one date changes nothing a promise reads (the running totals
    at each date's bounds, and the date a total is reached). *exp* is the currency's minor unit.
    """
    book = object.__new__(_Ledger)
    book.dates = [r[0] for r in rows]
    totals = itertools.accumulate([r[1] for r in rows], initial=0)
    book.totals = [Decimal(t).scaleb(-exp, MONEY_CONTEXT) for t in totals]
    return book


class _TableFacts(AccountFacts):
    """Facts worked out from the tables: what is derived on first read comes from their rows.

    The light account holds no invoices or payments to replay, so the rows stay with the facts
    (`forget_replay` keeps them) and the last payment is given.
    """

    __slots__ = ()

    def forget_replay(self) -> None:
        """Keep the rows: the account has no records to derive the facts again from."""

    def _ledger(self) -> _Replay:
        replay = self._replay
        if isinstance(replay, _Pending):
            replay = replay.replay()
            object.__setattr__(self, "_replay", replay)
        assert replay is not None  # noqa: S101 - made with its rows
        return replay


class _Store:
    """Rows of a table kept in polars: the rows an account asks for become Python values then.

    The first accounts to ask get their own rows sliced off (tens of microseconds each); once
    as many have asked as would make converting the whole table cheaper, it is converted at
    once (a policy reading the open invoices of many accounts).
    """

    __slots__ = ("frame", "reads", "rows", "sliced")

    def __init__(self, frame: pl.DataFrame, columns: Sequence[str]) -> None:
        tags = pl.col("tags")  # mostly empty: nulls are cheaper to convert than empty lists
        self.frame = frame.select(columns).with_columns(
            pl.when(tags.list.len() > 0).then(tags).alias("tags")
        )
        self.rows: list[tuple[Any, ...]] | None = None
        self.reads = 0
        self.sliced = max(_SLICED, frame.height // 16)

    def get(self, start: int, end: int) -> list[tuple[Any, ...]]:
        """Return rows *start* to *end* (excluded) as tuples of the columns."""
        if self.rows is None:
            self.reads += 1
            if self.reads <= self.sliced:
                return self.frame.slice(start, end - start).rows()
            self.rows = _rows(self.frame, 0)
        return self.rows[start:end]


#: How many accounts a `_Store` slices their rows for, at least, before it converts them all.
_SLICED: Final = 64


class _Pending(_Replay):
    """An account's open invoices as rows of a `_Store`, made a `_Replay` when first read.

    *picks* are the rows' indexes and open amounts (None: every row in ``start..end``, its open
    amount in its last column); amounts are in minor units.
    """

    __slots__ = (
        "currency",
        "current_minor",
        "end",
        "exp",
        "picks",
        "start",
        "store",
        "unapplied_minor",
    )

    def __init__(  # noqa: PLR0917 - the replay's parts, from the one caller
        self,
        store: _Store,
        start: int,
        end: int,
        picks: tuple[tuple[int, int], ...] | None,
        currency: str,
        exp: int,
        unapplied: int,
        current: int,
    ) -> None:
        # Not `_Replay.__init__`: its parts are made by `replay`.
        self.store, self.start, self.end, self.picks = store, start, end, picks
        self.currency, self.exp = currency, exp
        self.unapplied_minor, self.current_minor = unapplied, current

    def replay(self) -> _Replay:
        """Return the `_Replay` of the open invoices: items oldest due first, open amounts."""
        cur, exp, ctx, start = self.currency, self.exp, MONEY_CONTEXT, self.start
        rows = self.store.get(start, self.end)
        if self.picks is None:
            pairs = [(r, r[7]) for r in rows]
        else:
            pairs = [(rows[k - start], owed) for k, owed in self.picks]
        items: list[Invoice] = []
        open_amt: dict[str, Decimal] = {}
        for (number, amount, issued, due, delivered, po, tags, *_), owed in pairs:
            total = Money(amount, cur)
            fs = frozenset(tags) if tags else _EMPTY
            items.append(_invoice(number, issued, due, total, po, delivered, fs))
            open_amt[number] = Decimal(owed).scaleb(-exp, ctx)
        return _Replay(
            items,
            open_amt,
            Decimal(self.unapplied_minor).scaleb(-exp, ctx),
            Decimal(self.current_minor).scaleb(-exp, ctx),
            DEFAULT_AGING_BOUNDS,
        )


_invoice: Final = constructor(
    Invoice, "number", "issued", "due", "amount", "po_number", "delivered", "tags"
)
_account: Final = constructor(
    Account,
    "id",
    "currency",
    "name",
    "credit_limit",
    "terms",
    "tags",
    "risk",
    "country",
    "locale",
    "customer_since",
    "contacts",
    "collector",
)
_new_facts: Final = constructor(_TableFacts, slots=AccountFacts)
_set_last_payment: Final = AccountFacts.__dict__["last_payment"].__set__
_set_activities: Final = AccountFacts.__dict__["activities"].__set__
_KEPT: Final = 1024
#: How many amounts `_Work` makes once and shares, per cache.
_SHARED: Final = 2048


def _contact(  # noqa: PLR0917 - a row's columns
    name: str,
    title: str | None,
    roles: tuple[str, ...],
    can_pay: bool,
    phone: str | None,
    email: str | None,
    channel: str | None,
    language: str | None,
) -> Contact:
    """Return the contact of a row of the contacts table, checked as `Contact` checks it."""
    return Contact(
        name,
        title=title,
        roles=roles,
        can_authorize_payment=can_pay,
        phone=phone,
        email=email,
        preferred_channel=channel,
        language=language,
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
