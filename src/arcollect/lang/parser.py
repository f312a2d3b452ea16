r"""Parse rule text into the typed syntax tree of `arcollect.lang.ast`.

`parse` is the only entry point. The grammar (``grammar.lark``) is loaded from the package once
per process, on first use. A Lark transformer runs inside the LALR parser and builds the attrs
nodes directly (no parse tree is built, no Lark object escapes this module), computing each
node's span from its first and last tokens.

Every failure is a `PolicyError` whose diagnostics locate the offending text and say, in
English, what was expected and what was found::

    >>> parse('policy "P"\nlet x = overdue = 5', source_name="p.arc")
    Traceback (most recent call last):
    ...
    arcollect.errors.PolicyError: p.arc:2:17: error: `=` is not a comparison: use `==`
      2 | let x = overdue = 5
        |                 ^

After a syntax error the parser resumes at the next line that starts (in column 1) with a
section keyword (``let``, ``segment``, ``timeline``, ``channel``, ``assign``, ``priority``,
``expect``, ``charges``), so one run reports the errors of every section.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, cast

import attrs
from lark import Lark, Token, Transformer
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer, LexerState, PatternStr
from lark.utils import TextSlice

from arcollect._suggest import did_you_mean
from arcollect.domain.actions import ActionKind
from arcollect.errors import MAX_REPORTED_ERRORS, Diagnostic, PolicyError, Span
from arcollect.lang import ast
from arcollect.lang.types import MAX_DECIMALS, MAX_DURATION_DAYS, MAX_INTEGER_DIGITS

__all__ = ["MAX_NESTING", "MAX_POLICY_CHARS", "parse"]

#: The deepest expression the parser accepts (operators, parentheses and calls all count).
MAX_NESTING: Final = 100

#: The longest rule text accepted, in characters (1 MiB). Real policies are a few kilobytes;
#: the bound keeps a runaway or hostile file from tying up the parser for seconds.
MAX_POLICY_CHARS: Final = 1 << 20

#: Texts longer than this (in characters) are parsed with the cyclic garbage collector paused.
_PAUSE_GC_ABOVE: Final = 100_000

#: Syntax errors reported at most per file; past this the parser stops looking.
_MAX_SYNTAX_ERRORS: Final = 20

#: Words that always start a section, so never read as names (except after a dot, as in
#: ``last_contact.channel``): a section cut short by a mistake then ends at the next one.
_RESERVED: Final = frozenset(
    {"let", "segment", "timeline", "channel", "assign", "priority", "expect", "charges"}
)

_SECTION_START = re.compile(
    r"^(?:let|segment|timeline|channel|assign|priority|expect|charges)\b", re.MULTILINE
)


# ============================================================================================
# The grammar, loaded once


class _Lexer(Lexer):
    """A contextual lexer for the grammar's terminals, built from their definitions.

    Words are read whole (``letx`` is one word, never ``let`` and ``x``). A word is a keyword
    where the parser can accept that keyword, a currency code where it can accept one, and a
    name otherwise, so keywords are reserved only where they mean something: ``promise.active``
    and a step named ``hold`` are names. The section keywords (`_RESERVED`) are always keywords.

    It does what Lark's contextual lexer does, except that Lark's would match a keyword as the
    start of a longer word (``letx`` as ``let x``) where no name is expected, and needs the
    optional ``interegular`` package for ``strict=True``.
    """

    __future_interface__ = 2

    def __init__(self, conf: LexerConf) -> None:
        keywords: dict[str, str] = {}
        punctuation: dict[str, str] = {}
        regexps: dict[str, str] = {}
        for term in conf.terminals:
            if isinstance(term.pattern, PatternStr):
                table = keywords if term.pattern.value.isidentifier() else punctuation
                table[term.pattern.value] = term.name
            else:
                regexps[term.name] = term.pattern.to_regexp()
        order = ("WS", "COMMENT", "ISODATE", "NUMERAL", "IDENT", "TEXT")
        alternatives = [f"(?P<{name}>{regexps[name]})" for name in order]
        marks = sorted(punctuation, key=len, reverse=True)
        alternatives.append("(?P<PUNCT>" + "|".join(re.escape(m) for m in marks) + ")")
        self._match = re.compile("|".join(alternatives)).match
        self._currency = re.compile(regexps["CURRENCY_CODE"]).fullmatch
        self._keywords = keywords
        self._punctuation = punctuation

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        """Yield the tokens of the text, choosing keywords by *parser_state*'s position."""
        text: str = lexer_state.text.text
        pos: int = lexer_state.text.start
        end: int = lexer_state.text.end
        line = text.count("\n", 0, pos) + 1
        line_start = text.rfind("\n", 0, pos) + 1
        states = parser_state.parse_conf.parse_table.states
        match, keywords, punctuation = self._match, self._keywords, self._punctuation
        while pos < end:
            found = match(text, pos, end)
            if found is None:
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, pos, line, pos - line_start + 1, state=parser_state
                )
            kind = found.lastgroup or "PUNCT"
            value = found.group()
            new_pos = found.end()
            if kind in {"WS", "COMMENT"}:
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
                pos = new_pos
                continue
            if kind == "IDENT":
                accepts = states[parser_state.position]
                keyword = keywords.get(value)
                if value in _RESERVED and text[pos - 1 : pos] != ".":
                    kind = keyword or kind
                elif keyword is not None and keyword in accepts:
                    kind = keyword
                elif "CURRENCY_CODE" in accepts and self._currency(value):
                    kind = "CURRENCY_CODE"
                elif keyword is not None and "IDENT" not in accepts:
                    kind = keyword  # a keyword out of place: say so by its name
            elif kind == "PUNCT":
                kind = punctuation[value]
            column = pos - line_start + 1
            yield Token(kind, value, pos, line, column, line, column + len(value), new_pos)
            pos = new_pos


@functools.cache
def _grammar() -> Lark:
    return Lark.open_from_package(
        "arcollect.lang",
        "grammar.lark",
        parser="lalr",
        lexer=_Lexer,
        strict=True,
        start=["start", "body"],
        transformer=_Builder(),
        keep_all_tokens=True,
        maybe_placeholders=False,
    )


# ============================================================================================
# Per-parse state (the transformer is shared, so its state lives in a context variable)


@attrs.define
class _State:
    source_name: str
    diagnostics: list[Diagnostic] = attrs.Factory(list)
    depth: dict[int, int] = attrs.Factory(dict)

    omitted: int = 0

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        if len(self.diagnostics) >= MAX_REPORTED_ERRORS:
            self.omitted += 1
            return
        self.diagnostics.append(Diagnostic(message, span, self.source_name, hint=hint))


_STATE: contextvars.ContextVar[_State] = contextvars.ContextVar("arcollect_parse_state")


@attrs.frozen
class _Part:
    """An intermediate result of the transformer: a piece of a node, with its span."""

    kind: str
    value: Any
    span: Span


def _assign_block(rules: Sequence[ast.AssignRule]) -> ast.AssignBlock | None:
    """Group the file's ``assign`` rules, in source order, into one block (None if none)."""
    if not rules:
        return None
    first, last = rules[0].span, rules[-1].span
    span = Span(first.line, first.column, last.end_line, last.end_column, first.start, last.end)
    return ast.AssignBlock(rules=tuple(rules), span=span)


def _token_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos)  # type: ignore[arg-type]


def _span(children: Sequence[Any]) -> Span:
    """Return the span from the start of the first child to the end of the last."""
    first, last = children[0], children[-1]
    if isinstance(first, Token):
        line, column, start = first.line, first.column, first.start_pos
    else:
        sp = first.span
        line, column, start = sp.line, sp.column, sp.start
    if isinstance(last, Token):
        return Span(line, column, last.end_line, last.end_column, start, last.end_pos)  # type: ignore[arg-type]
    sp = last.span
    return Span(line, column, sp.end_line, sp.end_column, start, sp.end)  # type: ignore[arg-type]


#: A numeral whose dot may as well group thousands (``2.500``, ``12.500``): refused as ambiguous.
_AMBIGUOUS_DOT = re.compile(r"[1-9]\d{0,2}\.\d{3}")


def _decimal(tok: Token) -> Decimal:
    """Return the value of a numeral, or report why it is refused (and return 0).

    Refused: more than `MAX_INTEGER_DIGITS` digits before the point or `MAX_DECIMALS` after,
    a dot that may group thousands (``2.500``), a decimal comma (``2.500,00``).
    """
    text: str = tok.value
    error = _numeral_error(text)
    if error is not None:
        message, hint = error
        _STATE.get().error(message, _token_span(tok), hint=hint)
        return Decimal(0)
    return Decimal(text.replace(",", "").replace("_", ""))


def _numeral_error(text: str) -> tuple[str, str] | None:
    """Return the message and hint for a numeral that is refused, or None if it is fine."""
    message = hint = ""
    whole, _, decimals = text.replace(",", "").replace("_", "").partition(".")
    if "," in text and "." in text and text.index(".") < text.index(","):
        before, _, after = text.partition(",")
        message = f"`{text}` uses a decimal comma: write `{before.replace('.', ',')}.{after}`"
        hint = "commas group thousands and a dot starts the decimals, as in `2,500.00 EUR`"
    elif text.count(".") > 1:
        message = f"`{text}` groups thousands with dots: write `{text.replace('.', ',')}`"
        hint = "commas (or underscores) group thousands, as in `1,000,000`"
    elif _AMBIGUOUS_DOT.fullmatch(text):
        decimal = f"{whole}.{decimals[:2]}" if decimals.endswith("0") else f"{text}0"
        message = f"`{text}` is ambiguous: a dot followed by three digits may group thousands"
        hint = (
            f"if the dot groups thousands, write `{whole},{decimals}` or `{whole}{decimals}`; "
            f"for a decimal number, write `{decimal}`"
        )
    elif len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        message = (
            f"`{_shorten(text)}` is too large: numbers have at most {MAX_INTEGER_DIGITS} "
            "digits before the decimal point"
        )
        hint = "no amount, count or duration in a policy needs more; look for a stray digit"
    elif len(decimals) > MAX_DECIMALS:
        message = f"`{_shorten(text)}` has {len(decimals)} decimals; the most is {MAX_DECIMALS}"
        hint = "round the number: money has no more decimals than its currency"
    return (message, hint) if message else None


def _shorten(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:12]}...{text[-12:]}"


def _whole(tok: Token, what: str) -> int:
    value = _decimal(tok)
    if value != value.to_integral_value():
        _STATE.get().error(f"{what} must be a whole number, found `{tok.value}`", _token_span(tok))
        return 0
    return int(value)


def _date(tok: Token) -> date:
    try:
        return date.fromisoformat(tok.value)
    except ValueError as exc:
        _STATE.get().error(f"`{tok.value}` is not a valid date: {exc}", _token_span(tok))
        return date(1970, 1, 1)


_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)")
_SIMPLE_ESCAPES: Final = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def _string(tok: Token) -> str:
    raw: str = tok.value[1:-1]
    if "\\" not in raw:
        return raw
    out: list[str] = []
    pos = 0
    for match in _ESCAPE.finditer(raw):
        out.append(raw[pos : match.start()])
        pos = match.end()
        esc = match.group(1)
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            continue
        code = int(esc[2:-1], 16) if esc.startswith("u{") else -1
        if 0 <= code <= 0x10FFFF:
            out.append(chr(code))
            continue
        span = _token_span(tok)
        col = span.column + 1 + match.start()
        _STATE.get().error(
            f"unknown escape `\\{esc}` in a string",
            Span(span.line, col, span.line, col + len(match.group(0))),
            hint='the escapes are \\" \\\\ \\n \\t \\r and \\u{hex}',
        )
    out.append(raw[pos:])
    return "".join(out)


def _exprs(children: Sequence[Any]) -> list[ast.Expr]:
    return [c for c in children if not isinstance(c, (Token, _Part))]


# ============================================================================================
# The transformer


_MODIFIER_WORDS: Final = {
    "to_role": "to",
    "with_role": "with",
    "when": "when",
    "unless": "unless",
    "repeat": "every",
    "min_interval": "at most every",
    "approval": "requires approval by",
    "per_invoice": "per invoice",
    "required": "required",
    "max_times": "at most ... times",
    "cc_role": "cc",
}
_AGGREGATE_ONLY: Final = frozenset({"count", "sum", "any", "all"})
_ARITY: Final = {
    "abs": (1, 1),
    "round": (1, 2),
    "days": (1, 1),
    "end_of_month": (1, 1),
    "day_of_month": (1, 1),
    "weekday": (1, 1),
    "times": (1, 1),
}


class _Builder(Transformer[Token, Any]):
    """Build `arcollect.lang.ast` nodes from the parser's reductions (all tokens kept)."""

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _nest(node: ast.Expr, operands: Sequence[ast.Expr]) -> ast.Expr:
        """Record *node*'s nesting depth; past `MAX_NESTING`, report once and stop growing."""
        state = _STATE.get()
        depths = state.depth
        deepest, depth = operands[0], 0
        for operand in operands:
            d = depths.get(id(operand), 1)
            if d > depth:
                deepest, depth = operand, d
        depth += 1
        if depth <= MAX_NESTING:
            depths[id(node)] = depth
            return node
        if depth == MAX_NESTING + 1:
            sp = node.span
            state.error(
                f"expression nested too deeply: more than {MAX_NESTING} levels",
                Span(sp.line, sp.column, sp.line, sp.column + 1, sp.start, sp.start + 1),
                hint="split it with `let` definitions",
            )
        depths[id(deepest)] = depth
        return deepest

    # ---------------------------------------------------------------- file and header

    def start(self, children: list[Any]) -> ast.PolicyFile:
        header: ast.Header = children[0]
        groups: dict[type, list[Any]] = {}
        for section in children[1:]:
            groups.setdefault(type(section), []).append(section)
        single: dict[type, Any] = {}
        for kind, word in (
            (ast.ChannelBlock, "channel"),
            (ast.PriorityBlock, "priority"),
            (ast.ChargesBlock, "charges"),
        ):
            found = groups.get(kind, [])
            for extra in found[1:]:
                _STATE.get().error(
                    f"a policy has one `{word}` section; this is a second one",
                    _first_line(extra.span),
                )
            single[kind] = found[0] if found else None
        return ast.PolicyFile(
            header=header,
            lets=tuple(groups.get(ast.Let, ())),
            segments=tuple(groups.get(ast.Segment, ())),
            timelines=tuple(groups.get(ast.Timeline, ())),
            channel=single[ast.ChannelBlock],
            priority=single[ast.PriorityBlock],
            assign=_assign_block(groups.get(ast.AssignRule, [])),
            expects=tuple(groups.get(ast.Expect, ())),
            charges=single[ast.ChargesBlock],
            span=_span(children),
        )

    def body(self, _children: list[Any]) -> None:
        return None

    def header(self, children: list[Any]) -> ast.Header:
        fields: dict[str, Any] = {}
        for item in children[2:]:
            if item.kind in fields:
                _STATE.get().error(
                    f"the policy header has more than one `{item.kind}`", _first_line(item.span)
                )
            fields[item.kind] = item.value
        lines = tuple((item.kind, item.span.line) for item in children[2:])
        roles = next((item for item in children[2:] if item.kind == "roles"), None)
        if roles is not None:
            fields["roles"], fields["role_spans"] = zip(*roles.value, strict=True)
        return ast.Header(name=_string(children[1]), **fields, lines=lines, span=_span(children))

    def version(self, children: list[Any]) -> _Part:
        return _Part("version", _whole(children[1], "a version"), _span(children))

    def currency(self, children: list[Any]) -> _Part:
        return _Part("currency", children[1].value, _span(children))

    def locale(self, children: list[Any]) -> _Part:
        return _Part("locale", children[1].value, _span(children))

    def timezone(self, children: list[Any]) -> _Part:
        return _Part("timezone", _string(children[1]), _span(children))

    def deadline(self, children: list[Any]) -> _Part:
        return _Part("deadline", _whole(children[1], "a payment deadline"), _span(children))

    def roles(self, children: list[Any]) -> _Part:
        names = tuple((tok.value, _token_span(tok)) for tok in children[1:] if tok.type == "IDENT")
        return _Part("roles", names, _span(children))

    def calendar_days(self, children: list[Any]) -> _Part:
        return _Part("days", children[0].value, _span(children))

    def calendar(self, children: list[Any]) -> _Part:
        days: _Part = children[1]
        holidays = tuple(_date(c) for c in children[2:] if c.type == "ISODATE")
        span = _span(children)
        return _Part("calendar", ast.Calendar(days=days.value, holidays=holidays, span=span), span)

    # ---------------------------------------------------------------- definitions

    def let(self, children: list[Any]) -> ast.Let:
        return ast.Let(name=children[1].value, value=children[3], span=_span(children))

    def segment(self, children: list[Any]) -> ast.Segment:
        return ast.Segment(name=children[1].value, condition=children[3], span=_span(children))

    # ---------------------------------------------------------------- timelines

    def timeline(self, children: list[Any]) -> ast.Timeline:
        state = _STATE.get()
        pauses: list[ast.Expr] = []
        restarts: list[ast.Expr] = []
        events: list[ast.OnEvent] = []
        releases: list[ast.OnRelease] = []
        steps: list[ast.Step] = []
        options: dict[str, bool] = {}
        min_gap: ast.DurationLit | None = None
        for clause in children[4:]:
            if isinstance(clause, ast.Step):
                steps.append(clause)
            elif isinstance(clause, ast.OnEvent):
                events.append(clause)
            elif isinstance(clause, ast.OnRelease):
                releases.append(clause)
            elif clause.kind in ("in_sequence", "by_oldest_invoice"):
                if clause.kind in options:
                    words = clause.kind.replace("_", " ")
                    state.error(f"timeline `{children[1].value}` says `{words}` twice", clause.span)
                options[clause.kind] = True
            elif clause.kind == "pause":
                pauses.append(clause.value)
            elif clause.kind == "restart":
                restarts.append(clause.value)
            else:
                if min_gap is not None:
                    state.error(
                        f"timeline `{children[1].value}` has more than one `min gap`", clause.span
                    )
                min_gap = clause.value
        return ast.Timeline(
            name=children[1].value,
            segment=children[3].value,
            pause_while=tuple(pauses),
            restart_when=tuple(restarts),
            on_events=tuple(events),
            min_gap=min_gap,
            steps=tuple(steps),
            on_release=tuple(releases),
            **options,
            span=_span(children),
        )

    def in_sequence(self, children: list[Any]) -> _Part:
        return _Part("in_sequence", value=True, span=_span(children))

    def by_oldest_invoice(self, children: list[Any]) -> _Part:
        return _Part("by_oldest_invoice", value=True, span=_span(children))

    def on_release(self, children: list[Any]) -> ast.OnRelease:
        return ast.OnRelease(event=children[1], span=_span(children))

    def scope_all(self, children: list[Any]) -> _Part:
        return _Part("scope", None, _span(children))

    def scope_segment(self, children: list[Any]) -> _Part:
        return _Part("scope", children[1].value, _span(children))

    def pause(self, children: list[Any]) -> _Part:
        return _Part("pause", children[2], _span(children))

    def restart(self, children: list[Any]) -> _Part:
        return _Part("restart", children[2], _span(children))

    def on_event(self, children: list[Any]) -> ast.OnEvent:
        return ast.OnEvent(event=children[1], step=children[4].value, span=_span(children))

    def min_gap(self, children: list[Any]) -> _Part:
        return _Part("min_gap", children[2], _span(children))

    def step(self, children: list[Any]) -> ast.Step:
        name: str = children[1].value
        fields: dict[str, Any] = {}
        also: list[ast.Action] = []
        for item in children[3:]:
            if isinstance(item, ast.Action):
                fields["action"] = item
            elif isinstance(item, _Part) and item.kind == "also":
                also.append(item.value)
            elif isinstance(item, _Part):
                if item.kind == "to_all":
                    item = _Part("to_role", item.value, item.span)  # noqa: PLW2901 - one `to`
                    fields["to_all"] = True
                if item.kind in fields:
                    _STATE.get().error(
                        f"step `{name}` has more than one `{_MODIFIER_WORDS[item.kind]}`",
                        item.span,
                    )
                fields[item.kind] = item.value
        lines = tuple(
            ("to_role" if c.kind == "to_all" else c.kind, c.span.line)
            for c in children[3:]
            if isinstance(c, _Part) and c.kind != "also"
        )
        return ast.Step(
            name=name,
            timing=children[2],
            **fields,
            also=tuple(also),
            lines=lines,
            span=_span(children),
        )

    def also_action(self, children: list[Any]) -> _Part:
        return _Part("also", children[1], _span(children))

    def to_all(self, children: list[Any]) -> _Part:
        return _Part("to_all", children[2].value, _span(children))

    def cc_role(self, children: list[Any]) -> _Part:
        return _Part("cc_role", children[1].value, _span(children))

    def before_due(self, children: list[Any]) -> ast.StepTiming:
        return ast.StepTiming(relation="before_due", offset=children[0], span=_span(children))

    def past_due(self, children: list[Any]) -> ast.StepTiming:
        return ast.StepTiming(relation="past_due", offset=children[0], span=_span(children))

    def on_due(self, children: list[Any]) -> ast.StepTiming:
        span = _span(children)
        return ast.StepTiming(relation="on_due", offset=ast.DurationLit(days=0), span=span)

    def past_due_eom(self, children: list[Any]) -> ast.StepTiming:
        return ast.StepTiming(relation="past_due_eom", offset=children[0], span=_span(children))

    def after_issue(self, children: list[Any]) -> ast.StepTiming:
        return ast.StepTiming(relation="after_issue", offset=children[0], span=_span(children))

    def after_step(self, children: list[Any]) -> ast.StepTiming:
        return ast.StepTiming(
            relation="after_step",
            offset=children[0],
            after=children[2].value,
            span=_span(children),
        )

    def _action(self, word: str, children: list[Any]) -> ast.Action:
        kind = ActionKind(word)
        template = _string(children[1]) if len(children) > 1 and kind.takes_template else None
        return ast.Action(kind=kind, template=template, span=_span(children))

    def action_email(self, children: list[Any]) -> ast.Action:
        return self._action("email", children)

    def action_letter(self, children: list[Any]) -> ast.Action:
        return self._action("letter", children)

    def action_sms(self, children: list[Any]) -> ast.Action:
        return self._action("sms", children)

    def action_call(self, children: list[Any]) -> ast.Action:
        return self._action("call", children)

    def action_voicemail(self, children: list[Any]) -> ast.Action:
        return self._action("voicemail", children)

    def action_visit(self, children: list[Any]) -> ast.Action:
        return self._action("visit", children)

    def action_review(self, children: list[Any]) -> ast.Action:
        return self._action("review", children)

    def action_hold_shipments(self, children: list[Any]) -> ast.Action:
        return self._action("hold_shipments", children)

    def action_release_hold(self, children: list[Any]) -> ast.Action:
        return self._action("release_hold", children)

    def action_refer_agency(self, children: list[Any]) -> ast.Action:
        return self._action("refer_agency", children)

    def action_refer_attorney(self, children: list[Any]) -> ast.Action:
        return self._action("refer_attorney", children)

    def to_role(self, children: list[Any]) -> _Part:
        return _Part("to_role", children[1].value, _span(children))

    def with_role(self, children: list[Any]) -> _Part:
        return _Part("with_role", children[1].value, _span(children))

    def when(self, children: list[Any]) -> _Part:
        return _Part("when", children[1], _span(children))

    def unless(self, children: list[Any]) -> _Part:
        return _Part("unless", children[1], _span(children))

    def every(self, children: list[Any]) -> _Part:
        span = _span(children)
        until = children[3] if len(children) > 2 else None
        return _Part("repeat", ast.Repeat(every=children[1], until=until, span=span), span)

    def at_most_every(self, children: list[Any]) -> _Part:
        return _Part("min_interval", children[3], _span(children))

    def approval(self, children: list[Any]) -> _Part:
        return _Part("approval", children[3].value, _span(children))

    def per_invoice(self, children: list[Any]) -> _Part:
        return _Part("per_invoice", value=True, span=_span(children))

    def required(self, children: list[Any]) -> _Part:
        return _Part("required", value=True, span=_span(children))

    def at_most_times(self, children: list[Any]) -> _Part:
        span = _span(children)
        count = _whole(children[2], "a count of times")
        return _Part("max_times", count, span)

    # ---------------------------------------------------------------- channel and priority

    def channel(self, children: list[Any]) -> ast.ChannelBlock:
        applies: tuple[str, ...] = ()
        parts = [c for c in children[1:] if isinstance(c, _Part)]
        for part in parts:
            if part.kind == "channel_for":
                applies = part.value
        rules = tuple(c for c in children[1:] if isinstance(c, ast.ChannelRule))
        fallbacks = [p for p in parts if p.kind == "fallback"]
        for extra in fallbacks[1:]:
            _STATE.get().error(
                "the `channel` section has more than one `fall back when unreachable`", extra.span
            )
        return ast.ChannelBlock(
            rules=rules,
            applies_to=applies,
            fallback=bool(fallbacks),
            fallback_line=fallbacks[0].span.line if fallbacks else 0,
            span=_span(children),
        )

    def channel_for(self, children: list[Any]) -> _Part:
        words = tuple(c.value for c in children[1:] if isinstance(c, _Part))
        return _Part("channel_for", words, _span(children))

    def fallback(self, children: list[Any]) -> _Part:
        return _Part("fallback", value=True, span=_span(children))

    def channel_word(self, children: list[Any]) -> _Part:
        return _Part("channel", children[0].value, _span(children))

    def channel_when(self, children: list[Any]) -> ast.ChannelRule:
        return ast.ChannelRule(
            channel=children[0].value, condition=children[2], span=_span(children)
        )

    def channel_otherwise(self, children: list[Any]) -> ast.ChannelRule:
        return ast.ChannelRule(channel=children[0].value, span=_span(children))

    def assign_when(self, children: list[Any]) -> ast.AssignRule:
        return ast.AssignRule(owner=children[1], condition=children[3], span=_span(children))

    def assign_otherwise(self, children: list[Any]) -> ast.AssignRule:
        return ast.AssignRule(owner=children[1], span=_span(children))

    def priority(self, children: list[Any]) -> ast.PriorityBlock:
        fields: dict[str, Any] = {}
        for item in children[1:]:
            kind = {ast.Tiers: "tiers", ast.Capacity: "capacity"}.get(type(item))
            value = item
            if kind is None:
                kind, value = item.kind, item.value
            if kind in fields:
                _STATE.get().error(
                    f"the `priority` section has more than one `{kind}`", _first_line(item.span)
                )
            fields[kind] = value
        return ast.PriorityBlock(**fields, span=_span(children))

    def score(self, children: list[Any]) -> _Part:
        return _Part("score", children[1], _span(children))

    def tiers(self, children: list[Any]) -> ast.Tiers:
        tiers = tuple(c for c in children[6:] if isinstance(c, ast.Tier))
        return ast.Tiers(measure=children[4].value, tiers=tiers, span=_span(children))

    def tier(self, children: list[Any]) -> ast.Tier:
        share = ast.PercentLit(value=_decimal(children[1]), span=_span(children[1:]))
        return ast.Tier(name=children[0].value, share=share, span=_span(children))

    def capacity(self, children: list[Any]) -> ast.Capacity:
        calls = _whole(children[1], "a capacity")
        per_collector = isinstance(children[-1], _Part) and children[-1].kind == "per_collector"
        return ast.Capacity(calls_per_day=calls, per_collector=per_collector, span=_span(children))

    def per_collector(self, children: list[Any]) -> _Part:
        return _Part("per_collector", value=True, span=_span(children))

    def ties(self, children: list[Any]) -> _Part:
        keys = tuple(c for c in children[2:] if isinstance(c, ast.TieKey))
        return _Part("ties", keys, _span(children))

    def tie_key(self, children: list[Any]) -> ast.TieKey:
        descending = len(children) > 1 and children[1].value == "desc"
        return ast.TieKey(key=children[0], descending=descending, span=_span(children))

    def tie_order(self, children: list[Any]) -> _Part:
        return _Part("order", children[0].value, _span(children))

    # ---------------------------------------------------------------- charges

    def charges(self, children: list[Any]) -> ast.ChargesBlock:
        items = children[1:]
        return ast.ChargesBlock(
            interest=tuple(c for c in items if isinstance(c, ast.InterestClause)),
            fees=tuple(c for c in items if isinstance(c, ast.FeeClause)),
            payments=tuple(c for c in items if isinstance(c, ast.PaymentOrder)),
            span=_span(children),
        )

    def interest(self, children: list[Any]) -> ast.InterestClause:
        rate = ast.PercentLit(value=_decimal(children[1]), span=_span(children[1:3]))
        basis: _Part = children[3]
        day_count = next((c.value for c in children[6:] if isinstance(c, _Part)), None)
        return ast.InterestClause(
            rate=rate, table=basis.value, day_count=day_count, span=_span(children)
        )

    def rate_fixed(self, children: list[Any]) -> _Part:
        return _Part("rate", None, _span(children))

    def rate_above(self, children: list[Any]) -> _Part:
        return _Part("rate", _string(children[2]), _span(children))

    def day_count(self, children: list[Any]) -> _Part:
        return _Part("day_count", f"act/{children[2].value}", _span(children))

    def fee(self, children: list[Any]) -> ast.FeeClause:
        basis: _Part = children[2]
        fields: dict[str, Any] = {}
        for item in children[3:]:
            if isinstance(item, _Part):
                fields["condition" if item.kind == "when" else "unless"] = item.value
        return ast.FeeClause(amount=children[1], basis=basis.value, **fields, span=_span(children))

    def fee_per_invoice(self, children: list[Any]) -> _Part:
        return _Part("basis", "invoice", _span(children))

    def fee_with(self, children: list[Any]) -> _Part:
        return _Part("basis", children[1].value, _span(children))

    def payment_order(self, children: list[Any]) -> ast.PaymentOrder:
        parts = tuple(c.value for c in children[2:] if isinstance(c, Token) and c.type == "IDENT")
        return ast.PaymentOrder(parts=parts, span=_span(children))

    # ---------------------------------------------------------------- expect blocks

    def expect(self, children: list[Any]) -> ast.Expect:
        accounts = [c for c in children[5:] if isinstance(c, ast.ExpectAccount)]
        thens = [c for c in children[5:] if isinstance(c, _Part)]
        return ast.Expect(
            name=_string(children[1]),
            as_of=_date(children[4]),
            account=accounts[0],
            more_accounts=tuple(accounts[1:]),
            then=tuple(item for part in thens for item in part.value),
            then_spans=tuple(part.span for part in thens),
            span=_span(children),
        )

    def account(self, children: list[Any]) -> ast.ExpectAccount:
        rest = children[1:]
        name = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "TEXT":
            name, rest = _string(rest[0]), rest[1:]
        attributes = tuple(c for c in rest if isinstance(c, ast.AccountAttr))
        records = tuple(c for c in rest if not isinstance(c, ast.AccountAttr))
        return ast.ExpectAccount(
            name=name, attributes=attributes, records=records, span=_span(children)
        )

    def account_key(self, children: list[Any]) -> _Part:
        return _Part("key", children[0].value, _span(children))

    def account_attr(self, children: list[Any]) -> ast.AccountAttr:
        values = tuple(_exprs(children[1:]))
        return ast.AccountAttr(key=children[0].value, values=values, span=_span(children))

    def invoice(self, children: list[Any]) -> ast.InvoiceRecord:
        fields: dict[str, Any] = {}
        for item in children[4:]:
            if item.kind in fields:
                _STATE.get().error(f"an invoice has one `{item.kind}`", item.span)
            fields[item.kind] = item.value
        return ast.InvoiceRecord(
            amount=children[1], due=_date(children[3]), **fields, span=_span(children)
        )

    def invoice_issued(self, children: list[Any]) -> _Part:
        return _Part("issued", _date(children[1]), _span(children))

    def invoice_number(self, children: list[Any]) -> _Part:
        return _Part("number", _string(children[1]), _span(children))

    def invoice_po(self, children: list[Any]) -> _Part:
        return _Part("po", _string(children[1]), _span(children))

    def payment(self, children: list[Any]) -> ast.PaymentRecord:
        return ast.PaymentRecord(
            amount=children[1], paid_on=_date(children[3]), span=_span(children)
        )

    def promise(self, children: list[Any]) -> ast.PromiseRecord:
        return ast.PromiseRecord(
            amount=children[1],
            due=_date(children[3]),
            made=_date(children[5]),
            span=_span(children),
        )

    def dispute(self, children: list[Any]) -> ast.DisputeRecord:
        reason = children[4].value if len(children) > 4 else None
        return ast.DisputeRecord(
            amount=children[1], opened=_date(children[3]), reason=reason, span=_span(children)
        )

    def reason(self, children: list[Any]) -> _Part:
        return _Part("reason", children[1].value, _span(children))

    def contact(self, children: list[Any]) -> ast.ContactRecord:
        fields: dict[str, Any] = {}
        for item in children[4:]:
            if item.kind in fields:
                _STATE.get().error(f"a contact has one `{item.kind}`", item.span)
            fields[item.kind] = item.value
        return ast.ContactRecord(
            name=_string(children[1]), role=children[3].value, **fields, span=_span(children)
        )

    def contact_email(self, children: list[Any]) -> _Part:
        return _Part("email", _string(children[1]), _span(children))

    def contact_phone(self, children: list[Any]) -> _Part:
        return _Part("phone", _string(children[1]), _span(children))

    def done(self, children: list[Any]) -> ast.DoneRecord:
        steps = tuple(c.value for c in children[1:] if c.type == "IDENT")
        return ast.DoneRecord(steps=steps, span=_span(children))

    def last_contact(self, children: list[Any]) -> ast.LastContactRecord:
        return ast.LastContactRecord(
            on=_date(children[2]),
            channel=children[3].value,
            outcome=children[4].value,
            span=_span(children),
        )

    @staticmethod
    def _about(children: list[Any]) -> tuple[str | None, list[Any]]:
        """Return the account a ``then`` line names (``then "big" ...``), and the rest."""
        rest = children[1:]
        if rest and isinstance(rest[0], Token) and rest[0].type == "TEXT":
            return _string(rest[0]), rest[1:]
        return None, rest

    def then_no_action(self, children: list[Any]) -> _Part:
        account, rest = self._about(children)
        item = ast.ThenNoAction(account=account, span=_span(rest))
        return _Part("then", (item,), _span(children[1:]))

    def then_items(self, children: list[Any]) -> _Part:
        account, rest = self._about(children)
        items = tuple(
            attrs.evolve(c, account=account) if account is not None else c
            for c in rest
            if not isinstance(c, Token)
        )
        return _Part("then", items, _span(children[1:]))

    def then_order(self, children: list[Any]) -> _Part:
        names = tuple(_string(c) for c in children[2:] if c.type == "TEXT")
        item = ast.ThenOrder(accounts=names, span=_span(children[1:]))
        return _Part("then", (item,), _span(children[1:]))

    def then_step(self, children: list[Any]) -> ast.ThenStep:
        return ast.ThenStep(name=children[1].value, span=_span(children))

    def then_action(self, children: list[Any]) -> ast.ThenAction:
        return ast.ThenAction(kind=children[1].value, span=_span(children))

    def then_tier(self, children: list[Any]) -> ast.ThenTier:
        return ast.ThenTier(name=children[1].value, span=_span(children))

    def then_channel(self, children: list[Any]) -> ast.ThenChannel:
        return ast.ThenChannel(channel=children[1].value, span=_span(children))

    def then_priority(self, children: list[Any]) -> ast.ThenPriority:
        return ast.ThenPriority(op=children[1].value, value=children[2].value, span=_span(children))

    def then_approval(self, children: list[Any]) -> ast.ThenApproval:
        return ast.ThenApproval(role=children[1].value, span=_span(children))

    def then_no_approval(self, children: list[Any]) -> ast.ThenApproval:
        return ast.ThenApproval(role=None, span=_span(children))

    def then_contact_name(self, children: list[Any]) -> ast.ThenContact:
        return ast.ThenContact(name=_string(children[1]), span=_span(children))

    def then_contact_role(self, children: list[Any]) -> ast.ThenContact:
        return ast.ThenContact(role=children[1].value, span=_span(children))

    def then_owner(self, children: list[Any]) -> ast.ThenOwner:
        return ast.ThenOwner(owner=_string(children[1]), span=_span(children))

    def then_no_owner(self, children: list[Any]) -> ast.ThenOwner:
        return ast.ThenOwner(owner=None, span=_span(children))

    def then_deferred(self, children: list[Any]) -> ast.ThenDeferred:
        return ast.ThenDeferred(deferred=True, span=_span(children))

    def then_not_deferred(self, children: list[Any]) -> ast.ThenDeferred:
        return ast.ThenDeferred(deferred=False, span=_span(children))

    def signed_number(self, children: list[Any]) -> _Part:
        value = _decimal(children[-1])
        return _Part("number", -value if len(children) > 1 else value, _span(children))

    # ---------------------------------------------------------------- expressions

    def cond(self, children: list[Any]) -> ast.Expr:
        then, condition, otherwise = children[0], children[2], children[4]
        node = ast.Conditional(
            then=then, condition=condition, otherwise=otherwise, span=_span(children)
        )
        return self._nest(node, (then, condition, otherwise))

    def or_op(self, children: list[Any]) -> ast.Expr:
        left, right = children[0], children[2]
        node = ast.BoolOp(op="or", left=left, right=right, span=_span(children))
        return self._nest(node, (left, right))

    def and_op(self, children: list[Any]) -> ast.Expr:
        left, right = children[0], children[2]
        node = ast.BoolOp(op="and", left=left, right=right, span=_span(children))
        return self._nest(node, (left, right))

    def not_op(self, children: list[Any]) -> ast.Expr:
        node = ast.Not(operand=children[1], span=_span(children))
        return self._nest(node, (children[1],))

    def compare(self, children: list[Any]) -> ast.Expr:
        left, right = children[0], children[2]
        node = ast.Compare(op=children[1].value, left=left, right=right, span=_span(children))
        return self._nest(node, (left, right))

    def in_op(self, children: list[Any]) -> ast.Expr:
        item, collection = children[0], children[2]
        node = ast.In(item=item, collection=collection, span=_span(children))
        return self._nest(node, (item, collection))

    def not_in_op(self, children: list[Any]) -> ast.Expr:
        item, collection = children[0], children[3]
        node = ast.In(item=item, collection=collection, negated=True, span=_span(children))
        return self._nest(node, (item, collection))

    def contains(self, children: list[Any]) -> ast.Expr:
        container, item = children[0], children[2]
        node = ast.Contains(container=container, item=item, span=_span(children))
        return self._nest(node, (container, item))

    def between(self, children: list[Any]) -> ast.Expr:
        value, low, high = children[0], children[2], children[4]
        node = ast.Between(value=value, low=low, high=high, span=_span(children))
        return self._nest(node, (value, low, high))

    def binary(self, children: list[Any]) -> ast.Expr:
        left, right = children[0], children[2]
        node = ast.Binary(op=children[1].value, left=left, right=right, span=_span(children))
        return self._nest(node, (left, right))

    def neg(self, children: list[Any]) -> ast.Expr:
        node = ast.Unary(op="-", operand=children[1], span=_span(children))
        return self._nest(node, (children[1],))

    def paren(self, children: list[Any]) -> ast.Expr:
        inner: ast.Expr = children[1]
        return self._nest(attrs.evolve(inner, span=_span(children)), (inner,))

    def comp_op(self, children: list[Any]) -> _Part:
        return _Part("op", children[0].value, _span(children))

    def add_op(self, children: list[Any]) -> _Part:
        return _Part("op", children[0].value, _span(children))

    def mul_op(self, children: list[Any]) -> _Part:
        return _Part("op", children[0].value, _span(children))

    def func(self, children: list[Any]) -> _Part:
        return _Part("func", children[0].value, _span(children))

    def call_args(self, children: list[Any]) -> _Part:
        return _Part("args", tuple(_exprs(children)), _span(children))

    def where(self, children: list[Any]) -> _Part:
        return _Part("where", children[1], _span(children))

    def func_call(self, children: list[Any]) -> ast.Expr:
        func: str = children[0].value
        args: tuple[ast.Expr, ...] = children[2].value
        where: ast.Expr | None = children[3].value if len(children) > 4 else None
        span = _span(children)
        operands = (*args, where) if where is not None else args
        node: ast.Expr
        if func in _AGGREGATE_ONLY or (func in {"min", "max"} and (len(args) == 1 or where)):
            node = self._aggregate(func, args, where, span)
        else:
            low, high = _ARITY.get(func, (2, 10**9))
            if where is not None:
                _STATE.get().error(
                    f"`{func}(...)` takes no `where`; only aggregates over a collection do",
                    children[3].span,
                )
            elif not low <= len(args) <= high:
                expected = f"{low}" if low == high else f"{low} or {high}"
                _STATE.get().error(
                    f"`{func}` takes {expected} argument{'s' if high > 1 else ''}, "
                    f"found {len(args)}",
                    span,
                )
            node = ast.Call(func=func, args=args, span=span)  # type: ignore[arg-type]
        return self._nest(node, operands)

    @staticmethod
    def _aggregate(
        func: str, args: tuple[ast.Expr, ...], where: ast.Expr | None, span: Span
    ) -> ast.Expr:
        source = args[0]
        if len(args) > 1 or not isinstance(source, ast.Name) or len(source.parts) > 2:
            bad = args[1] if len(args) > 1 else source
            _STATE.get().error(
                f"`{func}` aggregates one collection, as in `{func}(invoices where ...)` or "
                f"`{func}(invoices.amount)`",
                bad.span,
            )
            return ast.Name(parts=("invoices",), span=span)
        field = source.parts[1] if len(source.parts) > 1 else None
        return ast.Aggregate(
            func=func,  # type: ignore[arg-type]
            collection=source.parts[0],
            field=field,
            where=where,
            span=span,
        )

    def has_role(self, children: list[Any]) -> ast.HasRole:
        return ast.HasRole(role=children[1].value, span=_span(children))

    def set_lit(self, children: list[Any]) -> ast.Expr:
        items = tuple(_exprs(children))
        node = ast.SetLiteral(items=items, span=_span(children))
        return self._nest(node, items) if items else node

    def dotted(self, children: list[Any]) -> ast.Name:
        parts = tuple(c.value for c in children if c.type == "IDENT")
        return ast.Name(parts=parts, span=_span(children))

    def number_lit(self, children: list[Any]) -> ast.NumberLit:
        return ast.NumberLit(value=_decimal(children[0]), span=_span(children))

    def percent_lit(self, children: list[Any]) -> ast.PercentLit:
        return ast.PercentLit(value=_decimal(children[0]), span=_span(children))

    def money(self, children: list[Any]) -> ast.MoneyLit:
        return ast.MoneyLit(
            amount=_decimal(children[0]), currency=children[1].value, span=_span(children)
        )

    def duration(self, children: list[Any]) -> ast.DurationLit:
        unit: str = children[1].value
        week = unit.startswith("week")
        days = _decimal(children[0]) * (7 if week else 1)
        span = _span(children)
        if days != days.to_integral_value():
            _STATE.get().error(
                f"a duration is a whole number of days, found `{children[0].value} {unit}`",
                span,
            )
            days = Decimal(0)
        elif days > MAX_DURATION_DAYS:
            _STATE.get().error(
                f"`{_shorten(children[0].value)} {unit}` is too long: durations are at most "
                f"{MAX_DURATION_DAYS:,} days (100 years)",
                span,
                hint="durations count days past due, gaps and intervals: check the number",
            )
            days = Decimal(0)
        return ast.DurationLit(days=int(days), unit="week" if week else "day", span=span)

    def duration_unit(self, children: list[Any]) -> _Part:
        return _Part("unit", children[0].value, _span(children))

    def date_lit(self, children: list[Any]) -> ast.DateLit:
        return ast.DateLit(value=_date(children[0]), span=_span(children))

    def string_lit(self, children: list[Any]) -> ast.StringLit:
        return ast.StringLit(value=_string(children[0]), span=_span(children))

    def true_lit(self, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(value=True, span=_span(children))

    def false_lit(self, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(value=False, span=_span(children))


def _first_line(span: Span) -> Span:
    """Narrow a (possibly multi-line) span to its first line, for a compact caret."""
    if span.end_line == span.line:
        return span
    return Span(span.line, span.column, span.line, span.column + 1, span.start, span.start + 1)


# ============================================================================================
# parse


def _too_long(source: str, source_name: str) -> Diagnostic:
    """Return the error for a text longer than `MAX_POLICY_CHARS`, located where it overflows."""
    return Diagnostic(
        f"the policy is {len(source):,} characters long; "
        f"rule files are limited to {MAX_POLICY_CHARS:,}",
        _char_span(source, MAX_POLICY_CHARS),
        source_name,
        hint="split it, or look for generated or repeated text",
    )


def parse(text: str | bytes, *, source_name: str = "<policy>") -> ast.PolicyFile:
    r"""Parse rule text (a str, or UTF-8 bytes) into a `arcollect.lang.ast.PolicyFile`.

    *source_name* names the text in diagnostics (usually its file name). Raises `PolicyError`
    with every problem found, each located by line and column.

    >>> policy = parse('policy "Tiny" version 1\nlet small = overdue < 250 EUR')
    >>> policy.header.name, policy.lets[0].name
    ('Tiny', 'small')
    >>> print(policy.lets[0].value.right)
    MoneyLit(amount=Decimal('250'), currency='EUR')
    """
    source = line_ends(_decode(text, source_name))
    if len(source) > MAX_POLICY_CHARS:
        raise PolicyError([_too_long(source, source_name)], source)
    nul = source.find("\0")
    if nul >= 0:
        raise PolicyError(
            [
                Diagnostic(
                    "NUL character (U+0000) in the policy text",
                    _char_span(source, nul),
                    source_name,
                )
            ],
            source,
        )
    state = _State(source_name)
    token = _STATE.set(state)
    # The parser allocates millions of small objects on large files, and the cyclic garbage
    # collector rescans them all again and again: pause it (it finds no cycles here anyway).
    pause_gc = len(source) > _PAUSE_GC_ABOVE and gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        result = _parse_all(source, state)
    finally:
        if pause_gc:
            gc.enable()
        _STATE.reset(token)
    if state.diagnostics or result is None:
        raise PolicyError(_sorted_unique(state.diagnostics), source, state.omitted)
    return attrs.evolve(result, comments=_comments(source))


def _parse_all(source: str, state: _State) -> ast.PolicyFile | None:
    """Parse *source*, resuming at the next section after each syntax error."""
    grammar = _grammar()
    text: str | TextSlice[str] = source
    start = "start"
    resumed_at = -1
    for _ in range(_MAX_SYNTAX_ERRORS):
        try:
            parsed = grammar.parse(text, start=start)
        except UnexpectedInput as exc:
            state.diagnostics.append(_syntax_error(exc, source, state.source_name))
            resume = _resume_point(source, exc, resumed_at)
            if resume is None:
                return None
            text, start, resumed_at = TextSlice(source, resume, len(source)), "body", resume
        else:
            return cast("ast.PolicyFile", parsed) if start == "start" else None
    return None


def _resume_point(source: str, exc: UnexpectedInput, after: int) -> int | None:
    """Return where to parse again after *exc*: the next section start after *after*."""
    pos = int(getattr(exc, "pos_in_stream", 0) or 0)
    if pos > after and _SECTION_START.match(source, pos) and source[pos - 1 : pos] in {"", "\n"}:
        return pos  # the error is a section starting early: parse that section
    line_end = source.find("\n", pos)
    if line_end < 0:
        return None
    match = _SECTION_START.search(source, line_end + 1)
    return match.start() if match else None


def _sorted_unique(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(diagnostics))
    unique.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    return unique


_LONE_CR = re.compile(r"\r(?!\n)")


def line_ends(text: str) -> str:
    r"""Return *text* with each lone ``\r`` (an old Mac line end) made ``\n``.

    Offsets are kept (one character for one), and lines are then counted by ``\n`` alone:
    ``\r\n`` needs no change, since its ``\r`` is blank space at the end of a line.

    >>> line_ends("a\rb\r\nc")
    'a\nb\r\nc'
    """
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def _decode(text: str | bytes, source_name: str) -> str:
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = text.decode("utf-8", "replace")
        offset = len(text[: exc.start].decode("utf-8", "replace"))
        span = _char_span(shown, offset)
        message = f"the text is not valid UTF-8: {exc.reason} (byte 0x{text[exc.start]:02x})"
        raise PolicyError([Diagnostic(message, span, source_name)], shown) from None


def _char_span(source: str, offset: int) -> Span:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return Span(line, column, line, column + 1, offset, offset + 1)


# ============================================================================================
# Syntax errors in English


_REGEX_WORDS: Final = {
    "IDENT": "a name",
    "NUMERAL": "a number",
    "ISODATE": "a date",
    "CURRENCY_CODE": "a currency code",
    "TEXT": "a string",
    "$END": "the end of the file",
}

#: Groups of terminals described by one phrase: (phrase, words that must all be expected,
#: words folded into the phrase when it applies). Words are the keywords or punctuation.
_GROUPS: Final[tuple[tuple[str, frozenset[str], frozenset[str]], ...]] = tuple(
    (phrase, frozenset(required.split()), frozenset((required + " " + extra).split()))
    for phrase, required, extra in (
        (
            "an expression",
            "IDENT NUMERAL (",
            (
                "ISODATE TEXT [ - not true false has count sum any all max min abs round days "
                "end_of_month day_of_month weekday times"
            ),
        ),
        ("an operator", "and or", "+ - * / == != < <= > >= if in not contains between ."),
        ("an arithmetic operator", "+ - * /", ""),
        ("a unit", "day days week weeks % CURRENCY_CODE", ""),
        ("a unit (`days` or `weeks`)", "day days week weeks", ""),
        ("a step modifier", "to with when unless every at requires per", ", required cc and"),
        ("a timeline clause", "pause restart on min step", ","),
        # After `N days past due`, `, end of month` may follow too: the action is what matters.
        ("an action", "email letter sms call voicemail visit review hold release refer", ", end"),
        ("a header line", "currency locale calendar timezone roles deadline", "version"),
        (
            "an account attribute",
            "id name tags credit_limit terms risk country locale customer_since currency",
            "collector",
        ),
        ("an account line", "invoice payment promise dispute contact done last", "account"),
        ("a `priority` clause", "score tiers capacity ties", ""),
        ("a channel rule", "call email letter sms visit voicemail", "fall"),
        ("a `charges` clause", "interest fee payments", ""),
        ("a new section", "let segment timeline channel assign priority expect", "$END charges"),
    )
)

_ACTION_HINT: Final = (
    'an action is one of `email "template"`, `letter "template"`, `sms "template"`, `call`, '
    "`voicemail`, `visit`, `review`, `hold shipments`, `release hold`, `refer agency`, "
    "`refer attorney`"
)


@functools.cache
def _terminal_words() -> dict[str, str]:
    """Map each terminal name to the word it stands for (keyword, punctuation or name)."""
    words = {"$END": "$END"}
    for term in _grammar().terminals:
        pattern = term.pattern
        words[term.name] = pattern.value if isinstance(pattern, PatternStr) else term.name
    return words


def _describe_word(word: str) -> str:
    return _REGEX_WORDS.get(word, f"`{word}`")


def _describe_expected(words: set[str]) -> str:
    remaining = set(words)
    phrases: list[str] = []
    for phrase, required, members in _GROUPS:
        if required <= remaining:
            phrases.append(phrase)
            remaining -= members
    parts = sorted(_describe_word(w) for w in remaining if w in _REGEX_WORDS)
    parts += sorted(_describe_word(w) for w in remaining if w not in _REGEX_WORDS)
    return _join_or([*parts, *phrases])


def _join_or(items: Sequence[str]) -> str:
    if not items:
        return "nothing more"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    text = str(tok.value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"`{text}`"


def _expected_words(exc: UnexpectedInput) -> set[str]:
    """Return the words the parser would have accepted where it failed.

    Asks a copy of the parser (without running the transformer) which terminals let it go on:
    the LALR tables alone over-approximate, since states merge the follow sets of contexts.
    """
    names: set[str]
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        names = set(interactive.accepts())
    else:  # pragma: no cover - Lark always attaches the parser to errors it raises
        names = set(getattr(exc, "expected", None) or ())
    words = _terminal_words()
    return {words.get(n, n) for n in names}


def _previous_value(exc: UnexpectedInput) -> Any:
    state = getattr(exc, "state", None)
    stack = getattr(state, "value_stack", None)
    return stack[-1] if stack else None


def _step_name(exc: UnexpectedInput) -> str | None:
    stack: list[Any] = getattr(getattr(exc, "state", None), "value_stack", None) or []
    for index in range(len(stack) - 1, 0, -1):
        item = stack[index - 1]
        if isinstance(item, Token) and item.type == "STEP":
            name: str = stack[index].value
            return name
    return None


def _syntax_error(exc: UnexpectedInput, source: str, source_name: str) -> Diagnostic:
    if isinstance(exc, UnexpectedToken):
        message, span, hint = _unexpected_token(exc, source)
    else:
        assert isinstance(exc, UnexpectedCharacters)  # noqa: S101 - the only other kind
        message, span, hint = _unexpected_character(exc, source)
    return Diagnostic(message, span, source_name, hint=hint)


def _unexpected_character(exc: UnexpectedCharacters, source: str) -> tuple[str, Span, None]:
    pos = int(getattr(exc, "pos_in_stream", 0) or 0)
    char = source[pos]
    span = _char_span(source, pos)
    if char == '"':
        line_end = source.find("\n", pos)
        line_end = len(source) if line_end < 0 else line_end
        end_col = span.column + max(1, len(source[pos:line_end].rstrip("\r")))
        span = Span(span.line, span.column, span.line, end_col, pos, line_end)
        return 'unclosed string: expected a closing `"` before the end of the line', span, None
    if char == "'":
        return "unexpected character `'`: strings are written in double quotes", span, None
    shown = f"`{char}`" if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    return f"unexpected character {shown}", span, None


def _unexpected_token(exc: UnexpectedToken, source: str) -> tuple[str, Span, str | None]:
    tok = exc.token
    expected = _expected_words(exc)
    # Lark places the end of the file on the last token: point just after that token.
    span = _char_span(source + " ", tok.end_pos or 0) if tok.type == "$END" else _token_span(tok)
    found = _found(tok)
    described = _describe_expected(expected)
    hint = _did_you_mean(tok, expected)
    previous = _previous_value(exc)

    if tok.value == "=" and "==" in expected:
        return "`=` is not a comparison: use `==`", span, None
    if isinstance(previous, Token) and previous.type == "NUMERAL":
        number = previous.value
        if expected <= {"day", "days", "week", "weeks"}:
            message = f"expected a unit after `{number}` (`days` or `weeks`), found {found}"
            return message, span, hint
        if expected == {"CURRENCY_CODE"}:
            message = f"expected a currency code after `{number}`, as in `{number} EUR`"
            return f"{message}, found {found}", span, None
        if expected == {"%"}:
            return f"expected `%` after `{number}`, as in `{number}%`, found {found}", span, None
    if {"email", "hold", "refer", "review"} <= expected and hint is None:
        name = _step_name(exc)
        subject = f"step `{name}`" if name else "the step"
        return f"{subject} has no action: expected an action, found {found}", span, _ACTION_HINT
    at_start = tok.type == "IDENT" and "IDENT" not in expected and _at_line_start(source, tok)
    if at_start and (hint is not None or _statement_keywords() & expected):
        return f"unknown keyword {found}: expected {described}", span, hint
    return f"expected {described}, found {found}", span, hint


@functools.cache
def _statement_keywords() -> frozenset[str]:
    words: set[str] = set()
    for phrase, _required, members in _GROUPS:
        if phrase not in {"an expression", "an operator", "an arithmetic operator"}:
            words |= members
    return frozenset(w for w in words if w.isalpha())


def _at_line_start(source: str, tok: Token) -> bool:
    start = tok.start_pos or 0
    return not source[source.rfind("\n", 0, start) + 1 : start].strip()


def _did_you_mean(tok: Token, expected: set[str]) -> str | None:
    if tok.type == "$END" or not str(tok.value).isidentifier():
        return None
    candidates = (w for w in expected if w.replace("_", "").isalpha())
    return did_you_mean(str(tok.value), candidates, quote="`")


# ============================================================================================
# Comments (kept for the formatter)

#: A string literal or a comment: outside strings, ``#`` always starts a comment, and no other
#: token holds ``"`` or ``#``, so this finds the comments of any text that parses.
_STRING_OR_COMMENT: Final = re.compile(r'"(?:[^"\\\n\r]|\\[^\n\r])*"|#[^\n]*')


def _comments(source: str) -> tuple[ast.Comment, ...]:
    """Return the comments of *source* (which parses), in order, with their spans."""
    found: list[ast.Comment] = []
    line, line_start = 1, 0
    for match in _STRING_OR_COMMENT.finditer(source):
        if match.group().startswith('"'):
            continue
        pos = match.start()
        line += source.count("\n", line_start, pos)
        line_start = source.rfind("\n", 0, pos) + 1
        text = match.group().rstrip()
        column = pos - line_start + 1
        span = Span(line, column, line, column + len(text), pos, pos + len(text))
        own_line = not source[line_start:pos].strip()
        found.append(ast.Comment(text=text, own_line=own_line, span=span))
    return tuple(found)
