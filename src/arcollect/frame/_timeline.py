"""The plain decision over a table of accounts: `timeline._plain` as polars expressions.

A *plain* timeline (`CompiledTimeline.plain`: catch-up, account-level, no required step, every
step dated from the due date) is decided by `arcollect.engine.timeline._plain`, account by
account. `plain_positions` decides it for every account of a table at once: the same stage,
steps done and skipped, pause, next step and date, planned step and notes. The loops over the
timeline's steps become one expression per step (a timeline has a handful); the accounts are
the rows. The business calendar is applied by rolling each distinct date once, in Python,
and joining.

The input (`ACCOUNT_COLUMNS`), one row per account with open invoices:

- ``account_id``; ``oldest`` (Date): the oldest open invoice's due date; ``since`` (Date,
  null when nothing is overdue): the delinquency episode's first day;
- ``when_{i}`` and ``unless_{i}`` (Boolean) for each step *i*: the values of its conditions
  (null where the step has none), as `TimelineConditions` holds them; ``paused`` and
  ``restarted`` (List(String)): the texts of the ``pause while`` and ``restart when``
  conditions that hold, in the timeline's order;
- ``last_contact`` (Date) and ``last_contact_channel`` (String): the last contact (null: none);
- ``broken_on`` (Date): the day the account's promise (`AccountFacts.promise`) broke, if it
  did; ``snoozed`` (Boolean): whether the account has snoozes.

and the accounts' activities (``account_id``, ``date``, ``step``, ``invoice``, ``timeline``),
those dated on or before the plan's date.

The output has one row per account: ``fallback`` (Boolean) marks the accounts the plain
decision leaves to the full one (`_Decision`: snoozed accounts, accounts a broken promise
resumes, and accounts with dates outside 1900-9000, where the calendar's end is near); the
others have the `Position`'s fields (`POSITION_COLUMNS`). `positions` turns rows back into
`Position`s. A property test holds it to `_plain` on generated timelines and accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

import polars as pl

from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import say_day
from arcollect.engine.timeline import Position, StepDue
from arcollect.engine.timeline import _roll as _roll_day
from arcollect.lang.ir import CheckedStep
from arcollect.lang.program import CompiledTimeline

__all__ = [
    "ACCOUNT_COLUMNS",
    "LIST_COLUMNS",
    "POSITION_COLUMNS",
    "SEP",
    "joinable",
    "plain_positions",
    "position_of",
    "positions",
    "texts_holding",
    "tuples",
]

#: The columns `plain_positions` reads of the accounts, besides each step's ``when_{i}`` and
#: ``unless_{i}``.
ACCOUNT_COLUMNS: Final = (
    "account_id",
    "oldest",
    "since",
    "paused",
    "restarted",
    "last_contact",
    "last_contact_channel",
    "broken_on",
    "snoozed",
)
#: The columns of a decided account, besides ``account_id`` and ``fallback``, in the order of
#: `Position`'s fields.
POSITION_COLUMNS: Final = (
    "episode_start",
    "cycle_start",
    "day",
    "stage",
    "steps_done",
    "steps_skipped",
    "paused_by",
    "next_step",
    "next_date",
    "planned",
    "reason",
    "notes",
    "postponed_step",
    "postponed_on",
)

#: The dates the table decides (outside them, the full decision: the calendar ends in 9999).
_FIRST: Final = date(1900, 1, 1)
_LAST: Final = date(9000, 1, 1)
#: A day after every date: the "no date" of the forecast's keys (`date.max` in `_plain`).
_NEVER: Final = date(9999, 12, 31)
_DATE_FMT: Final = "%Y-%m-%d"
#: What joins the texts of a list while it is made (`_split`): never in a step's name, and a
#: timeline whose conditions' texts hold it makes its lists the slower way.
SEP: Final = "\x1f"


def plain_positions(
    tl: CompiledTimeline,
    accounts: pl.DataFrame,
    activities: pl.DataFrame,
    as_of: date,
    calendar: BusinessCalendar,
) -> pl.DataFrame:
    """Decide the plain timeline *tl* for every account of *accounts* (see the module)."""
    if not tl.plain:
        raise ValueError(f"timeline {tl.name!r} is not plain: decide it account by account")
    steps = tl.steps
    n = len(steps)
    timeline = tl.timeline
    today = pl.lit(as_of, dtype=pl.Date)
    frame = accounts.with_columns(
        (today - pl.col("oldest")).dt.total_days().cast(pl.Int64).alias("day"),
    )
    anchor = (
        pl.col("oldest")
        if timeline.by_oldest_invoice
        else pl.when(pl.col("since").is_null())
        .then(pl.col("oldest"))
        .otherwise(pl.col("since") - pl.duration(days=1))
    )
    frame = frame.with_columns((anchor - pl.duration(days=tl.before_due)).alias("cycle_start"))
    extreme = pl.lit(value=False)
    for name in ("oldest", "since", "last_contact", "broken_on", "cycle_start"):
        extreme = extreme | pl.col(name).is_between(_FIRST, _LAST).not_()
    fallback = pl.col("snoozed") | extreme.fill_null(value=False)
    if tl.resume_index is not None:
        fallback = fallback | (pl.col("broken_on") >= pl.col("cycle_start")).fill_null(value=False)
    frame = frame.with_columns(fallback.alias("fallback"))

    # The steps logged: in the cycle (last day and count), and in any episode (last day).
    names = [s.name for s in steps]
    logged = activities.filter(
        pl.col("step").is_in(names)
        & (pl.col("timeline").is_null() | (pl.col("timeline") == tl.name))
    )
    ever = logged.group_by("account_id", "step").agg(pl.col("date").max().alias("ever"))
    cycle = (
        logged.filter(pl.col("invoice").is_null())
        .join(frame.select("account_id", "cycle_start"), on="account_id", how="inner")
        .filter(pl.col("date") >= pl.col("cycle_start"))
        .group_by("account_id", "step")
        .agg(pl.col("date").max().alias("last"), pl.len().cast(pl.Int64).alias("times"))
    )
    for i, name in enumerate(names):
        frame = frame.join(
            cycle.filter(pl.col("step") == name).select(
                "account_id", pl.col("last").alias(f"last_{i}"), pl.col("times").alias(f"times_{i}")
            ),
            on="account_id",
            how="left",
        ).join(
            ever.filter(pl.col("step") == name).select(
                "account_id", pl.col("ever").alias(f"ever_{i}")
            ),
            on="account_id",
            how="left",
        )
    # An activity far from today's dates falls back too (the notes print its date).
    far = pl.lit(value=False)
    for i in range(n):
        far = far | pl.col(f"ever_{i}").is_between(_FIRST, _LAST).not_().fill_null(value=False)
    frame = frame.with_columns((pl.col("fallback") | far).alias("fallback"))

    day, oldest = pl.col("day"), pl.col("oldest")
    ok = [_ok(i, s) for i, s in enumerate(steps)]
    due = [day >= s.day for s in steps]
    done = [pl.col(f"last_{i}").is_not_null() for i in range(n)]
    frame = frame.with_columns(
        *(e.alias(f"ok_{i}") for i, e in enumerate(ok)),
        *(e.alias(f"due_{i}") for i, e in enumerate(due)),
    )
    ok = [pl.col(f"ok_{i}") for i in range(n)]
    due = [pl.col(f"due_{i}") for i in range(n)]

    # The stage: the most advanced step due whose conditions hold.
    top: pl.Expr = pl.lit(-1, dtype=pl.Int64)
    for i in range(n):
        top = pl.when(due[i] & ok[i]).then(pl.lit(i, dtype=pl.Int64)).otherwise(top)
    frame = frame.with_columns(top.alias("top"))
    top = pl.col("top")
    at_top = [top == i for i in range(n)]
    restarted = (pl.col("restarted").list.len() > 0) & (day > 0)
    paused = pl.col("paused").list.len() > 0

    # The step chosen: the stage, or its repeat; None when done and not come again.
    repeat_ok = [_repeat_ok(i, s, as_of) for i, s in enumerate(steps)]
    chosen = pl.lit(value=False)
    for i in range(n):
        chosen = chosen | (at_top[i] & (~done[i] | repeat_ok[i]))
    frame = frame.with_columns(chosen.alias("chosen"))
    chosen = pl.col("chosen")

    # ``at most every`` and ``min gap`` (`_may_take`), for the step chosen.
    gap = timeline.min_gap
    lc = pl.col("last_contact")
    held_every = [
        (
            pl.col(f"ever_{i}").is_not_null()
            & ((today - pl.col(f"ever_{i}")).dt.total_days() < s.min_interval)
        )
        if s.min_interval is not None
        else pl.lit(value=False)
        for i, s in enumerate(steps)
    ]
    held_gap = [
        (lc.is_not_null() & ((today - lc).dt.total_days() < gap))
        if gap is not None and s.action.is_contact
        else pl.lit(value=False)
        for s in steps
    ]
    trying = chosen & ~paused
    frame = frame.with_columns(
        _pick(at_top, [trying & h for h in held_every], pl.lit(value=False)).alias("held_every"),
        _pick(
            at_top,
            [trying & ~he & h for he, h in zip(held_every, held_gap, strict=True)],
            pl.lit(value=False),
        ).alias("held_gap"),
    )
    planned = trying & ~pl.col("held_every") & ~pl.col("held_gap")
    frame = frame.with_columns(planned.alias("is_planned"))

    # Dates the calendar rolls: each distinct one once.
    raw: dict[str, pl.Expr] = {}
    if gap is not None:
        raw["gap_resume"] = lc + pl.duration(days=gap)  # also the floor after that contact
        raw["floor_today"] = pl.lit(as_of + timedelta(days=gap), dtype=pl.Date)
    for i, s in enumerate(steps):
        raw[f"at_{i}"] = oldest + pl.duration(days=s.day)
        if s.every is not None:
            last_i = pl.when(pl.col("is_planned")).then(today).otherwise(pl.col(f"last_{i}"))
            raw[f"again_{i}"] = last_i + pl.duration(days=s.every)
        if s.min_interval is not None:
            raw[f"every_{i}"] = pl.col(f"ever_{i}") + pl.duration(days=s.min_interval)
    frame = frame.with_columns(*(e.alias(f"raw_{k}") for k, e in raw.items()))
    frame = _roll(frame, [f"raw_{k}" for k in raw], calendar)
    rolled = {k: pl.col(f"rolled_{k}") for k in raw}

    # The forecast (`_plain`'s): the first later step not done whose conditions hold, the
    # min gap's floor lifting contacts; a later step lifted to the same day comes first.
    floor: pl.Expr | None = None
    if gap is not None:
        floor = (
            pl.when(
                pl.col("is_planned")
                & _pick(at_top, [pl.lit(s.action.is_contact) for s in steps], pl.lit(value=False))
            )
            .then(rolled["floor_today"])
            .otherwise(rolled["gap_resume"])
        )
        frame = frame.with_columns(floor.alias("floor"))
        floor = pl.col("floor")
    never = pl.lit(_NEVER, dtype=pl.Date)
    # The best key so far, one column each (an expression built on the last would grow with
    # every step): its date (_NEVER: no date), its second part, its step; and whether a step
    # past the best day has ended the search.
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.Date).alias("best_when"),
        pl.lit(None, dtype=pl.Int64).alias("best_k"),
        pl.lit(None, dtype=pl.Int64).alias("best_j"),
        pl.lit(value=False).alias("stopped"),
    )
    best_when, best_k, best_j = pl.col("best_when"), pl.col("best_k"), pl.col("best_j")
    for j, s in enumerate(steps):
        when = rolled[f"at_{j}"]
        has_best = best_j.is_not_null()
        candidate = (top < j) & ~due[j] & ~done[j] & ok[j] & ~pl.col("stopped")
        stop = candidate & has_best & (when.is_null() | (when > best_when))
        lifted = _lift(when, floor) if floor is not None and s.action.is_contact else when
        key_when = lifted.fill_null(never)
        key_k = pl.when(lifted.is_null()).then(pl.lit(j)).otherwise(pl.lit(-j))
        better = (
            candidate
            & ~stop
            & (~has_best | (key_when < best_when) | ((key_when == best_when) & (key_k < best_k)))
        )
        frame = frame.with_columns(
            better.alias("better"), (pl.col("stopped") | stop).alias("stopped")
        )
        better = pl.col("better")
        frame = frame.with_columns(
            pl.when(better).then(key_when).otherwise(best_when).alias("best_when"),
            pl.when(better).then(key_k).otherwise(best_k).alias("best_k"),
            pl.when(better).then(pl.lit(j, dtype=pl.Int64)).otherwise(best_j).alias("best_j"),
        )
    frame = frame.with_columns(
        best_j.alias("next_j"),
        pl.when(best_when == never).then(None).otherwise(best_when).alias("next_when"),
    )
    next_j, next_when = pl.col("next_j"), pl.col("next_when")
    # The stage may repeat first.
    for i, s in enumerate(steps):
        if s.every is None:
            continue
        count = pl.col(f"times_{i}").fill_null(0) + pl.col("is_planned").cast(pl.Int64)
        # The last day: today when the stage is taken, else the last day it was done.
        has_last = pl.col("is_planned") | done[i]
        may = has_last if s.max_times is None else has_last & (count < s.max_times)
        again = rolled[f"again_{i}"]
        when = _lift(again, floor) if floor is not None and s.action.is_contact else again
        sooner = next_j.is_null() | next_when.is_null() | (when.is_not_null() & (when < next_when))
        within = pl.lit(value=True)
        if s.until is not None:
            within = (raw[f"again_{i}"] - oldest).dt.total_days() <= s.until
        take = at_top[i] & may & sooner & within
        frame = frame.with_columns(
            pl.when(take).then(pl.lit(i, dtype=pl.Int64)).otherwise(next_j).alias("next_j"),
            pl.when(take).then(when).otherwise(next_when).alias("next_when"),
        )
    # The stage held back comes back on the day it may go, if that is sooner.
    held_on = pl.lit(None, dtype=pl.Date)
    for i, s in enumerate(steps):
        if s.min_interval is not None:
            held_on = (
                pl.when(at_top[i] & pl.col("held_every"))
                .then(rolled[f"every_{i}"])
                .otherwise(held_on)
            )
    if gap is not None:
        held_on = pl.when(pl.col("held_gap")).then(rolled["gap_resume"]).otherwise(held_on)
    # (`_plain` rolls the day held back again: a business day rolls to itself.)
    back = (
        chosen
        & ~pl.col("is_planned")
        & held_on.is_not_null()
        & (next_when.is_null() | (held_on < next_when))
    )
    frame = frame.with_columns(
        held_on.alias("held_on"),
        pl.when(back).then(top).otherwise(next_j).alias("next_j"),
        pl.when(back).then(held_on).otherwise(next_when).alias("next_when"),
    )

    # The notes, in `_plain`'s order. Only the stage's dates are printed: each date column is
    # formatted once, for the stage (formatting every step's on every row costs most of all).
    frame = frame.with_columns(
        _pick(at_top, [pl.col(f"last_{i}") for i in range(n)], pl.lit(None, dtype=pl.Date))
        .dt.to_string(_DATE_FMT)
        .alias("top_last"),
        _pick(at_top, [pl.col(f"times_{i}") for i in range(n)], pl.lit(None, dtype=pl.Int64))
        .cast(pl.String)
        .alias("top_times"),
    )
    top_last, top_times = pl.col("top_last"), pl.col("top_times")
    notes: list[pl.Expr] = [  # the steps due above the stage whose conditions fail
        pl.when(due[i] & ~ok[i] & (top < i)).then(_not_taken(i, steps[i]))
        for i in range(n - 1, -1, -1)
    ]
    # The stage done: repeated too often, or done on a day.
    too_often: list[pl.Expr] = []
    done_on: list[pl.Expr] = []
    for i, s in enumerate(steps):
        if s.every is not None:
            came = _repeat_came(i, s, as_of)
            if s.max_times is not None:
                often = came & (pl.col(f"times_{i}") >= s.max_times)
                too_often.append(pl.when(at_top[i] & done[i] & often).then(pl.lit(i)))
            done_on.append(pl.when(at_top[i] & done[i] & ~came).then(pl.lit(f"{s.name}: done on ")))
        else:
            done_on.append(pl.when(at_top[i] & done[i]).then(pl.lit(f"{s.name}: done on ")))
    if too_often:
        often_i = pl.coalesce(too_often)
        most = {i: s.max_times for i, s in enumerate(steps) if s.max_times is not None}
        notes.append(
            pl.when(often_i.is_not_null()).then(
                _name_of(often_i, names)
                + pl.lit(": done ")
                + top_times
                + pl.lit(" times (at most ")
                + often_i.replace_strict(most, default=None, return_dtype=pl.String)
                + pl.lit(")")
            )
        )
    notes.append(pl.coalesce(done_on) + top_last)
    every_prefix: list[pl.Expr] = []
    for i, s in enumerate(steps):
        if s.min_interval is not None:
            every_prefix.append(
                pl.when(at_top[i] & pl.col("held_every")).then(
                    pl.lit(f"{s.name}: at most every {s.min_interval} days; last on ")
                    + pl.col(f"ever_{i}").dt.to_string(_DATE_FMT)
                    + pl.lit(", next from ")
                    + pl.col(f"raw_every_{i}").dt.to_string(_DATE_FMT)
                )
            )
    if every_prefix:
        notes.append(pl.coalesce(every_prefix))
    if gap is not None:
        notes.append(
            pl.when(pl.col("held_gap")).then(
                _name_of(top, names)
                + pl.lit(": postponed to ")
                + rolled["gap_resume"].dt.to_string(_DATE_FMT)
                + pl.lit(f": min gap {gap} days between contacts (last contact ")
                + lc.dt.to_string(_DATE_FMT)
                + pl.lit(", ")
                + pl.col("last_contact_channel")
                + pl.lit(")")
            )
        )
    notes.append(
        pl.when(paused).then(
            pl.lit("next: once the pause ends (") + pl.col("paused").list.join("; ") + pl.lit(")")
        )
    )
    restart_note = pl.lit("episode over: restart when ") + pl.col("restarted").list.first()
    # Lists of texts are joined and split: `concat_list` of many optional texts is slow.
    listed = _split if joinable(tl) else _dropped
    done_names = listed([pl.when(done[i]).then(pl.lit(name)) for i, name in enumerate(names)])
    skipped = listed(
        [
            pl.when((i < top) & due[i] & ~done[i] & ok[i]).then(pl.lit(name))
            for i, name in enumerate(names)
        ]
    )
    reason = _pick(
        at_top,
        [
            pl.when(~done[i])
            .then(pl.lit(f"step {s.name} ({say_day(s.day)}) is the most advanced step due"))
            .otherwise(_repeat_reason(s) + top_last)
            for i, s in enumerate(steps)
        ],
        pl.lit(None, dtype=pl.String),
    )
    decided = frame.with_columns(
        pl.col("since").alias("episode_start"),
        pl.when(restarted)
        .then(None)
        .otherwise(pl.when(top >= 0).then(_name_of(top, names)))
        .alias("stage"),
        done_names.alias("steps_done"),
        pl.when(restarted)
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(skipped)
        .alias("steps_skipped"),
        pl.col("paused").alias("paused_by"),
        pl.when(restarted | paused)
        .then(None)
        .otherwise(_name_of(pl.col("next_j"), names))
        .alias("next_step"),
        pl.when(restarted | paused).then(None).otherwise(pl.col("next_when")).alias("next_date"),
        pl.when(~restarted & pl.col("is_planned")).then(top).alias("planned"),
        pl.when(~restarted & pl.col("is_planned")).then(reason).alias("reason"),
        pl.when(restarted)
        .then(pl.concat_list([restart_note]))
        .otherwise(listed(notes))
        .alias("notes"),
        pl.when(~restarted & (pl.col("held_every") | pl.col("held_gap")))
        .then(_name_of(top, names))
        .alias("postponed_step"),
        pl.when(~restarted & pl.col("held_every"))
        .then(
            _pick(
                at_top,
                [raw.get(f"every_{i}", pl.lit(None, dtype=pl.Date)) for i in range(n)],
                pl.lit(None, dtype=pl.Date),
            )
        )
        .when(~restarted & pl.col("held_gap"))
        .then(rolled.get("gap_resume", pl.lit(None, dtype=pl.Date)))
        .alias("postponed_on"),
    )
    return decided.select("account_id", "fallback", *POSITION_COLUMNS)


def positions(tl: CompiledTimeline, decided: pl.DataFrame) -> dict[str, Position | None]:
    """Return the `Position` of each account of *decided* (None: left to the full decision)."""
    joined = joinable(tl)
    columns = [
        tuples(decided, c, joined=joined) if c in LIST_COLUMNS else decided.get_column(c).to_list()
        for c in ("account_id", "fallback", *POSITION_COLUMNS)
    ]
    return {
        aid: None if fallback else position_of(tl, row)
        for aid, fallback, *row in zip(*columns, strict=True)
    }


def position_of(tl: CompiledTimeline, row: Sequence[Any]) -> Position:
    """Return the `Position` of a decided row: its `POSITION_COLUMNS`, lists as tuples."""
    start, cycle, day, stage, done, skipped, paused, nxt, when = row[:9]
    planned, reason, notes, held, held_on = row[9:]
    due = (StepDue(planned, tl.steps[planned], reason),) if planned is not None else ()
    postponed = ((held, held_on),) if held is not None else ()
    return Position(
        tl, start, cycle, day, stage, done, skipped, paused, nxt, when, due, notes, postponed
    )


#: The columns of `POSITION_COLUMNS` that are lists of texts.
LIST_COLUMNS: Final = frozenset({"steps_done", "steps_skipped", "paused_by", "notes"})


def joinable(tl: CompiledTimeline) -> bool:
    """Whether no text of *tl*'s lists (step names, conditions) holds the separator `SEP`.

    Then every list of texts of its decision can be joined by `SEP` and split again.
    """
    timeline = tl.timeline
    texts = [s.name for s in tl.steps]
    texts += [e.text for e in (*timeline.pause_while, *timeline.restart_when)]
    texts += [e.text for s in tl.steps for e in (s.when, s.unless) if e is not None]
    return not any(SEP in t for t in texts)


def tuples(frame: pl.DataFrame, column: str, *, joined: bool) -> list[tuple[str, ...] | None]:
    """Return a list column of texts as Python tuples (None for null).

    *joined* (a `joinable` timeline's lists): joined by `SEP` in polars and split in Python,
    which makes no Python list per row.
    """
    if not joined:
        return [None if v is None else tuple(v) for v in frame.get_column(column).to_list()]
    texts = frame.get_column(column).list.join(SEP).to_list()
    return [None if t is None else tuple(t.split(SEP)) if t else () for t in texts]


def texts_holding(conditions: Sequence[pl.Expr], texts: Sequence[str]) -> pl.Expr:
    """Return the texts whose conditions hold, in order, as a list (empty: none)."""
    return _dropped([pl.when(c).then(pl.lit(t)) for c, t in zip(conditions, texts, strict=True)])


def _split(items: Sequence[pl.Expr]) -> pl.Expr:
    """Return the texts of *items* that are not null, as a list: joined by `SEP`, then split."""
    joined = pl.concat_str(items, separator=SEP, ignore_nulls=True)
    return (
        pl.when(joined == "")
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(joined.str.split(SEP))
    )


def _dropped(items: Sequence[pl.Expr]) -> pl.Expr:
    """Return the texts of *items* that are not null, as a list (for texts holding `SEP`)."""
    if not items:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(items).list.drop_nulls()


def _ok(i: int, step: CheckedStep) -> pl.Expr:
    """Whether step *i* may be taken: its ``when`` not false, its ``unless`` not true."""
    out = pl.lit(value=True)
    if step.when is not None:
        out = out & pl.col(f"when_{i}").fill_null(value=False)
    if step.unless is not None:
        out = out & ~pl.col(f"unless_{i}").fill_null(value=False)
    return out


def _not_taken(i: int, step: CheckedStep) -> pl.Expr:
    """Return the note of step *i* not taken: the condition that failed (as `holds` says)."""
    failed: pl.Expr = pl.lit(None, dtype=pl.String)
    if step.unless is not None:
        failed = pl.when(pl.col(f"unless_{i}").fill_null(value=False)).then(
            pl.lit(f"{step.name}: not taken (unless {step.unless.text} is true)")
        )
    if step.when is not None:
        failed = (
            pl.when(pl.col(f"when_{i}") == False)  # noqa: E712 - a column, not a bool
            .then(pl.lit(f"{step.name}: not taken (when {step.when.text} is false)"))
            .otherwise(failed)
        )
    return failed


def _repeat_came(i: int, step: CheckedStep, as_of: date) -> pl.Expr:
    """Whether the done step *i* has come again: its ``every`` has passed, within ``until``."""
    assert step.every is not None  # noqa: S101 - only for repeating steps
    came = (pl.lit(as_of, dtype=pl.Date) - pl.col(f"last_{i}")).dt.total_days() >= step.every
    if step.until is not None:
        came = came & (pl.col("day") <= step.until)
    return came


def _repeat_ok(i: int, step: CheckedStep, as_of: date) -> pl.Expr:
    """Whether the done step *i* is chosen again (`_repeat` returns its `StepDue`)."""
    if step.every is None:
        return pl.lit(value=False)
    came = _repeat_came(i, step, as_of)
    if step.max_times is not None:
        came = came & (pl.col(f"times_{i}").fill_null(0) < step.max_times)
    return came


def _repeat_reason(step: CheckedStep) -> pl.Expr:
    until = f" until {say_day(step.until)}" if step.until is not None else ""
    return pl.lit(f"step {step.name} repeats every {step.every} days{until}; last done ")


def _pick(at: list[pl.Expr], values: list[pl.Expr], default: pl.Expr) -> pl.Expr:
    """Return the value at the index where *at* holds (one at most), else *default*."""
    out = default
    for where, value in zip(at, values, strict=True):
        out = pl.when(where).then(value).otherwise(out)
    return out


def _name_of(index: pl.Expr, names: list[str]) -> pl.Expr:
    """Return the name of step *index* (null for a null index)."""
    return index.replace_strict(dict(enumerate(names)), default=None, return_dtype=pl.String)


def _lift(when: pl.Expr, floor: pl.Expr) -> pl.Expr:
    """*when*, lifted to *floor* if that is later (either null: *when*)."""
    return (
        pl.when(when.is_not_null() & floor.is_not_null() & (floor > when))
        .then(floor)
        .otherwise(when)
    )


def _roll(frame: pl.DataFrame, columns: Iterable[str], calendar: BusinessCalendar) -> pl.DataFrame:
    """Add ``rolled_X`` for each ``raw_X``: the business day on or after it (null: none)."""
    names = list(columns)
    if not names:
        return frame
    days: set[date] = set()
    for name in names:
        days.update(d for d in frame.get_column(name).drop_nulls().unique().to_list())
    rolled: Mapping[Any, Any] = {d: _roll_day(calendar, d, 0) for d in days}
    return frame.with_columns(
        *(
            pl.col(name)
            .replace_strict(rolled, default=None, return_dtype=pl.Date)
            .alias(f"rolled_{name.removeprefix('raw_')}")
            for name in names
        )
    )
