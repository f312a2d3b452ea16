"""A customer behaviour model for simulation: when customers pay, and what the actions change.

The model is a **discrete-time hazard of payment**, per open invoice and day: on day *t*
relative to the invoice's due date (negative before it), the invoice is paid in full that day
with probability ::

    p = 1 - (1 - h(t)) ** m

where ``h(t)`` is the baseline daily hazard of the day's band (``BANDS``: before due, the due
week, then widening bands past due) and ``m`` multiplies it: the customer's own lateness
(``customer``), whether the invoice is disputed (``dispute``), and the effect of the strongest
action done on the account in the last ``effect_days`` days (``actions``). The form keeps ``p``
in [0, 1] and makes it increase with ``m``: a stronger action never makes payment less likely.
An open promise is kept on its date with probability ``promise_kept``; a call that reaches the
customer yields a promise with probability ``promise_rate``, due ``promise_days`` later.

What `fit` measures, and what it cannot. From a portfolio with history (invoices, their due
dates, the day each was paid off, disputes) it estimates, by maximum likelihood for a piecewise
constant hazard (settlements in a band over invoice-days at risk in it):

- ``hazard``: the baseline hazard per band, from all invoices;
- ``customer``: each customer's multiplier, shrunk toward 1 (a gamma-Poisson estimate: observed
  settlements plus ``prior`` over expected settlements plus ``prior``, so that a customer with
  three invoices is not judged on them alone);
- ``dispute``: the multiplier of disputed invoices (settlements of disputed invoices over
  their expected number).

Where the history logs actions (activities), `fit` also measures each action's multiplier: the
settlement ratio of the days within ``effect_days`` after it over that of days with no recent
action (the hazard is then scaled to be the hazard without actions). That is an association,
not an experiment: collectors act on the accounts they expect to pay late, so a measured effect
is biased toward zero or below; a kind with little exposure keeps its assumed value. The
promise rates, the call reach rate and the actions of data that holds none (the bundled IBM
sample logs no activity) cannot be identified: they are **assumptions**, given in
``ASSUMED`` with the reasoning for each, marked ``assumed`` in every model and report, and meant
to be replaced by the user's own figures (a YAML file, `load_model`). The simulation is only as
good as those numbers; it is a way to compare policies under stated assumptions, not a forecast.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from arcollect._yaml import load_yaml
from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind
from arcollect.errors import DataError, Problem
from arcollect.facts import paid_off

__all__ = ["ASSUMED", "BANDS", "BehaviourModel", "fit", "load_model"]

#: The bands of days relative to the due date, each (first, last) inclusive; None: open end.
BANDS: Final[tuple[tuple[int | None, int | None], ...]] = (
    (None, -15),
    (-14, -1),
    (0, 0),
    (1, 7),
    (8, 14),
    (15, 30),
    (31, 60),
    (61, 90),
    (91, None),
)

#: The assumed parameters, with why each value was chosen. None of them is measured.
ASSUMED: Final[Mapping[str, tuple[Any, str]]] = {
    "actions": (
        {
            "email": 1.2,
            "sms": 1.2,
            "letter": 1.3,
            "voicemail": 1.2,
            "call": 1.8,
            "visit": 2.0,
            "hold_shipments": 2.5,
            "refer_agency": 2.0,
            "refer_attorney": 2.0,
        },
        (
            "assumed: a conversation moves money more than writing, a credit hold or a referral "
            "more still; ordered by collectors' common experience, magnitudes not measured"
        ),
    ),
    "effect_days": (14, "assumed: an action's effect lasts two weeks"),
    "call_reach": (0.6, "assumed: share of calls that reach someone"),
    "promise_rate": (0.3, "assumed: share of reached calls that end with a promise to pay"),
    "promise_days": (7, "assumed: promises fall due a week after they are made"),
    "promise_kept": (0.65, "assumed: share of promises paid on their date"),
}

_ACTION_KINDS = frozenset(a.value for a in ActionKind)


def band_of(day: int) -> int:
    """Return the index in `BANDS` of *day* (days relative to the due date)."""
    for i, (low, high) in enumerate(BANDS):
        if (low is None or day >= low) and (high is None or day <= high):
            return i
    raise AssertionError(day)  # pragma: no cover - the bands cover every day


@attrs.frozen
class BehaviourModel:
    """The parameters of the behaviour model (see the module docstring).

    *hazard* is the baseline daily hazard per band of `BANDS`; *customer* the multipliers by
    account id (absent: 1); *dispute* the multiplier of disputed invoices; *actions* the
    multiplier of each action, for *effect_days* days after it; the promise parameters as named.
    *measured* lists the parameters fitted from data (the others were assumed or given);
    *source* says where the model comes from.
    """

    hazard: tuple[float, ...]
    customer: Mapping[str, float] = attrs.field(factory=dict)
    dispute: float = 1.0
    actions: Mapping[str, float] = attrs.field(factory=lambda: dict(ASSUMED["actions"][0]))
    effect_days: int = ASSUMED["effect_days"][0]
    call_reach: float = ASSUMED["call_reach"][0]
    promise_rate: float = ASSUMED["promise_rate"][0]
    promise_days: int = ASSUMED["promise_days"][0]
    promise_kept: float = ASSUMED["promise_kept"][0]
    measured: tuple[str, ...] = ()
    #: The bands of *hazard* no data covered, which took the hazard of the band before them.
    extrapolated: tuple[int, ...] = ()
    source: str = "defaults"

    def __attrs_post_init__(self) -> None:
        problems = []
        if len(self.hazard) != len(BANDS):
            problems.append(
                Problem("hazard", f"expected {len(BANDS)} bands, got {len(self.hazard)}")
            )
        problems += [
            Problem(f"hazard[{i}]", f"a daily hazard is between 0 and 1, got {h}")
            for i, h in enumerate(self.hazard)
            if not 0 <= h <= 1
        ]
        for name in ("call_reach", "promise_rate", "promise_kept"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                problems.append(Problem(name, f"a probability is between 0 and 1, got {value}"))
        problems += [
            Problem(f"actions.{k}", f"a multiplier is positive, got {v}")
            for k, v in self.actions.items()
            if not v > 0
        ]
        problems += [
            Problem(f"actions.{k}", f"unknown action {k!r}")
            for k in self.actions
            if k not in _ACTION_KINDS
        ]
        if problems:
            raise DataError(problems, self.source)

    def probability(self, account: str, day: int, *, disputed: bool, action: str | None) -> float:
        """Return the chance an invoice of *account* is paid on *day* (relative to due)."""
        m = self.customer.get(account, 1.0)
        if disputed:
            m *= self.dispute
        if action is not None:
            m *= self.actions.get(action, 1.0)
        h = self.hazard[band_of(day)]
        return float(1.0 - (1.0 - h) ** m)

    def describe(self) -> str:
        """Say the model's parameters, and which were measured and which assumed."""
        lines = [f"behaviour model ({self.source})"]
        fitted = set(self.measured)
        for i, ((low, high), h) in enumerate(zip(BANDS, self.hazard, strict=True)):
            span = f"{'' if low is None else low}..{'' if high is None else high}"
            tag = (
                "  (no data: the band before's)"
                if i in self.extrapolated
                else _tag("hazard", fitted)
            )
            lines.append(f"  hazard {span:>9} days from due: {h:.4f}{tag}")
        if self.customer:
            values = sorted(self.customer.values())
            lines.append(
                f"  customer multipliers: {len(values)}, from {values[0]:.2f} to "
                f"{values[-1]:.2f}" + _tag("customer", fitted)
            )
        lines.append(f"  disputed invoices: x{self.dispute:.2f}" + _tag("dispute", fitted))
        lines += [
            f"  after {name}: x{value:g}"
            + ("  (measured)" if f"actions.{name}" in fitted else _tag("actions", fitted))
            for name, value in sorted(self.actions.items())
        ]
        names = ("effect_days", "call_reach", "promise_rate", "promise_days", "promise_kept")
        lines += [f"  {name}: {getattr(self, name):g}" + _tag(name, fitted) for name in names]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the model as plain data (the YAML shape `load_model` reads)."""
        return {
            "hazard": list(self.hazard),
            "customer": dict(sorted(self.customer.items())),
            "dispute": self.dispute,
            "actions": dict(sorted(self.actions.items())),
            "effect_days": self.effect_days,
            "call_reach": self.call_reach,
            "promise_rate": self.promise_rate,
            "promise_days": self.promise_days,
            "promise_kept": self.promise_kept,
            "measured": list(self.measured),
            "extrapolated": list(self.extrapolated),
        }


def _tag(name: str, fitted: set[str]) -> str:
    return "  (measured)" if name in fitted else "  (assumed)" if name in ASSUMED else "  (given)"


def fit(accounts: Iterable[Account], *, as_of: date, prior: float = 5.0) -> BehaviourModel:
    """Fit the hazard, customer and dispute multipliers from *accounts*' history up to *as_of*.

    Every invoice issued by *as_of* is at risk from its issue date until the day it was paid
    off (a settlement in that day's band) or *as_of* (censored). Bands with no invoice-day at
    risk keep a hazard of 0. Refuses a portfolio with no settled invoice: nothing to fit.
    """
    portfolio = list(accounts)
    at_risk = [0.0] * len(BANDS)
    events = [0] * len(BANDS)
    # Per invoice: (account, disputed, [(band, days at risk)], band of its settlement or None).
    exposures: list[tuple[str, bool, list[tuple[int, int]], int | None]] = []
    for acct in portfolio:
        paid = paid_off(acct, as_of)
        disputed = {n for d in acct.disputes for n in d.invoices}
        for inv in acct.invoices:
            if inv.issued > as_of:
                continue
            end = paid.get(inv.number, as_of + timedelta(days=1))
            settled = inv.number in paid
            start_day = (inv.issued - inv.due).days
            last_day = (end - inv.due).days  # the settlement day, or the first day not seen
            spans = _spans(start_day, last_day if settled else last_day - 1)
            for b, n in spans:
                at_risk[b] += n
            settled_in = band_of(last_day) if settled else None
            if settled_in is not None:
                events[settled_in] += 1
            exposures.append((acct.id, inv.number in disputed, spans, settled_in))
    if not sum(events):
        raise DataError([Problem("accounts", "no invoice was paid off: nothing to fit")])
    # A band no invoice was ever at risk in says nothing: it takes the hazard of the last band
    # before it with data (extrapolated, and the model says which).
    rates: list[float] = []
    extrapolated = []
    for i, (e, r) in enumerate(zip(events, at_risk, strict=True)):
        if r:
            rates.append(e / r)
        else:
            rates.append(rates[-1] if rates else 0.0)
            extrapolated.append(i)
    hazard = tuple(rates)

    def expected(spans: list[tuple[int, int]]) -> float:
        # Expected settlements: the hazard summed over the invoice-days at risk (observed over
        # expected is the customer's standardized settlement ratio).
        return sum((n * hazard[b] for b, n in spans), 0.0)

    observed: dict[str, float] = {}
    wanted: dict[str, float] = {}
    disputed_obs = disputed_exp = 0.0
    for account, is_disputed, spans, settled_in in exposures:
        due_to_settle = expected(spans)
        observed[account] = observed.get(account, 0.0) + (settled_in is not None)
        wanted[account] = wanted.get(account, 0.0) + due_to_settle
        if is_disputed:
            disputed_obs += settled_in is not None
            disputed_exp += due_to_settle
    customer = {a: (observed[a] + prior) / (wanted[a] + prior) for a in observed}
    dispute = (disputed_obs + prior) / (disputed_exp + prior) if disputed_exp else 1.0
    measured: tuple[str, ...] = ("hazard", "customer", "dispute")
    actions = dict(ASSUMED["actions"][0])
    effects = _action_effects(portfolio, as_of, hazard, customer, prior)
    if effects is not None:
        scale, fitted = effects
        hazard = tuple(min(h * scale, 1.0) for h in hazard)
        actions.update(fitted)
        measured = (*measured, *(f"actions.{k}" for k in sorted(fitted)))
    return BehaviourModel(
        hazard=hazard,
        customer=customer,
        dispute=dispute,
        actions=actions,
        measured=measured,
        extrapolated=tuple(extrapolated),
        source=f"fitted on {len(exposures)} invoices of {len(portfolio)} accounts to {as_of}",
    )


#: An action's effect is measured only where the baseline expects this many settlements on the
#: days after it (fewer: its assumed value stays).
MIN_EXPECTED = 5.0


def _action_effects(
    portfolio: list[Account],
    as_of: date,
    hazard: tuple[float, ...],
    customer: Mapping[str, float],
    prior: float,
) -> tuple[float, dict[str, float]] | None:
    """Measure the actions' multipliers from the activity log, where the history has one.

    Each invoice-day at risk is labelled by the latest action logged on the account in the
    ``effect_days`` before it (or none). For each label, the standardized settlement ratio
    (settlements over what the hazard and the customer's multiplier expect, both plus *prior*)
    is taken; an action's multiplier is its ratio over the ratio of days with no recent action,
    and the hazard is scaled by the latter, so that it is the hazard without actions. Returns
    None when no account logs an action; kinds with too little exposure are left out.
    """
    window = ASSUMED["effect_days"][0]
    observed: dict[str | None, float] = {}
    expected: dict[str | None, float] = {}
    any_action = False
    for acct in portfolio:
        log = sorted((a.date, str(a.channel)) for a in acct.activities if a.date <= as_of)
        if not log:
            continue
        any_action = True
        days = [d for d, _ in log]
        paid = paid_off(acct, as_of)
        factor = customer.get(acct.id, 1.0)
        for inv in acct.invoices:
            if inv.issued > as_of:
                continue
            settled = paid.get(inv.number)
            last = settled if settled is not None else as_of
            day = inv.issued
            while day <= last:
                k = bisect.bisect_left(days, day) - 1  # the latest action before this day
                label = log[k][1] if k >= 0 and (day - days[k]).days <= window else None
                h = hazard[band_of((day - inv.due).days)] * factor
                expected[label] = expected.get(label, 0.0) + h
                if day == settled:
                    observed[label] = observed.get(label, 0.0) + 1
                day += timedelta(days=1)
    if not any_action:
        return None

    def ratio(label: str | None) -> float:
        return (observed.get(label, 0.0) + prior) / (expected.get(label, 0.0) + prior)

    base = ratio(None)
    fitted = {
        str(label): ratio(label) / base
        for label, e in expected.items()
        if label is not None and label in _ACTION_KINDS and e >= MIN_EXPECTED
    }
    return base, fitted


def _spans(first: int, last: int) -> list[tuple[int, int]]:
    """Split the days *first* to *last* (inclusive) into (band, days) pieces."""
    out = []
    for i, (low, high) in enumerate(BANDS):
        lo = first if low is None else max(first, low)
        hi = last if high is None else min(last, high)
        if hi >= lo:
            out.append((i, hi - lo + 1))
    return out


_KEYS = (
    "hazard",
    "customer",
    "dispute",
    "actions",
    "effect_days",
    "call_reach",
    "promise_rate",
    "promise_days",
    "promise_kept",
    "measured",
    "extrapolated",
)


def load_model(path: str | Path, *, base: BehaviourModel | None = None) -> BehaviourModel:
    """Read a model from a YAML file; keys it leaves out keep *base*'s values (or defaults).

    The keys are those of `BehaviourModel.to_dict`. A file that gives no ``hazard`` needs a
    *base* (a fitted model) to take it from.
    """
    name = str(path)
    data = load_yaml(Path(path).read_text(encoding="utf-8"), source=name)
    if not isinstance(data, dict):
        raise DataError([Problem("", "expected a mapping of model parameters")], name)
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise DataError(
            [Problem(k, f"unknown key; expected one of {', '.join(_KEYS)}") for k in unknown], name
        )
    fields: dict[str, Any] = attrs.asdict(base, recurse=False) if base is not None else {}
    fields.pop("source", None)
    for key, value in data.items():
        fields[key] = _value(key, value, name)
    if "hazard" not in fields:
        raise DataError(
            [Problem("hazard", "no hazard given and no fitted model to take it from")], name
        )
    return BehaviourModel(**fields, source=name)


def _value(key: str, value: Any, source: str) -> Any:
    def bad(what: str) -> DataError:
        return DataError([Problem(key, f"expected {what}, got {value!r}")], source)

    def number(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float | Decimal):
            raise bad("a number")
        return float(v)

    if key == "hazard":
        if not isinstance(value, list):
            raise bad("a list of daily hazards")
        return tuple(number(v) for v in value)
    if key in ("customer", "actions"):
        if not isinstance(value, dict):
            raise bad("a mapping")
        return {str(k): number(v) for k, v in value.items()}
    if key in ("effect_days", "promise_days"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a whole number of days")
        return value
    if key == "measured":
        if not isinstance(value, list):
            raise bad("a list of parameter names")
        return tuple(str(v) for v in value)
    if key == "extrapolated":
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise bad("a list of band numbers")
        return tuple(value)
    return number(value)
