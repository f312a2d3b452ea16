"""YAML rule files: the same policy as a ``.arc`` file, written as YAML with expressions as strings.

The YAML document is read safely (plain data only, aliases bounded, duplicate keys refused) and
translated, piece by piece, into rule-language text that keeps a *source map*: every character
of that text knows the YAML scalar (or key) it came from. The text is parsed by the one parser
of the language, so YAML and ``.arc`` files give the same syntax tree; then every span, in the
tree and in any error, is mapped back, so that errors point at the YAML file's own lines and
columns::

    policy.yaml:12:22: error: unknown fact `overdu`
      12 |   small_balance: overdu < 250 EUR
         |                  ^^^^^^
      hint: did you mean `overdue`?

The keys (see docs/language.md, "YAML rule files")::

    policy, version, currency, locale, calendar: {days, holidays}, timezone, roles: [ROLE],
    let: {NAME: EXPR}, segments: {NAME: EXPR},
    timelines: [{name, for, in_sequence, by_oldest_invoice, pause_while, restart_when,
        on_promise_broken, on_paid, min_gap, steps: [
        {name, at, do, per_invoice, to, cc, with, when, unless, every, at_most, at_most_every,
         required, requires_approval_by}]}],
    channel: [{for: ACTIONS}?, {CHANNEL: EXPR | otherwise} | fall back when unreachable],
    assign: [{owner: OWNER, when: EXPR | otherwise}],
    priority: {score, tiers: {NAME: PERCENT}, share_of (default overdue), capacity, ties: [KEY]},
    charges: {interest: {rate, above, day_count}, fees: [{amount, per | with, when | unless}],
              payments: [PART]},
    expect: [{name, as_of, account | accounts: {NAME: ACCOUNT}, then: THEN | [THEN]}]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from arcollect._suggest import did_you_mean
from arcollect._yaml import _Loader
from arcollect.errors import Diagnostic, PolicyError, Span
from arcollect.lang import ast
from arcollect.lang.parser import MAX_POLICY_CHARS, _too_long, parse

__all__ = ["parse_yaml_policy"]

_TOP_KEYS = (
    "policy",
    "version",
    "currency",
    "locale",
    "calendar",
    "timezone",
    "roles",
    "deadline",
    "let",
    "segments",
    "timelines",
    "channel",
    "assign",
    "priority",
    "expect",
    "charges",
)
_TIMELINE_KEYS = (
    "name",
    "for",
    "pause_while",
    "restart_when",
    "on_promise_broken",
    "on_paid",
    "min_gap",
    "in_sequence",
    "by_oldest_invoice",
    "steps",
)
_STEP_KEYS = (
    "name",
    "at",
    "do",
    "per_invoice",
    "to",
    "cc",
    "with",
    "when",
    "unless",
    "every",
    "at_most_every",
    "at_most",
    "required",
    "requires_approval_by",
)
_ASSIGN_KEYS = ("owner", "when")
_PRIORITY_KEYS = ("score", "tiers", "share_of", "capacity", "ties")
_EXPECT_KEYS = ("name", "as_of", "account", "accounts", "then")
_CHARGES_KEYS = ("interest", "fees", "payments")
_INTEREST_KEYS = ("rate", "above", "day_count")
_FEE_KEYS = ("amount", "per", "with", "when", "unless")
_CALENDAR_KEYS = ("days", "holidays")


_WORD = r"[A-Za-z0-9_]+"
_DAYS = r"[0-9][0-9,_.]*\s+(?:days?|weeks?)"

#: The values that are one word or a fixed phrase, by kind: checked by their shape before
#: parsing (the parser then judges the word itself), so that none can carry a second clause.
_WORDS: dict[str, re.Pattern[str]] = {
    kind: re.compile(pattern)
    for kind, pattern in {
        "word": _WORD,
        "to": rf"(?:all\s+)?{_WORD}",
        "cc": _WORD,
        "with": _WORD,
        "requires_approval_by": _WORD,
        "number": r"[0-9][0-9,_.]*",
        "date": r"[0-9][0-9-]*",
        "scope": rf"all|segment\s+{_WORD}",
        "resume": rf"resume\s+at\s+{_WORD}",
        "release": r"release\s+hold",
        "at_most": r"[0-9][0-9,_.]*\s+times?",
        "gap": rf"{_DAYS}(?:\s+between\s+contacts)?",
        "capacity": r"[0-9][0-9,_.]*(?:\s+calls\s+per\s+day(?:\s+per\s+collector)?)?",
        "owner": rf'"(?:[^"\\]|\\.)*"|{_WORD}(?:\.{_WORD})*',
        "deadline": r"[0-9][0-9,_.]*(?:\s+business\s+days?)?",
        "otherwise": r"otherwise",
        "channel_for": rf"{_WORD}(?:\s*,\s*{_WORD})*",
        "money": r"[0-9][0-9,_.]*\s+[A-Za-z]+",
        "day_count": r"act\s*/\s*[0-9]+",
    }.items()
}

#: What each value checked after parsing must parse to, in words.
_CLAUSES: dict[str, str] = {
    "expr": "one expression",
    "when": "one condition",
    "unless": "one condition",
    "at": "one step timing such as `3 days past due`",
    "do": 'one action such as `email "reminder"`',
    "every": "one repetition such as `7 days`",
    "at_most_every": "one duration such as `7 days`",
    "percent": "one percentage such as `80%`",
    "tie": "one key such as `overdue desc`",
    "then": "the expectation only",
    "account": "the account only",
}

#: Rule files nest a few levels (a timeline's steps' keys); deeper is refused before the
#: recursive YAML composer can overflow the stack.
MAX_YAML_DEPTH = 32


#: What the value of each step modifier holds, in words.
_STEP_VALUES: dict[str, str] = {
    "to": "a contact role",
    "cc": "a contact role",
    "with": "a contact role",
    "when": "a condition",
    "unless": "a condition",
    "every": "a duration",
    "at_most_every": "a duration",
    "at_most": "a count such as `3 times`",
    "requires_approval_by": "a role",
}


@attrs.frozen
class _Value:
    """A value written into the rule text: where, and the clause it must parse to."""

    start: int  # offsets of the value in the generated text
    end: int
    kind: str
    what: str
    node: Node


def _shown(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:37] + "..."


class _YamlError(Exception):
    def __init__(self, node: Node, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.hint = hint


@attrs.define
class _Piece:
    start: int  # offset in the generated text
    end: int
    yaml_start: int  # offset in the YAML text
    yaml_end: int
    exact: bool  # characters map one to one


class _Writer:
    """Builds rule text from YAML scalars, remembering where each character came from."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.pieces: list[_Piece] = []

    def add(self, text: str, node: Node, *, exact: bool = False) -> None:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        y0, y1 = node.start_mark.index, node.end_mark.index
        if exact and isinstance(node, ScalarNode):
            if node.style in ("'", '"'):
                y0 += 1
            exact = (
                node.style in (None, "'", '"')
                and "\n" not in text
                and (node.style is None or node.value == text)
            )
            if not exact:
                y0 = node.start_mark.index
        self.pieces.append(_Piece(start, self.length, y0, max(y1, y0 + 1), exact))

    def text(self) -> str:
        return "".join(self.parts)


def _scalar(node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode):
        raise _YamlError(node, f"expected {what} as a string, got a {_kind(node)}")
    return str(node.value)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return "value"


def _mapping(
    node: Node, allowed: Sequence[str], what: str, errors: list[_YamlError]
) -> dict[str, tuple[Node, Node]]:
    """Return a mapping's entries by key; unknown and duplicate keys go to *errors*."""
    if not isinstance(node, MappingNode):
        raise _YamlError(node, f"expected {what} as a mapping, got a {_kind(node)}")
    out: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node, "a key")
        if key in out:
            errors.append(_YamlError(key_node, f"duplicate key `{key}`"))
        elif allowed and key not in allowed:
            hint = did_you_mean(key, allowed, quote="`") or f"expected one of: {', '.join(allowed)}"
            errors.append(_YamlError(key_node, f"unknown key `{key}` in {what}", hint))
        else:
            out[key] = (key_node, value_node)
    return out


def _items(node: Node, what: str) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, ScalarNode):
        return [node]
    raise _YamlError(node, f"expected {what} as a list, got a {_kind(node)}")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Translator:
    def __init__(self) -> None:
        self.w = _Writer()
        self.counts: dict[str, int] = {
            "let": 0,
            "segment": 0,
            "timeline": 0,
            "step": 0,
            "expect": 0,
        }
        self.errors: list[_YamlError] = []
        self.values: list[_Value] = []

    def mapping(
        self, node: Node, allowed: Sequence[str], what: str
    ) -> dict[str, tuple[Node, Node]]:
        return _mapping(node, allowed, what, self.errors)

    def each(self, nodes: Sequence[Node], translate: Callable[[Node], None]) -> None:
        """Translate each node; an error in one is recorded and the others still translated."""
        for node in nodes:
            try:
                translate(node)
            except _YamlError as exc:
                self.errors.append(exc)

    def kw(self, text: str, node: Node) -> None:
        self.w.add(text, node)

    def expr(self, node: Node, what: str, kind: str) -> None:
        """Write the scalar *node* as rule text holding *what*, one clause of *kind*.

        A *kind* in `_WORDS` is checked now, by the shape of its text; any other names the
        syntax node the value must parse to, checked by `_check_values` after parsing. A line
        break follows the value, so that a ``#`` in it comments out nothing but its own rest.
        """
        text = _scalar(node, what)
        start = self.w.length
        self.w.add(text, node, exact=True)
        self.w.add("\n", node)
        pattern = _WORDS.get(kind)
        if pattern is None:
            self.values.append(_Value(start, start + len(text), kind, what, node))
        elif not pattern.fullmatch(text.strip()):
            self.errors.append(
                _YamlError(
                    node,
                    f"expected {what}, got `{_shown(text)}`",
                    "a value holds exactly what its key says: write each clause under its own key",
                )
            )

    def document(self, root: Node) -> None:
        top = self.mapping(root, _TOP_KEYS, "the policy")
        if "policy" not in top:
            raise _YamlError(root, "missing key `policy` (the policy's name)")
        key, value = top["policy"]
        self.kw("policy ", key)
        self.w.add(_quote(_scalar(value, "the policy name")), value)
        if "version" in top:
            k, v = top["version"]
            self.kw(" version ", k)
            self.expr(v, "the version", "number")
        for name in ("currency", "locale"):
            if name in top:
                k, v = top[name]
                self.kw(f"\n  {name} ", k)
                self.expr(v, f"the {name}", "word")
        if "calendar" in top:
            self.calendar(*top["calendar"])
        if "timezone" in top:
            k, v = top["timezone"]
            self.kw("\n  timezone ", k)
            self.w.add(_quote(_scalar(v, "the time zone")), v)
        if "roles" in top:
            self.roles(*top["roles"])
        if "deadline" in top:
            k, v = top["deadline"]
            self.kw("\n  deadline ", k)
            text = _scalar(v, "a payment deadline")
            self.expr(v, "a payment deadline", "deadline")
            if "business" not in text:
                self.kw(" business days", k)
        if "let" in top:
            for k, v in self.mapping(top["let"][1], (), "`let`").values():
                self.kw("\nlet ", k)
                self.expr(k, "a name", "word")
                self.kw(" = ", k)
                self.expr(v, "an expression", "expr")
                self.counts["let"] += 1
        if "segments" in top:
            for k, v in self.mapping(top["segments"][1], (), "`segments`").values():
                self.kw("\nsegment ", k)
                self.expr(k, "a name", "word")
                self.kw(" when ", k)
                self.expr(v, "a condition", "expr")
                self.counts["segment"] += 1
        if "timelines" in top:
            self.each(_items(top["timelines"][1], "`timelines`"), self.timeline)
        if "channel" in top:
            self.channel(*top["channel"])
        if "assign" in top:
            self.assign(*top["assign"])
        if "priority" in top:
            self.priority(*top["priority"])
        if "charges" in top:
            self.charges(*top["charges"])
        if "expect" in top:
            self.each(_items(top["expect"][1], "`expect`"), self.expect)
        self.kw("\n", root)

    def roles(self, key: Node, node: Node) -> None:
        items = _items(node, "`roles`")
        if not items:
            raise _YamlError(node, "`roles` lists no role", "write `roles: [NAME, ...]` or drop it")
        self.kw("\n  roles ", key)
        self.comma_list(items, "a role", "word")

    def comma_list(self, items: Sequence[Node], what: str, kind: str) -> None:
        """Write *items* separated by commas, each a value holding *what*, of *kind*."""
        for i, item in enumerate(items):
            if i:
                self.kw(", ", item)
            self.expr(item, what, kind)

    def calendar(self, key: Node, node: Node) -> None:
        cal = self.mapping(node, _CALENDAR_KEYS, "`calendar`")
        self.kw("\n  calendar ", key)
        if "days" in cal:
            k, v = cal["days"]
            days = _scalar(v, "`days`")
            if days not in ("all", "weekdays"):
                raise _YamlError(v, f"expected `all` or `weekdays`, got `{_shown(days)}`")
            self.w.add("all days" if days == "all" else days, v)
        else:
            self.kw("all days", key)
        if "holidays" in cal:
            k, v = cal["holidays"]
            self.kw(", holidays ", k)
            self.comma_list(_items(v, "`holidays`"), "a date", "date")

    def timeline(self, node: Node) -> None:
        t = self.mapping(node, _TIMELINE_KEYS, "a timeline")
        if "name" not in t:
            raise _YamlError(node, "a timeline needs a `name`")
        k, v = t["name"]
        self.kw("\ntimeline ", k)
        self.expr(v, "a name", "word")
        self.counts["timeline"] += 1
        if "for" in t:
            k, v = t["for"]
            self.kw(" for ", k)
            self.expr(v, "`all` or `segment NAME`", "scope")
        else:
            self.kw(" for all", node)
        for key, words in (
            ("in_sequence", "in sequence"),
            ("by_oldest_invoice", "by oldest invoice"),
        ):
            if key in t and self.flag(t[key][1]):
                self.kw(f", {words}", t[key][0])
        for key, words in (("pause_while", "pause while"), ("restart_when", "restart when")):
            if key in t:
                k, v = t[key]
                for item in _items(v, f"`{key}`"):
                    self.kw(f"\n  {words} ", k)
                    self.expr(item, "a condition", "expr")
        if "on_promise_broken" in t:
            k, v = t["on_promise_broken"]
            self.kw("\n  on promise.broken ", k)
            self.expr(v, "`resume at STEP`", "resume")
        if "on_paid" in t:
            k, v = t["on_paid"]
            self.kw("\n  on paid ", k)
            self.expr(v, "`release hold`", "release")
        if "min_gap" in t:
            k, v = t["min_gap"]
            self.kw("\n  min gap ", k)
            text = _scalar(v, "a duration")
            self.expr(v, "a duration", "gap")
            if "between" not in text:
                self.kw(" between contacts", k)
        if "steps" in t:
            self.each(_items(t["steps"][1], "`steps`"), self.step)

    def step(self, node: Node) -> None:
        s = self.mapping(node, _STEP_KEYS, "a step")
        for required in ("name", "at", "do"):
            if required not in s:
                raise _YamlError(node, f"a step needs `{required}`")
        self.counts["step"] += 1
        k, v = s["name"]
        self.kw("\n  step ", k)
        self.expr(v, "a name", "word")
        for key in ("at", "do"):
            k, v = s[key]
            self.kw(" ", k)
            self.expr(v, f"`{key}`", key)
        if "per_invoice" in s and self.flag(s["per_invoice"][1]):
            self.kw(" per invoice", s["per_invoice"][0])
        if "required" in s and self.flag(s["required"][1]):
            self.kw(" required", s["required"][0])
        words = {
            "to": "to",
            "cc": "cc",
            "with": "with",
            "when": "when",
            "unless": "unless",
            "every": "every",
            "at_most_every": "at most every",
            "at_most": "at most",
            "requires_approval_by": "requires approval by",
        }
        for key, kw in words.items():
            if key in s:
                k, v = s[key]
                self.kw(f" {kw} ", k)
                self.expr(v, _STEP_VALUES[key], key)

    @staticmethod
    def flag(v: Node) -> bool:
        """Read a ``true``/``false`` value (a step's ``per_invoice``, a timeline's options)."""
        flag = _scalar(v, "true or false")
        if flag not in ("true", "false"):
            raise _YamlError(v, f"expected true or false, got {flag!r}")
        return flag == "true"

    def channel(self, key: Node, node: Node) -> None:
        self.kw("\nchannel", key)
        for i, item in enumerate(_items(node, "`channel`")):
            if isinstance(item, ScalarNode):
                if " ".join(str(item.value).split()) != "fall back when unreachable":
                    raise _YamlError(
                        item,
                        f"expected a channel rule or `fall back when unreachable`, "
                        f"got `{_shown(str(item.value))}`",
                        "a channel rule is a mapping such as `call: overdue >= 5,000 EUR`",
                    )
                self.kw("\n  fall back when unreachable", item)
                continue
            rules = self.mapping(item, (), "a channel rule")
            if i == 0 and "for" in rules:  # `- for: email, sms, letter`: what the rules re-route
                k, v = rules.pop("for")
                self.kw(" for ", k)
                self.expr(v, "step actions such as `email, sms`", "channel_for")
            for k, v in rules.values():
                self.kw("\n  ", k)
                self.expr(k, "a channel", "word")
                if _scalar(v, "a condition") == "otherwise":
                    self.kw(" ", v)
                    self.expr(v, "`otherwise`", "otherwise")
                else:
                    self.kw(" when ", k)
                    self.expr(v, "a condition", "expr")

    def assign(self, _key: Node, node: Node) -> None:
        self.each(_items(node, "`assign`"), self.assign_rule)

    def assign_rule(self, node: Node) -> None:
        rule = self.mapping(node, _ASSIGN_KEYS, "an `assign` rule")
        for required in _ASSIGN_KEYS:
            if required not in rule:
                raise _YamlError(
                    node, f"an `assign` rule needs `{required}`", "write `{owner: ..., when: ...}`"
                )
        k, v = rule["owner"]
        owner = _scalar(v, "an owner").strip()
        if not _WORDS["owner"].fullmatch(owner):
            raise _YamlError(
                v,
                f"expected an owner, got `{_shown(owner)}`",
                "an owner is a fact such as `account.collector` or a string in double quotes: "
                "owner: '\"Key accounts desk\"'",
            )
        self.kw("\nassign ", k)
        self.expr(v, "an owner", "owner")
        k, v = rule["when"]
        if _scalar(v, "a condition") == "otherwise":
            self.kw(" ", v)
            self.expr(v, "`otherwise`", "otherwise")
        else:
            self.kw(" when ", k)
            self.expr(v, "a condition", "expr")

    def priority(self, key: Node, node: Node) -> None:
        p = self.mapping(node, _PRIORITY_KEYS, "`priority`")
        self.kw("\npriority", key)
        if "score" in p:
            k, v = p["score"]
            self.kw("\n  score ", k)
            self.expr(v, "an expression", "expr")
        if "tiers" in p:
            k, v = p["tiers"]
            self.kw("\n  tiers by share of ", k)
            if "share_of" in p:
                self.expr(p["share_of"][1], "an amount such as `overdue`", "word")
            else:
                self.kw("overdue", k)
            self.kw(": ", k)
            for i, (tk, tv) in enumerate(self.mapping(v, (), "`tiers`").values()):
                if i:
                    self.kw(", ", tk)
                self.expr(tk, "a tier name", "word")
                self.kw(" ", tk)
                self.expr(tv, "a percentage", "percent")
        if "capacity" in p:
            k, v = p["capacity"]
            self.kw("\n  capacity ", k)
            text = _scalar(v, "a capacity")
            self.expr(v, "a capacity", "capacity")
            if "calls" not in text:
                self.kw(" calls per day", k)
        if "ties" in p:
            k, v = p["ties"]
            self.kw("\n  ties by ", k)
            self.comma_list(_items(v, "`ties`"), "a key", "tie")

    def charges(self, key: Node, node: Node) -> None:
        c = self.mapping(node, _CHARGES_KEYS, "`charges`")
        self.kw("\ncharges", key)
        if "interest" in c:
            k, v = c["interest"]
            i = self.mapping(v, _INTEREST_KEYS, "`interest`")
            if "rate" not in i:
                raise _YamlError(v, "`interest` needs a `rate` such as `9%`")
            self.kw("\n  interest ", k)
            self.expr(i["rate"][1], "a yearly rate such as `9%`", "percent")
            if "above" in i:
                ak, av = i["above"]
                self.kw(" above rate ", ak)
                self.w.add(_quote(_scalar(av, "the name of a rate table")), av)
            else:
                self.kw(" per year", k)
            self.kw(" from due", k)
            if "day_count" in i:
                dk, dv = i["day_count"]
                self.kw(", ", dk)
                self.expr(dv, "`act/365` or `act/360`", "day_count")
        if "fees" in c:
            self.each(_items(c["fees"][1], "`fees`"), self.fee)
        if "payments" in c:
            k, v = c["payments"]
            self.kw("\n  payments pay ", k)
            self.comma_list(_items(v, "`payments`"), "costs, interest or principal", "word")

    def fee(self, node: Node) -> None:
        f = self.mapping(node, _FEE_KEYS, "a fee")
        if "amount" not in f:
            raise _YamlError(node, "a fee needs an `amount` such as `40 EUR`")
        bases = [b for b in ("per", "with") if b in f]
        if len(bases) != 1:
            raise _YamlError(
                node,
                "a fee needs exactly one of `per: invoice` and `with: CHANNEL`",
                "`per: invoice` charges it once per overdue invoice, `with: letter` per letter",
            )
        if "when" in f and "unless" in f:
            raise _YamlError(node, "a fee has one of `when` and `unless`, not both")
        k, v = f["amount"]
        self.kw("\n  fee ", k)
        self.expr(v, "an amount such as `40 EUR`", "money")
        bk, bv = f[bases[0]]
        if bases[0] == "per":
            if _scalar(bv, "`invoice`") != "invoice":
                raise _YamlError(bv, f"expected `invoice`, got `{_shown(str(bv.value))}`")
            self.kw(" per ", bk)
            self.w.add("invoice", bv)
        else:
            self.kw(" with ", bk)
            self.expr(bv, "a channel", "word")
        for word in ("when", "unless"):
            if word in f:
                ck, cv = f[word]
                self.kw(f" {word} ", ck)
                self.expr(cv, "a condition", word)

    def expect(self, node: Node) -> None:
        e = self.mapping(node, _EXPECT_KEYS, "an expect block")
        for required in ("name", "as_of", "then"):
            if required not in e:
                raise _YamlError(node, f"an expect block needs `{required}`")
        if ("account" in e) == ("accounts" in e):
            raise _YamlError(
                node,
                "an expect block needs `account` (one account) or `accounts` (named ones)"
                + (", not both" if "account" in e else ""),
            )
        self.counts["expect"] += 1
        k, v = e["name"]
        self.kw("\nexpect ", k)
        self.w.add(_quote(_scalar(v, "a name")), v)
        k, v = e["as_of"]
        self.kw(" as of ", k)
        self.expr(v, "a date", "date")
        if "account" in e:
            k, v = e["account"]
            self.kw("\n  account ", k)
            self.account_text(v)
        else:
            k, v = e["accounts"]
            named = self.mapping(v, (), "`accounts`")
            if not named:
                raise _YamlError(v, "`accounts` names no account")
            for name_key, text in named.values():
                self.kw("\n  account ", name_key)
                self.w.add(_quote(_scalar(name_key, "an account name")), name_key)
                self.kw(" ", name_key)
                self.account_text(text)
        k, v = e["then"]
        lines = _items(v, "`then`")
        if not lines:
            raise _YamlError(v, "`then` says nothing", "write what the plan must say")
        for line in lines:
            self.kw("\n  then ", k)
            self.expr(line, "the expectation", "then")

    def account_text(self, v: Node) -> None:
        account = _scalar(v, "the account").replace("\n", " ")
        self.values.append(_Value(self.w.length, self.w.length + len(account), "account", "", v))
        self.w.add(account, v)
        self.kw("\n", v)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _SpanMap:
    def __init__(self, pieces: list[_Piece], yaml_text: str) -> None:
        self.pieces = pieces
        self.starts = [p.start for p in pieces]
        self.line_starts = [0]  # a line ends with \n, \r\n or a lone \r, as YAML says
        self.line_starts += [m.end() for m in _LINE_BREAK.finditer(yaml_text)]

    def offset(self, pos: int, *, end: bool = False) -> int:
        i = max(bisect.bisect_right(self.starts, pos - (1 if end else 0)) - 1, 0)
        piece = self.pieces[i]
        if piece.exact:
            return min(piece.yaml_start + (pos - piece.start), piece.yaml_end)
        return piece.yaml_end if end else piece.yaml_start

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def span(self, span: Span) -> Span:
        if span.line == 0:
            return span
        start = self.offset(span.start)
        end = max(self.offset(span.end, end=True), start + 1)
        line, col = self.line_col(start)
        end_line, end_col = self.line_col(end)
        return Span(line, col, end_line, end_col, start, end)


def _remap(value: Any, fn: Callable[[Span], Span]) -> Any:
    if isinstance(value, Span):  # a span kept beside the node's own (`Header.role_spans`)
        return fn(value)
    if isinstance(value, tuple):
        return tuple(_remap(v, fn) for v in value)
    if not isinstance(value, ast.Node):
        return value
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(value)):
        old = getattr(value, field.name)
        new = fn(old) if field.name == "span" else _remap(old, fn)
        if new is not old:
            changes[field.name] = new
    return attrs.evolve(value, **changes) if changes else value


def _clause_spans(tree: ast.PolicyFile) -> dict[str, set[tuple[int | None, int]]]:
    """Return, by kind of value, the (start, end) of every clause node parsed from one.

    A start of None means the clause begins at a keyword the translator wrote (any start will
    do); the end always lies in the value.
    """
    spans: dict[str, set[tuple[int | None, int]]] = {k: set() for k in _CLAUSES}

    def add(kind: str, start: int | None, span: Span) -> None:
        spans[kind].add((start, span.end))

    def expr(node: ast.Node) -> None:
        add("expr", node.span.start, node.span)

    for let in tree.lets:
        expr(let.value)
    for seg in tree.segments:
        expr(seg.condition)
    for t in tree.timelines:
        for cond in (*t.pause_while, *t.restart_when):
            expr(cond)
        for step in t.steps:
            add("at", step.timing.span.start, step.timing.span)
            add("do", step.action.span.start, (step.also[-1] if step.also else step.action).span)
            for modifier in (step.when, step.unless):
                if modifier is not None:
                    expr(modifier)
            if step.repeat is not None:
                add("every", step.repeat.every.span.start, step.repeat.span)
            if step.min_interval is not None:
                add("at_most_every", step.min_interval.span.start, step.min_interval.span)
    if tree.channel is not None:
        for rule in tree.channel.rules:
            if rule.condition is not None:
                expr(rule.condition)
    if tree.assign is not None:
        for assign in tree.assign.rules:
            if assign.condition is not None:
                expr(assign.condition)
    if tree.priority is not None:
        if tree.priority.score is not None:
            expr(tree.priority.score)
        for key in tree.priority.ties:
            add("tie", key.span.start, key.span)
        if tree.priority.tiers is not None:
            for tier in tree.priority.tiers.tiers:
                add("percent", tier.share.span.start, tier.share.span)
    if tree.charges is not None:
        for rate in tree.charges.interest:
            add("percent", rate.rate.span.start, rate.rate.span)
        for fee in tree.charges.fees:
            for test in (fee.condition, fee.unless):
                if test is not None:
                    expr(test)
    for e in tree.expects:
        for account in e.accounts:
            add("account", None, account.span)
        for line in e.then_spans:
            add("then", line.start, line)
    return spans


_SAME_AS = {"when": "expr", "unless": "expr"}


def _check_values(tree: ast.PolicyFile, values: list[_Value], text: str) -> list[_YamlError]:
    """Return an error for every value that parsed to more (or other) than its key says."""
    spans = _clause_spans(tree)
    errors = []
    for value in values:
        start, end = _trimmed(text, value.start, value.end)
        found = spans[_SAME_AS.get(value.kind, value.kind)]
        if (start, end) not in found and (None, end) not in found:
            errors.append(
                _YamlError(
                    value.node,
                    f"this value holds more than {_CLAUSES[value.kind]}",
                    "a value holds exactly what its key says: write each clause under its own key",
                )
            )
    return errors


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the value text's bounds without surrounding blanks and a trailing comment."""
    quoted = False
    pos = start
    while pos < end:
        ch = text[pos]
        if ch == "\\" and quoted:
            pos += 1
        elif ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            end = pos
            break
        pos += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _RuleLoader(_Loader):
    """The data loader, refusing aliases and deep nesting, which no rule file needs.

    An alias would make one YAML value stand for text written several times over; refused
    outright, the generated rule text stays proportional to the file.
    """

    max_depth = MAX_YAML_DEPTH

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="aliases (`*name`) are not allowed in rule files: write the value out",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


def _node_span(node: Node) -> Span:
    s, e = node.start_mark, node.end_mark
    end_col = e.column + 1 if e.line == s.line else s.column + 2
    return Span(s.line + 1, s.column + 1, s.line + 1, max(end_col, s.column + 2), s.index, e.index)


_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")
)


def _foreign_tags(root: Node) -> list[_YamlError]:
    """Return an error for every node with an explicit tag other than plain data's."""
    errors: list[_YamlError] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # a node shared by aliases is looked at once
            continue
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            errors.append(_YamlError(node, f"YAML tags are not allowed here: `{node.tag}`"))
        elif isinstance(node, MappingNode):
            stack += [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return errors


def parse_yaml_policy(
    text: str | bytes, *, source_name: str = "<policy>"
) -> tuple[ast.PolicyFile, str]:
    """Read a YAML rule file; return its syntax tree (spans in the YAML text) and the text.

    Raise `PolicyError` with every error located in the YAML file. Long for a reason: it is
    the one place where each way a YAML text can fail (encoding, size, characters, YAML
    syntax, aliases, depth, shape) becomes a located diagnostic, in the order they are found.
    """
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            bad = Span(line, col, line, col + 1, exc.start, exc.start + 1)
            raise PolicyError(
                [Diagnostic("the file is not valid UTF-8", bad, source_name)], None
            ) from None
    if len(text) > MAX_POLICY_CHARS:
        raise PolicyError([_too_long(text, source_name)], text)
    try:
        loader = _RuleLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        pos = exc.position
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = exc.character
        point = char if isinstance(char, int) else ord(str(char)[:1] or "?")
        bad = Span(line, col, line, col + 1, pos, pos + 1)
        message = f"invalid YAML: the character U+{point:04X} is not allowed in YAML"
        hint = f'remove it, or write it as the escape "\\u{point:04x}" in a double-quoted string'
        raise PolicyError([Diagnostic(message, bad, source_name, hint=hint)], text) from None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (
            Span(
                mark.line + 1,
                mark.column + 1,
                mark.line + 1,
                mark.column + 2,
                mark.index,
                mark.index + 1,
            )
            if mark
            else None
        )
        message = f"invalid YAML: {exc.problem or exc.context}"
        raise PolicyError([Diagnostic(message, where, source_name)], text) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Diagnostic(f"invalid YAML: {exc}", None, source_name)], text) from None
    finally:
        loader.dispose()
    if root is None:
        raise PolicyError(
            [
                Diagnostic(
                    "the file is empty: expected a policy", Span(1, 1, 1, 2, 0, 1), source_name
                )
            ],
            text,
        )
    translator = _Translator()
    translator.errors += _foreign_tags(root)
    try:
        if not translator.errors:
            translator.document(root)
    except _YamlError as exc:
        translator.errors.append(exc)
    if translator.errors:
        diagnostics = [
            Diagnostic(e.message, _node_span(e.node), source_name, hint=e.hint)
            for e in translator.errors
        ]
        raise PolicyError(sorted(diagnostics, key=lambda d: d.span or Span(0, 0, 0, 0)), text)
    generated = translator.w.text()
    spans = _SpanMap(translator.w.pieces, text)
    try:
        tree = parse(generated, source_name=source_name)
    except PolicyError as exc:
        diagnostics = [
            attrs.evolve(d, span=spans.span(d.span) if d.span else None) for d in exc.diagnostics
        ]
        raise PolicyError(diagnostics, text, exc.omitted) from None
    value_errors = _check_values(tree, translator.values, generated)
    if value_errors:
        diagnostics = [
            Diagnostic(e.message, _node_span(e.node), source_name, hint=e.hint)
            for e in value_errors
        ]
        raise PolicyError(diagnostics, text)
    counts = translator.counts
    found = {
        "let": len(tree.lets),
        "segment": len(tree.segments),
        "timeline": len(tree.timelines),
        "step": sum(len(t.steps) for t in tree.timelines),
        "expect": len(tree.expects),
    }
    if found != counts:
        raise PolicyError(
            [
                Diagnostic(
                    "a value holds more than one clause: write each in its own YAML key",
                    _node_span(root),
                    source_name,
                )
            ],
            text,
        )
    return _remap(tree, spans.span), text
