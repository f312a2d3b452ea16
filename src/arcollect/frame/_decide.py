"""The decision stage in columns, for the accounts that have nothing to dress today.

Most accounts on most days get no action: nothing is due, or the next step is some days off.
For them the row engine's decision stage (`Planner._account`) makes an `AccountState` and a
`Standing`, and nothing else. `quiet` makes those from the tables, in polars, for every
account it can prove quiet, and leaves the others to the row engine (`frame.plan` runs the
row decision for them, and only for them):

1. the **facts frame** (`facts_frame`): one row per account, a column per fact the policy
   reads (`FRAME_FACTS`, and ``has ROLE``), worked out from `_Work.head` (and, for the
   replayed accounts, their replay), for the accounts without promises or disputes (their
   promise and dispute facts are the absent ones);
2. every expression the decision evaluates (segments, each timeline's ``pause while``,
   ``restart when`` and step conditions, the score and the ``ties by`` keys) translated by
   `arcollect.frame._expr.translate`; a policy with an expression it declines, another
   fact (``contact.email``, ``last_payment.date``, ...), or a timeline that is not plain
   is decided row by row, whole;
   an account for which any translation marks its fallback row is left to the row engine;
3. the timeline of each account (the first whose segment holds), and its position by
   `arcollect.frame._timeline.plain_positions`, or the undecided position of an account
   without open invoices or without a timeline;
4. the quiet accounts: decided in columns, nothing planned today (an account under ``on paid
   release hold`` without open invoices but with activities is left to the row engine,
   which looks for a hold to release). Their `Standing` fields and `AccountState` are made
   from the columns, as `Planner._account` and `standing_fields` make them.

The accounts planned here are the row engine's, field for field; the property tests of
`frame.plan` (the same `Plan` as the row engine) run through this path.
"""

from __future__ import annotations

import decimal
from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs
import polars as pl

from arcollect.convert.fast import constructor
from arcollect.domain.actions import Channel
from arcollect.domain.money import MONEY_CONTEXT, currency_exponent
from arcollect.domain.records import DisputeReason
from arcollect.engine.actions import DISPUTE_REVIEW
from arcollect.engine.model import AccountState
from arcollect.engine.planner import _AccountPlan
from arcollect.engine.priority import StandingFields, _sortable
from arcollect.engine.timeline import Position
from arcollect.facts import PromiseStatus
from arcollect.frame._build import minor_units, null_item
from arcollect.frame._expr import Translation, translate
from arcollect.frame._timeline import (
    LIST_COLUMNS,
    POSITION_COLUMNS,
    joinable,
    plain_positions,
    position_of,
    texts_holding,
    tuples,
)
from arcollect.lang.schema import FACTS
from arcollect.lang.types import Kind

if TYPE_CHECKING:
    from arcollect.engine.calendar import BusinessCalendar
    from arcollect.frame._plan import _Work
    from arcollect.lang.program import CompiledPolicy, CompiledTimeline

__all__ = ["FRAME_FACTS", "facts_frame", "quiet"]

_ZERO: Final = Decimal(0)
_NO_TIMELINE: Final = ("no timeline applies to this account",)
_NO_INVOICES: Final = ("no open invoices",)
_ABSENT_SCORE: Final = ("priority score absent (a fact it reads has no value here): counted as 0",)
_DAYS: Final = pl.Int64
_KEPT: Final = PromiseStatus.KEPT.value
_OPEN: Final = PromiseStatus.OPEN.value
_BROKEN: Final = PromiseStatus.BROKEN.value
_PARTIAL: Final = PromiseStatus.PARTIALLY_KEPT.value
_REASONS: Final = frozenset(r.value for r in DisputeReason)
_REVIEW: Final = Channel.REVIEW.value
#: The longest grace and the latest due date of a promise the frame judges (the records
#: refuse a deadline past the last date; the calendar ends in 9999).
_MAX_GRACE: Final = 36_500
_LAST_DUE: Final = date(9000, 1, 1)


def _since(name: str, today: pl.Expr) -> pl.Expr:
    return (today - pl.col(name)).dt.total_days().cast(_DAYS)


def _frame_columns(as_of: date) -> dict[str, pl.Expr]:
    """Return the facts `facts_frame` gives, as expressions over its input."""
    today = pl.lit(as_of, dtype=pl.Date)
    overdue = pl.col("overdue").fill_null(0)
    current = pl.col("current").fill_null(0)
    return {
        "today": today,
        "account.id": pl.col("account_id"),
        "account.name": pl.col("name"),
        "account.tags": pl.col("tags").fill_null([]).list.unique().list.sort(),
        "account.currency": pl.col("currency"),
        "account.collector": pl.col("collector_name"),
        "account.credit_limit": pl.col("limit_m"),
        "account.terms": pl.col("terms"),
        "account.country": pl.col("country"),
        "account.locale": pl.col("locale"),
        "account.customer_since": pl.col("customer_since"),
        "balance": overdue + current - pl.col("unapplied"),
        "overdue": overdue,
        "current": current,
        "undisputed_overdue": overdue
        - pl.min_horizontal(pl.col("d_disputed").fill_null(0), overdue),
        "unapplied": pl.col("unapplied"),
        "days_past_due": pl.when(overdue > 0)
        .then(_since("oldest", today))
        .otherwise(0)
        .fill_null(0),
        "oldest_due": pl.col("oldest"),
        "promise.active": pl.col("p_active").fill_null(value=False),
        "promise.broken": pl.col("p_broken").fill_null(value=False),
        "promise.amount": pl.col("p_amount"),
        "promise.paid": pl.col("p_paid"),
        "promise.due": pl.col("p_due"),
        "promise.made_on": pl.col("p_made_on"),
        "promises.kept": pl.col("n_kept").fill_null(0),
        "promises.broken": pl.col("n_broken").fill_null(0),
        "promises.partially_kept": pl.col("n_partial").fill_null(0),
        "dispute.open": pl.col("d_open").fill_null(value=False),
        "dispute.amount": pl.col("d_amount").fill_null(0),
        "dispute.reason": pl.col("d_reason"),
        "snoozed": pl.lit(value=False),
        "last_contact.date": pl.col("lc_date"),
        "last_contact.channel": pl.col("lc_channel"),
        "last_contact.outcome": pl.col("lc_outcome"),
        "days_since_contact": _since("lc_date", today),
    }


#: The facts a facts frame of `facts_frame` has: a policy reading another is decided row by row.
FRAME_FACTS: Final = frozenset(_frame_columns(date(2000, 1, 1)))


#: The figures of a replayed account its replay gives (`_Work.replay_frame`).
_REPLAYED: Final = ("overdue", "current", "oldest", "since")


def promise_facts(work: _Work, calendar: BusinessCalendar) -> pl.DataFrame:
    """Return the accounts whose promises and disputes the facts frame can speak for.

    Those whose every promise is one the records accept (no installments, an amount above
    zero, due on or after the day made, a grace of 0 to 36,500 days) and none of which is
    followed up today (one not kept whose deadline rolls to today's business day), and whose
    every dispute is one the records accept and, if open, had a review logged since it opened
    (`_disputes`). Their promises are judged as `arcollect.facts` judges them (by the payments
    from the day made to the deadline or the date, in minor units), and the row gives the
    latest promise's facts (`AccountFacts.promise`: the last open one in
    `facts._promise_order`, else the last), the counts by status, ``broken_on``, the day the
    latest promise broke (its ``closed_on``) if it did, and the dispute facts. The others are
    left to the row engine.
    """
    as_of = work.as_of
    pro = work.promise_rows.with_row_index("_p").with_columns(
        minor_units(pl.col("amount"), pl.col("exp")).alias("minor"),
        pl.col("grace_days").cast(pl.Int64).alias("grace"),
    )
    valid = (
        (pl.col("minor") > 0)
        & (pl.col("due") >= pl.col("made_on"))
        & pl.col("grace").is_between(0, _MAX_GRACE)
        & (pl.col("due") < _LAST_DUE)
        & (pl.col("installment_dues").list.len() == 0)
        & (pl.col("installment_amounts").list.len() == 0)
    ).fill_null(value=False)
    pro = pro.with_columns(valid.alias("valid"))
    judged = pro.filter(pl.col("valid") & (pl.col("made_on") <= as_of)).with_columns(
        (pl.col("due") + pl.duration(days=pl.col("grace"))).alias("deadline")
    )
    judged = judged.with_columns(
        pl.min_horizontal(pl.col("deadline"), pl.lit(as_of, dtype=pl.Date)).alias("hi_day"),
        (pl.col("made_on") - pl.duration(days=1)).alias("lo_day"),
    )
    # The payments by day, with each account's running total: what was paid through a day
    # is the total of the last day on or before it (the totals only grow: payments are
    # positive).
    days = (
        work.ledger_rows.group_by("account_id", "date")
        .agg(pl.col("minor").sum())
        .sort("account_id", "date")
        .with_columns(pl.col("minor").cum_sum().over("account_id").alias("total"))
        .select("account_id", "date", "total")
    )
    judged = _through(judged, days, "lo_day", "before")
    judged = _through(judged, days, "hi_day", "through")
    judged = judged.with_columns(
        pl.max_horizontal(pl.col("through") - pl.col("before"), pl.lit(0)).alias("paid"),
        (pl.col("before") + pl.col("minor")).alias("target"),
    )
    reached = (
        judged.filter(pl.col("paid") >= pl.col("minor"))
        .select("_p", "account_id", "target")
        .sort("target")
        .join_asof(
            days.sort("total"),
            left_on="target",
            right_on="total",
            by="account_id",
            strategy="forward",
            check_sortedness=False,
        )
        .select("_p", pl.col("date").alias("reached_on"))
    )
    judged = judged.join(reached, on="_p", how="left")
    kept = pl.col("paid") >= pl.col("minor")
    past = pl.lit(as_of, dtype=pl.Date) > pl.col("deadline")
    judged = judged.with_columns(
        pl.when(kept)
        .then(pl.lit(_KEPT))
        .when(~past)
        .then(pl.lit(_OPEN))
        .when(pl.col("paid") > 0)
        .then(pl.lit(_PARTIAL))
        .otherwise(pl.lit(_BROKEN))
        .alias("status"),
    ).with_columns(
        pl.when(pl.col("status") == _KEPT)
        .then(pl.col("reached_on"))
        .when(pl.col("status") != _OPEN)
        .then(pl.col("deadline") + pl.duration(days=1))
        .alias("closed_on")
    )
    # A broken promise is followed up on the business day its deadline rolls to: today,
    # for a deadline after the last business day before the plan's date.
    previous = _previous_business_day(calendar, as_of)
    follow_up = (
        (pl.col("status") != _KEPT)
        & (pl.col("deadline") > previous)
        & (pl.col("deadline") <= as_of)
    )
    refused = pro.filter(~pl.col("valid")).select("account_id")
    busy = judged.filter(follow_up).select("account_id")
    # The latest promise: the last open one, else the last (in `facts._promise_order`, which
    # sorts on every field: promises equal in the keys here are equal in every fact).
    ordered = judged.sort(
        "account_id",
        pl.col("status") == _OPEN,
        "made_on",
        "due",
        "minor",
        pl.col("by").fill_null(""),
        "grace",
        pl.col("note").fill_null(""),
        maintain_order=True,
    )
    latest = ordered.group_by("account_id", maintain_order=True)
    broken = pl.col("status").is_in([_BROKEN, _PARTIAL])
    facts = latest.agg(
        (pl.col("status") == _OPEN).last().alias("p_active"),
        broken.last().alias("p_broken"),
        pl.col("minor").last().alias("p_amount"),
        pl.col("paid").last().alias("p_paid"),
        pl.col("due").last().alias("p_due"),
        pl.col("made_on").last().alias("p_made_on"),
        (pl.col("status") == _KEPT).sum().cast(pl.Int64).alias("n_kept"),
        (pl.col("status") == _BROKEN).sum().cast(pl.Int64).alias("n_broken"),
        (pl.col("status") == _PARTIAL).sum().cast(pl.Int64).alias("n_partial"),
        pl.when(broken.last()).then(pl.col("closed_on").last()).alias("broken_on"),
    )
    disputes, reviewing, refused_disputes = _disputes(work)
    unfit = pl.concat([refused, busy, refused_disputes, reviewing]).unique()
    accounts = (
        pl.concat([pro.select("account_id"), work.dispute_rows.select("account_id")])
        .unique()
        .join(unfit, on="account_id", how="anti")
    )
    return (
        accounts.join(facts, on="account_id", how="left")
        .join(disputes, on="account_id", how="left")
        .with_columns(
            *(pl.col(c).fill_null(0) for c in ("n_kept", "n_broken", "n_partial")),
            pl.col("d_open").fill_null(value=False),
            *(pl.col(c).fill_null(0) for c in ("d_amount", "d_disputed")),
        )
    )


def _disputes(work: _Work) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return the dispute facts of the accounts with open disputes, and which the frame leaves.

    The facts (``d_open``, ``d_amount``: the money in dispute, ``d_disputed``: the disputed
    overdue money before the cap by the overdue total, ``d_reason``: the reason of the oldest
    open dispute) as `arcollect.facts` works them out from the open invoices' amounts: per open
    dispute its amount, else the open amount of the invoices it names, and of those the overdue
    part, capped by its amount. Left: the accounts with a dispute the records refuse, and
    those with an open dispute no review was logged for since it opened (reviewed today).
    """
    as_of = work.as_of
    dis = work.dispute_rows.with_columns(
        minor_units(pl.col("amount"), pl.col("exp")).alias("minor")
    )
    valid = (
        pl.col("reason").is_in(list(_REASONS))
        & (pl.col("resolved").is_null() | (pl.col("resolved") >= pl.col("opened")))
        & (pl.col("amount").is_null() | (pl.col("currency").is_not_null() & (pl.col("minor") > 0)))
        & ~null_item("invoices")
        & ~pl.col("invoices").list.eval(pl.element().str.strip_chars() == "").list.any()
    ).fill_null(value=False)
    is_open = (pl.col("opened") <= as_of) & (
        pl.col("resolved").is_null() | (pl.col("resolved") > as_of)
    )
    refused = dis.filter(~valid).select("account_id")
    opened = dis.filter(valid & is_open).with_row_index("_d")
    acts = work.acts
    last_review = (
        acts.filter((pl.col("channel") == _REVIEW) | (pl.col("step") == DISPUTE_REVIEW))
        .group_by("account_id")
        .agg(pl.col("date").max().alias("last_review"))
    )
    reviewing = (
        opened.join(last_review, on="account_id", how="left")
        .filter(pl.col("last_review").is_null() | (pl.col("last_review") < pl.col("opened")))
        .select("account_id")
    )
    lines = work.open_lines(opened.select("account_id").unique())
    named = (
        opened.select("_d", "account_id", pl.col("invoices").alias("number"))
        .explode("number")
        .join(lines, on=["account_id", "number"], how="inner")
        .group_by("_d")
        .agg(
            pl.col("open").sum().alias("named_open"),
            pl.col("open").filter(pl.col("due") < as_of).sum().alias("named_overdue"),
        )
    )
    per = opened.join(named, on="_d", how="left").with_columns(
        pl.col("named_open").fill_null(0), pl.col("named_overdue").fill_null(0)
    )
    amount = pl.when(pl.col("amount").is_null()).then(pl.col("named_open")).otherwise("minor")
    per = per.with_columns(amount.alias("d_amount")).with_columns(
        pl.when(pl.col("invoices").list.len() > 0)
        .then(pl.min_horizontal("d_amount", "named_overdue"))
        .otherwise(pl.col("d_amount"))
        .alias("d_disputed")
    )
    facts = (
        per.sort("account_id", "opened", pl.col("id").fill_null(""), "reason")
        .group_by("account_id", maintain_order=True)
        .agg(
            pl.lit(value=True).alias("d_open"),
            pl.col("d_amount").sum(),
            pl.col("d_disputed").sum(),
            pl.col("reason").first().alias("d_reason"),
        )
    )
    return facts, reviewing, refused


def _through(frame: pl.DataFrame, days: pl.DataFrame, day: str, name: str) -> pl.DataFrame:
    """Add *name*: what the account had paid through the day in column *day* (0: nothing)."""
    totals = (
        frame.select("_p", "account_id", day)
        .sort(day)
        .join_asof(
            days.sort("date"),
            left_on=day,
            right_on="date",
            by="account_id",
            strategy="backward",
            check_sortedness=False,
        )
        .select("_p", pl.col("total").fill_null(0).alias(name))
    )
    return frame.join(totals, on="_p", how="left")


def _previous_business_day(calendar: BusinessCalendar, day: date) -> date:
    """Return the last business day before *day* (or the calendar's first day)."""
    one = timedelta(days=1)
    while day > date.min and not calendar.is_business_day(day - one):
        day -= one
    return day - one if day > date.min else day


def eligible(work: _Work, currency: str | None, calendar: BusinessCalendar) -> pl.DataFrame:
    """Return the rows of `_Work.head` a facts frame can be made for, with the last contact.

    Accounts on the vectorised and the replayed paths, without promises or disputes or with
    only those the frame can speak for (`promise_facts`, whose promise columns they have), in
    *currency* (None: any), whose credit limit (if any) was read into minor units; the
    replayed accounts' figures are their replay's (`_Work.replays`), and every account has its
    ``unapplied`` credit and the ``lc_date``, ``lc_channel`` and ``lc_outcome`` of its last
    contact.
    """
    head = work.head
    judged = promise_facts(work, calendar)
    keep = (
        (pl.col("promises").is_null() & pl.col("disputes").is_null())
        | pl.col("account_id").is_in(judged.get_column("account_id").implode())
    ) & (pl.col("credit_limit").is_null() | pl.col("limit_m").is_not_null())
    if currency is not None:
        keep &= pl.col("currency") == currency
    rows = head.filter(keep).join(judged, on="account_id", how="left", maintain_order="left")
    replayed = work.replay_frame().rename(lambda c: c if c == "account_id" else f"_{c}")
    rows = rows.join(replayed, on="account_id", how="left", maintain_order="left")
    r = pl.col("r")
    rows = rows.filter(~r | pl.col("_overdue").is_not_null()).with_columns(  # replay failed
        *(pl.when(r).then(pl.col(f"_{c}")).otherwise(pl.col(c)).alias(c) for c in _REPLAYED),
        pl.when(r).then(pl.col("_unapplied")).otherwise(0).alias("unapplied"),
    )
    last = (
        work.acts.join(rows.select("account_id", "last_c"), on="account_id", how="inner")
        .filter(pl.col("_pos") == pl.col("last_c"))
        .select(
            "account_id",
            pl.col("date").alias("lc_date"),
            pl.col("channel").alias("lc_channel"),
            pl.col("outcome").alias("lc_outcome"),
        )
    )
    return rows.join(last, on="account_id", how="left", maintain_order="left")


def facts_frame(
    rows: pl.DataFrame, as_of: date, names: frozenset[str], contacts: pl.DataFrame
) -> pl.DataFrame:
    """Return the facts frame of *rows* (from `eligible`) on *as_of*, with the facts *names*.

    *names* are facts of `FRAME_FACTS` and ``has ROLE`` (read from *contacts*, the contacts
    table: whether a contact of the account has the role; a decision maker is also one who
    can authorize payment). The columns and their types are those of
    `arcollect.frame._expr.facts_frame` of the accounts' row-engine facts (a test holds them
    equal); ``account.id`` is always there.
    """
    columns = _frame_columns(as_of)
    wanted = sorted({"account.id", "overdue", *names})
    facts = [n for n in wanted if not n.startswith(_HAS)]
    frame = rows.lazy().select(*(columns[n].alias(n) for n in facts))
    roles = [n.removeprefix(_HAS) for n in wanted if n.startswith(_HAS)]
    if roles:
        has = (
            contacts.lazy()
            .group_by("account_id")
            .agg(
                *(
                    (
                        pl.col("roles").list.contains(role)
                        | (pl.col("can_authorize_payment") if role == "decision_maker" else False)
                    )
                    .any()
                    .alias(_HAS + role)
                    for role in roles
                )
            )
        )
        frame = frame.join(
            has, left_on="account.id", right_on="account_id", how="left", maintain_order="left"
        ).with_columns(pl.col(_HAS + r).fill_null(value=False) for r in roles)
    return frame.select(wanted).collect()


def _frame_has(names: Collection[str]) -> bool:
    """Whether a facts frame has every column of *names* (`FRAME_FACTS` and ``has ROLE``)."""
    return all(n in FRAME_FACTS or n.startswith(_HAS) for n in names)


_HAS: Final = "has "


class _Translated:
    """The policy's expressions translated for one currency (None where the policy has none)."""

    def __init__(self, policy: CompiledPolicy, currency: str) -> None:
        checked = policy.checked
        self.ok = False
        self.reads: set[str] = set()
        self.segments: list[Translation | None] = []
        self.conditions: list[_Conditions] = []

        def tr(expr: Any) -> Translation:
            t = translate(expr, checked, currency=currency)
            if t is None:
                raise _Unfit
            self.reads |= t.reads
            return t

        if not all(tl.plain for tl in policy.timelines):
            return
        try:
            for tl in policy.timelines:
                segment = tl.timeline.segment
                self.segments.append(None if segment is None else tr(checked.segments[segment]))
                self.conditions.append(_Conditions(tl, tr))
            score = checked.priority.score
            self.score = None if score is None else tr(score)
            self.ties = [tr(e) for e, _ in checked.priority.ties]
        except _Unfit:
            return
        if self.score is not None and not self.score.exact_text:
            return  # its values would not print as the row engine's
        measure = FACTS.get(checked.priority.tier_measure or "overdue", FACTS["overdue"])
        self.measure = measure.name if measure.type.kind is Kind.MONEY else None
        if self.measure is not None:
            self.reads.add(self.measure)
        self.ok = _frame_has(self.reads)
        self.channels = self._channels(policy, currency) if self.ok else None

    def _channels(self, policy: CompiledPolicy, currency: str) -> list[Translation | None] | None:
        """Translate the channel rules' conditions, if the accounts can be dressed in columns.

        Dressed without their facts (`arcollect.engine.actions.Dressing`): a policy without
        ``assign`` rules (the owner is the account's collector) and without ``fall back when
        unreachable``, whose channel conditions the facts frame decides. None: it cannot.
        """
        checked = policy.checked
        if policy.assign_rules or checked.fallback:
            return None
        out: list[Translation | None] = []
        reads: set[str] = set()
        for rule in checked.channel:
            if rule.condition is None:
                out.append(None)
                continue
            t = translate(rule.condition, checked, currency=currency)
            if t is None or not _frame_has(t.reads):
                return None
            out.append(t)
            reads |= t.reads
        self.reads |= reads
        return out

    def all(self) -> list[Translation]:
        """Every translation, in no particular order."""
        out = [t for t in self.segments if t is not None]
        for c in self.conditions:
            out += [*c.pause, *c.restart]
            out += [t for t in (*c.when, *c.unless) if t is not None]
        if self.score is not None:
            out.append(self.score)
        return out + self.ties


class _Unfit(Exception):  # noqa: N818 - a signal, caught in `_Translated`
    """An expression the facts frame cannot decide: the policy is decided row by row."""


class _Conditions:
    """A timeline's conditions, translated."""

    def __init__(self, tl: CompiledTimeline, tr: Any) -> None:
        timeline = tl.timeline
        self.pause: list[Translation] = [tr(e) for e in timeline.pause_while]
        self.restart: list[Translation] = [tr(e) for e in timeline.restart_when]
        self.pause_texts = [e.text for e in timeline.pause_while]
        self.restart_texts = [e.text for e in timeline.restart_when]
        self.when = [None if s.when is None else tr(s.when) for s in timeline.steps]
        self.unless = [None if s.unless is None else tr(s.unless) for s in timeline.steps]


#: Translations made, by policy (kept with it, so that the id is not reused) and currency.
_CACHE: dict[tuple[int, str], tuple[CompiledPolicy, _Translated]] = {}
_CACHED: Final = 32


def _translated(policy: CompiledPolicy, currency: str) -> _Translated:
    key = (id(policy), currency)
    found = _CACHE.get(key)
    if found is not None and found[0] is policy:
        return found[1]
    if len(_CACHE) >= _CACHED:
        _CACHE.clear()
    made = _Translated(policy, currency)
    _CACHE[key] = (policy, made)
    return made


@attrs.define
class Decided:
    """What the columnar decision decided, by account.

    *plans*: the per-account results of the quiet accounts (what `Planner._account` returns
    for them: no candidate actions); *given*: for the accounts with steps due today, their
    timeline, `Position` and standing, for the row engine to dress (`Planner._account`'s
    *given*); *dressed*: of those, the accounts to dress without their facts
    (`arcollect.engine.actions.Dressing`), with the index of the channel rule that holds for
    each (None: none holds).
    """

    plans: dict[str, _AccountPlan] = attrs.Factory(dict)
    given: dict[str, Given] = attrs.Factory(dict)
    dressed: dict[str, int | None] = attrs.Factory(dict)

    def update(self, other: Decided) -> None:
        """Add what *other* decided."""
        self.plans.update(other.plans)
        self.given.update(other.given)
        self.dressed.update(other.dressed)


def quiet(policy: CompiledPolicy, calendar: BusinessCalendar, work: _Work, as_of: date) -> Decided:
    """Decide in columns what the facts frame can decide (see the module).

    The caller dresses the accounts of `Decided.dressed` from their records, makes the facts
    of the other accounts not in `Decided.plans` and runs the row engine's decision for them,
    with `Decided.given` where there is one (and drops any result of `Decided.plans` whose
    records turn out to be refused, as it would their facts).
    """
    fixed = policy.checked.currency
    rows = eligible(work, fixed, calendar)
    out = Decided()
    if not rows.height:
        return out
    currencies = [fixed] if fixed is not None else rows.get_column("currency").unique().sort()
    for cur in currencies:
        t = _translated(policy, cur)
        if not t.ok:
            continue
        mine = rows if fixed is not None else rows.filter(pl.col("currency") == cur)
        with decimal.localcontext(MONEY_CONTEXT):
            out.update(_decide(policy, calendar, work, t, mine, as_of, cur))
    return out


def _decide(  # noqa: PLR0917 - the decision's inputs, from the one caller
    policy: CompiledPolicy,
    calendar: BusinessCalendar,
    work: _Work,
    t: _Translated,
    rows: pl.DataFrame,
    as_of: date,
    currency: str,
) -> Decided:
    frame = facts_frame(rows, as_of, frozenset(t.reads), work.contact_rows)
    # Every condition's value, and which accounts any translation leaves to the row engine.
    every = t.all()
    values = {id(tr): pl.col(f"_v{k}") for k, tr in enumerate(every)}
    named = [tr.value.alias(f"_v{k}") for k, tr in enumerate(every)]
    fallback = pl.any_horizontal([tr.fallback for tr in every] or [pl.lit(value=False)])
    chosen = _first_holding([None if seg is None else values[id(seg)] for seg in t.segments])
    channels = t.channels or []
    named += [c.value.alias(f"_c{k}") for k, c in enumerate(channels) if c is not None]
    channel = _first_holding(
        [None if c is None else pl.col(f"_c{k}") for k, c in enumerate(channels)]
    )
    undressed = pl.any_horizontal(
        [pl.lit(value=t.channels is None), *(c.fallback for c in channels if c is not None)]
    )
    conds = (
        frame.lazy()
        .with_columns(*named, fallback.alias("_fallback"), undressed.alias("_undressed"))
        .with_columns(chosen.alias("_tl"), channel.alias("_channel"))
        .collect()
    )
    dressable = conds.filter(~pl.col("_undressed"))
    channel_of = dict(
        zip(
            dressable.get_column("account.id").to_list(),
            dressable.get_column("_channel").to_list(),
            strict=True,
        )
    )
    inputs = conds.hstack(
        rows.select(
            "account_id",
            "oldest",
            pl.when(pl.col("overdue").fill_null(0) > 0).then(pl.col("since")).alias("since"),
            "lc_date",
            "lc_channel",
            "broken_on",
            (pl.col("e_acts") > pl.col("s_acts")).alias("_acts"),
        )
    ).filter(~pl.col("_fallback"))
    plans: dict[str, _AccountPlan] = {}
    given: dict[str, Given] = {}
    acts = work.acts.select("account_id", "date", "step", "invoice", "timeline")
    for k, tl in enumerate(policy.timelines):
        mine = inputs.filter(pl.col("_tl") == k)
        if not mine.height:
            continue
        c = t.conditions[k]
        decided = mine.filter(pl.col("oldest").is_not_null())
        if decided.height:
            table = decided.select(
                "account_id",
                "oldest",
                "since",
                texts_holding([values[id(p)] for p in c.pause], c.pause_texts).alias("paused"),
                texts_holding([values[id(r)] for r in c.restart], c.restart_texts).alias(
                    "restarted"
                ),
                pl.col("lc_date").alias("last_contact"),
                pl.col("lc_channel").alias("last_contact_channel"),
                "broken_on",
                pl.lit(value=False).alias("snoozed"),
                *(
                    (pl.lit(None, dtype=pl.Boolean) if w is None else values[id(w)]).alias(
                        f"when_{i}"
                    )
                    for i, w in enumerate(c.when)
                ),
                *(
                    (pl.lit(None, dtype=pl.Boolean) if u is None else values[id(u)]).alias(
                        f"unless_{i}"
                    )
                    for i, u in enumerate(c.unless)
                ),
            )
            mine_acts = acts.join(table.select("account_id"), on="account_id", how="semi")
            decided_here = plain_positions(tl, table, mine_acts, as_of, calendar)
            decided_here = decided_here.filter(~pl.col("fallback"))
            planned = pl.col("planned").is_null()
            quiet_ones = decided_here.filter(planned)
            plans.update(_made(policy, work, t, tl, frame, quiet_ones, currency))
            due = decided_here.filter(~planned)
            given.update(_given(policy, t, k, frame, due, currency))
        undecided = mine.filter(pl.col("oldest").is_null())
        if tl.timeline.release_on_paid:  # the row engine looks for a hold to release
            undecided = undecided.filter(~pl.col("_acts"))
        if undecided.height:
            plans.update(_made(policy, work, t, tl, frame, _undecided(undecided), currency))
    nowhere = inputs.filter(pl.col("_tl").is_null())
    if nowhere.height:
        plans.update(_made(policy, work, t, None, frame, _undecided(nowhere), currency))
    dressed = {aid: channel_of[aid] for aid in given if aid in channel_of}
    return Decided(plans, given, dressed)


def _first_holding(conditions: list[pl.Expr | None]) -> pl.Expr:
    """Return the index of the first of *conditions* that holds (None: always), else null."""
    first: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for k, cond in reversed(list(enumerate(conditions))):
        holds = pl.lit(value=True) if cond is None else cond
        first = pl.when(holds).then(pl.lit(k, dtype=pl.Int64)).otherwise(first)
    return first


def _tie_keys(tr: Translation, descending: bool, facts: pl.DataFrame) -> list[tuple[Any, ...]]:
    """Return the sort key parts (`priority._sortable`) of a ``ties by`` key, row by row.

    Amounts go into the key as their currency and number, as `_sortable` puts them, without
    a `Money` made per account first.
    """
    if tr.type.kind is not Kind.MONEY:
        return [_sortable(v, descending) for v in tr.values(facts)]
    cur = tr.currency
    assert cur is not None  # noqa: S101 - money always has its currency
    exp, sign = currency_exponent(cur), -1 if descending else 1
    raw = facts.lazy().select(tr.value).collect().to_series().to_list()
    return [(True, 0) if v is None else (False, cur, Decimal(sign * v).scaleb(-exp)) for v in raw]


def _undecided(rows: pl.DataFrame) -> pl.DataFrame:
    """Return the position of accounts without open invoices or a timeline (`undecided`)."""
    return rows.select("account_id", pl.col("since").alias("episode_start"))


#: The columns of a decided position an `AccountState` reads, in its order (notes last).
_POSITION: Final = (*POSITION_COLUMNS[1:9], "notes")


#: An account decided in columns with steps to dress: the index of its timeline, its position
#: as a row of plain values (`given_position` makes the `Position`) and its standing fields.
#: Plain values only, so the collector stops tracking it until the account is dressed.
Given: TypeAlias = tuple[int, tuple[Any, ...], StandingFields]


def _fields(
    policy: CompiledPolicy,
    t: _Translated,
    frame: pl.DataFrame,
    ids: list[str],
    currency: str,
) -> tuple[list[StandingFields], list[int]]:
    """Return the standing fields of the accounts *ids* (sorted), and their overdue money.

    As `priority.standing_fields` makes them: the score (absent: 0, and a note), the sort key
    of the score and the ``ties by`` keys, the tier measure.
    """
    facts = frame.join(
        pl.DataFrame({"account.id": ids}, schema={"account.id": pl.String}),
        on="account.id",
        how="semi",
        maintain_order="left",
    )
    n = len(ids)
    score = t.score.values(facts) if t.score is not None else [None] * n
    descending = policy.ties_descending
    ties = [_tie_keys(tr, d, facts) for tr, d in zip(t.ties, descending, strict=True)]
    overdue = facts.get_column("overdue").to_list()
    measure = facts.get_column(t.measure).to_list() if t.measure is not None else [None] * n
    exp = currency_exponent(currency)
    amounts: dict[int, Decimal] = {}  # the measure's amounts, each made once (no Money)
    out: list[StandingFields] = []
    for aid, value, m, *tie_parts in zip(ids, score, measure, *ties, strict=True):
        notes: tuple[str, ...] = ()
        if value is None:
            s = _ZERO
            if t.score is not None:
                notes = _ABSENT_SCORE
        else:
            s = value if type(value) is Decimal else Decimal(value)
        key: tuple[Any, ...] = _sortable(s, descending=True)
        for part in tie_parts:
            key += part
        key += (aid,)
        known = _ZERO if m is None else amounts.get(m)
        if known is None:
            known = amounts[m] = Decimal(m).scaleb(-exp, MONEY_CONTEXT)
        out.append((aid, s, key, currency, known, True, notes))
    return out, overdue


def _made(  # noqa: PLR0917 - from `_decide`
    policy: CompiledPolicy,
    work: _Work,
    t: _Translated,
    tl: CompiledTimeline | None,
    frame: pl.DataFrame,
    positions: pl.DataFrame,
    currency: str,
) -> dict[str, _AccountPlan]:
    """Make the results of the accounts of *positions* (decided quiet), as `_account` does."""
    if not positions.height:
        return {}
    positions = positions.sort("account_id")
    ids = positions.get_column("account_id").to_list()
    n = len(ids)
    fields, overdue = _fields(policy, t, frame, ids, currency)
    exp = currency_exponent(currency)
    if tl is None or "stage" not in positions.columns:  # undecided: no timeline, no invoices
        decided: list[list[Any]] = [
            positions.get_column("episode_start").to_list(),
            *([None] * n for _ in _POSITION),
        ]
        notes: list[Any] = [_NO_TIMELINE if tl is None else _NO_INVOICES] * n
    else:
        decided = _columns(tl, positions, ("episode_start", *_POSITION))
        notes = decided[-1]
    name = tl.name if tl is not None else None
    out: dict[str, _AccountPlan] = {}
    minor = work._minor  # noqa: SLF001 - the package's own amounts
    rows = zip(fields, overdue, *decided[:-1], notes, strict=True)
    for f, due_m, start, cycle, day, stage, done, skipped, paused, nxt, when, said in rows:
        state = _state(
            f[0],
            name,
            start,
            day,
            stage,
            done or (),
            skipped or (),
            paused or (),
            nxt,
            when,
            f[1],
            None,
            minor(currency, exp, due_m or 0),
            said + f[6],
            None,
            cycle,
            None,
        )
        out[f[0]] = _result(*f, state, ())
    return out


def _given(  # noqa: PLR0917 - from `_decide`
    policy: CompiledPolicy,
    t: _Translated,
    k: int,
    frame: pl.DataFrame,
    decided: pl.DataFrame,
    currency: str,
) -> dict[str, Given]:
    """Return what the accounts *decided* with steps due in timeline *k* are given (`Given`)."""
    if not decided.height:
        return {}
    decided = decided.sort("account_id")
    ids = decided.get_column("account_id").to_list()
    fields, _ = _fields(policy, t, frame, ids, currency)
    rows = zip(*_columns(policy.timelines[k], decided, POSITION_COLUMNS), strict=True)
    return {f[0]: (k, row, f) for f, row in zip(fields, rows, strict=True)}


def given_position(
    policy: CompiledPolicy, given: Given
) -> tuple[CompiledTimeline, Position, StandingFields]:
    """Return the timeline, `Position` and standing fields an account is *given*."""
    k, row, fields = given
    tl = policy.timelines[k]
    return tl, position_of(tl, row), fields


def _columns(
    tl: CompiledTimeline, decided: pl.DataFrame, names: tuple[str, ...]
) -> list[list[Any]]:
    """Return columns of *decided* as Python lists, lists of texts as tuples (`tuples`)."""
    joined = joinable(tl)
    return [
        tuples(decided, c, joined=joined) if c in LIST_COLUMNS else decided.get_column(c).to_list()
        for c in names
    ]


# Unchecked: the values are those the validated constructors would store.
_state: Final = constructor(AccountState)
_result: Final = constructor(_AccountPlan)
