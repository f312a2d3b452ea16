r"""Format a syntax tree as canonical rule text (what ``arcollect fmt`` prints).

The layout is fixed, so that formatting is idempotent and ``parse(format_policy(tree)) ==
tree`` for every tree the parser can produce:

- sections in a fixed order (header, lets, segments, timelines, channel, assign, priority,
  charges, expects); in ``charges``, interest clauses, then fees, then the payment order;
  separated by one blank line; clauses indented by two spaces, one per line; the records of an
  expect block's account by four;
- in a timeline, step names and timings are padded into columns; channel words and owners
  likewise;
- numbers are written with a comma between thousands when their integer part has four digits
  or more (``1,000``, ``12,500.50``), and keep the decimals they were written with;
- durations in weeks when written in weeks (and a whole number of weeks), else in days,
  singular for one (``1 day``);
- strings in double quotes, escaping ``"``, ``\``, newline, tab, carriage return, and any
  other unprintable character as ``\u{hex}``;
- the fewest parentheses the operator precedence allows.

What the author chose is kept (docs/language.md, "arcollect fmt", says it for users):

- comments (`PolicyFile.comments`): one after code stays at the end of its printed line, two
  spaces after it; one on a line of its own goes before the printed line that follows it in the
  source, indented like that line;
- line breaks before (or after) ``+ - * / and or`` in an expression, the operator starting the
  continuation line four spaces deeper than its clause; and a step modifier begun on a new line
  starts one, aligned with the step's action.

Layout is read from spans (and ``lines`` of headers and steps), which equality ignores, so a
tree built by hand formats on one line per clause.

>>> from arcollect.lang.parser import parse
>>> print(format_policy(parse('policy "P"  let  x=(a+b)*2  let y = 1000000 EUR')), end="")
policy "P"
<BLANKLINE>
let x = (a + b) * 2
let y = 1,000,000 EUR
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final, assert_never

import attrs

from arcollect.lang import ast

__all__ = [
    "format_decimal",
    "format_expr",
    "format_money",
    "format_policy",
    "step_actions",
    "then_lines",
]


def format_policy(tree: ast.PolicyFile) -> str:
    """Return the canonical text of *tree*, ending with a newline, with its comments kept."""
    blocks: list[list[_Line]] = [_header(tree.header)]
    if tree.lets:
        blocks.append([_clause(f"let {d.name} = ", d.value, d.span.line, 0) for d in tree.lets])
    if tree.segments:
        blocks.append(
            [_clause(f"segment {s.name} when ", s.condition, s.span.line, 0) for s in tree.segments]
        )
    blocks += [_timeline(t) for t in tree.timelines]
    if tree.channel is not None:
        blocks.append(_channel(tree.channel))
    if tree.assign is not None:
        blocks.append(_assign(tree.assign))
    if tree.priority is not None:
        blocks.append(_priority(tree.priority))
    if tree.charges is not None:
        blocks.append(_charges(tree.charges))
    blocks += [_expect(e) for e in tree.expects]
    return _place_comments(blocks, tree.comments)


# ============================================================================================
# Lines, line breaks and comments

#: How much deeper than its clause a continuation line of an expression is indented.
_CONTINUATION: Final = 4


@attrs.frozen
class _Line:
    r"""One printed line (possibly several, split at the author's line breaks).

    *text* holds ``\n`` where a line break is kept; *keys* is the source line of each printed
    line (0 when unknown): comments are placed by it. *indents* gives the indentation of each
    continuation line.
    """

    text: str
    keys: tuple[int, ...]
    indents: tuple[int, ...] = ()

    def printed(self) -> list[tuple[str, int]]:
        """Return the printed lines with their source lines."""
        first, *rest = self.text.split("\n")
        out = [(first.rstrip(), self.keys[0])]
        for part, key, indent in zip(rest, self.keys[1:], self.indents, strict=True):
            out.append((" " * indent + part.rstrip(), key))
        return out


def _plain(text: str, key: int) -> _Line:
    return _Line(text, (key,))


def _clause(prefix: str, expr: ast.Expr, key: int, indent: int) -> _Line:
    """Return ``prefix EXPR`` indented by *indent*, keeping the expression's line breaks."""
    breaks: list[int] = []
    text = _expr(expr, _COND, breaks)
    return _Line(
        " " * indent + prefix + text, (key, *breaks), (indent + _CONTINUATION,) * len(breaks)
    )


def _below(later: ast.Node, earlier: ast.Node) -> bool:
    """Whether the author started *later* on a line after the one *earlier* ends on."""
    return earlier.span.line > 0 and later.span.line > earlier.span.end_line


def _place_comments(blocks: list[list[_Line]], comments: Sequence[ast.Comment]) -> str:
    """Join *blocks* with blank lines, each comment beside the source line it was written on.

    An end-of-line comment goes after the printed line holding its source line (the last one
    starting at or before it); a comment on a line of its own goes before the printed line that
    comes next in the source, indented like it, or at the end of the file. A second end-of-line
    comment for the same printed line goes on a line of its own after it.
    """
    printed: list[tuple[str, int] | None] = []
    for block in blocks:
        if printed:
            printed.append(None)
        for line in block:
            printed += line.printed()
    real = [(i, entry[1]) for i, entry in enumerate(printed) if entry is not None]
    before: dict[int, list[str]] = {}
    after: dict[int, str] = {}
    trailer: list[str] = []

    def place_before(index: int | None, text: str) -> None:
        if index is None:
            trailer.append(text)
        else:
            before.setdefault(index, []).append(text)

    for comment in comments:
        at = comment.span.line
        if not comment.own_line:
            holder = max(((key, i) for i, key in real if 0 < key <= at), default=None)
            if holder is not None:
                index = holder[1]
                if index not in after:
                    after[index] = comment.text
                    continue
                later = [i for i, _ in real if i > index]
                place_before(later[0] if later else None, comment.text)
                continue
        following = min(((key, i) for i, key in real if key > at), default=None)
        place_before(None if following is None else following[1], comment.text)
    out: list[str] = []
    for i, entry in enumerate(printed):
        if entry is None:
            out.append("")
            continue
        text = entry[0]
        indent = len(text) - len(text.lstrip(" "))
        out += [" " * indent + c for c in before.get(i, [])]
        out.append(f"{text}  {after[i]}" if i in after else text)
    out += trailer
    return "\n".join(out) + "\n"


# ============================================================================================
# Sections


def _header(header: ast.Header) -> list[_Line]:
    lines_of = dict(header.lines)
    first = f"policy {_string(header.name)}"
    if header.version is not None:
        first += f" version {_int(header.version)}"
    lines = [_plain(first, header.span.line)]
    if header.currency is not None:
        lines.append(_plain(f"  currency {header.currency}", lines_of.get("currency", 0)))
    if header.locale is not None:
        lines.append(_plain(f"  locale {header.locale}", lines_of.get("locale", 0)))
    if header.calendar is not None:
        cal = header.calendar
        text = "  calendar " + ("weekdays" if cal.days == "weekdays" else "all days")
        if cal.holidays:
            text += ", holidays " + ", ".join(d.isoformat() for d in cal.holidays)
        lines.append(_plain(text, cal.span.line))
    if header.timezone is not None:
        text = f"  timezone {_string(header.timezone)}"
        lines.append(_plain(text, lines_of.get("timezone", 0)))
    if header.roles:
        lines.append(_plain(f"  roles {', '.join(header.roles)}", lines_of.get("roles", 0)))
    if header.deadline is not None:
        days = f"{header.deadline} business day{'' if header.deadline == 1 else 's'}"
        lines.append(_plain(f"  deadline {days}", lines_of.get("deadline", 0)))
    return lines


def _timeline(timeline: ast.Timeline) -> list[_Line]:
    scope = "all" if timeline.segment is None else f"segment {timeline.segment}"
    if timeline.in_sequence:
        scope += ", in sequence"
    if timeline.by_oldest_invoice:
        scope += ", by oldest invoice"
    lines = [_plain(f"timeline {timeline.name} for {scope}", timeline.span.line)]
    lines += [_clause("pause while ", e, e.span.line, 2) for e in timeline.pause_while]
    lines += [_clause("restart when ", e, e.span.line, 2) for e in timeline.restart_when]
    lines += [
        _plain(f"  on {e.event.dotted} resume at {e.step}", e.span.line) for e in timeline.on_events
    ]
    lines += [
        _plain(f"  on {e.event.dotted} release hold", e.span.line) for e in timeline.on_release
    ]
    if timeline.min_gap is not None:
        gap = timeline.min_gap
        lines.append(_plain(f"  min gap {_duration(gap)} between contacts", gap.span.line))
    names = [s.name for s in timeline.steps]
    timings = [_timing(s) for s in timeline.steps]
    name_width = max(map(len, names), default=0)
    timing_width = max(map(len, timings), default=0)
    action_column = len("  step ") + name_width + 1 + timing_width + 1
    for step, name, timing in zip(timeline.steps, names, timings, strict=True):
        head = f"  step {name.ljust(name_width)} {timing.ljust(timing_width)} "
        lines.append(_step_line(step, head, action_column))
    return lines


def _timing(step: ast.Step) -> str:
    timing = step.timing
    if timing.relation == "on_due":
        text = "on due"
    else:
        relation = {
            "before_due": "before due",
            "past_due": "past due",
            "past_due_eom": "past due, end of month",
            "after_issue": "after issue",
            "after_step": f"after {timing.after}",
        }[timing.relation]
        text = f"{_duration(timing.offset)} {relation}"
    return text + (" per invoice" if step.per_invoice else "")


def _step_line(step: ast.Step, head: str, column: int) -> _Line:
    """Return a step's line; a modifier the author began on a new line starts one at *column*."""
    lines_of = dict(step.lines)
    # Each piece: its text, with its line breaks, and its first and last source lines.
    last_action = step.also[-1] if step.also else step.action
    pieces: list[tuple[str, list[int], int, int]] = [
        (step_actions(step), [], step.span.line, last_action.span.end_line)
    ]

    def add(
        kind: str, text: str, *, expr: ast.Expr | None = None, node: ast.Node | None = None
    ) -> None:
        line = lines_of.get(kind, 0)
        breaks: list[int] = []
        if expr is not None:
            text += _expr(expr, _COND, breaks)
        end = expr or node
        pieces.append((text, breaks, line, max(line, end.span.end_line if end else 0)))

    if step.to_role is not None:
        add("to_role", f"to {'all ' if step.to_all else ''}{step.to_role}")
    if step.cc_role is not None:
        add("cc_role", f"cc {step.cc_role}")
    if step.with_role is not None:
        add("with_role", f"with {step.with_role}")
    if step.when is not None:
        add("when", "when ", expr=step.when)
    if step.unless is not None:
        add("unless", "unless ", expr=step.unless)
    if step.repeat is not None:
        text = f"every {_duration(step.repeat.every)}"
        if step.repeat.until is not None:
            text += f" until {_duration(step.repeat.until)} past due"
        add("repeat", text, node=step.repeat)
    if step.min_interval is not None:
        add("min_interval", f"at most every {_duration(step.min_interval)}", node=step.min_interval)
    if step.max_times is not None:
        add("max_times", f"at most {step.max_times} time{'' if step.max_times == 1 else 's'}")
    if step.required:
        add("required", "required")
    if step.approval is not None:
        add("approval", f"requires approval by {step.approval}")
    text, keys, indents = head + pieces[0][0], [step.span.line], []
    previous_last = pieces[0][3]
    for piece_text, breaks, first, last in pieces[1:]:
        comma = "," if piece_text.startswith("at most") else ""
        if first > previous_last > 0:
            text += f"{comma}\n{piece_text}"
            keys.append(first)
            indents.append(column)
        else:
            text += f"{comma} {piece_text}"
        keys += breaks
        indents += [column + _CONTINUATION] * len(breaks)
        previous_last = max(previous_last, last)
    return _Line(text, tuple(keys), tuple(indents))


def step_actions(step: ast.Step) -> str:
    """Return a step's actions as written: ``letter "t" and email "t"``."""
    return " and ".join(_action(a) for a in (step.action, *step.also))


def _action(action: ast.Action) -> str:
    if not action.kind.takes_template:
        return action.kind.words
    if action.template is None:
        return str(action.kind)
    return f"{action.kind} {_string(action.template)}"


def _channel(block: ast.ChannelBlock) -> list[_Line]:
    width = max((len(r.channel) for r in block.rules), default=0)
    head = "channel" + (f" for {', '.join(block.applies_to)}" if block.applies_to else "")
    lines = [_plain(head, block.span.line)]
    for rule in block.rules:
        if rule.condition is None:
            lines.append(_plain(f"  {rule.channel.ljust(width)} otherwise", rule.span.line))
        else:
            prefix = f"{rule.channel.ljust(width)} when "
            lines.append(_clause(prefix, rule.condition, rule.span.line, 2))
    if block.fallback:
        lines.append(_plain("  fall back when unreachable", block.fallback_line))
    return lines


def _assign(block: ast.AssignBlock) -> list[_Line]:
    owners = [format_expr(r.owner) for r in block.rules]
    width = max((len(o) for o in owners), default=0)
    lines = []
    for rule, owner in zip(block.rules, owners, strict=True):
        prefix = f"assign {owner.ljust(width)} "
        if rule.condition is None:
            lines.append(_plain(f"{prefix}otherwise", rule.span.line))
        else:
            lines.append(_clause(f"{prefix}when ", rule.condition, rule.span.line, 0))
    return lines


def _priority(block: ast.PriorityBlock) -> list[_Line]:
    lines = [_plain("priority", block.span.line)]
    if block.score is not None:
        lines.append(_clause("score ", block.score, block.score.span.line, 2))
    if block.tiers is not None:
        tiers = ", ".join(f"{t.name} {format_decimal(t.share.value)}%" for t in block.tiers.tiers)
        text = f"  tiers by share of {block.tiers.measure}: {tiers}"
        lines.append(_plain(text, block.tiers.span.line))
    if block.capacity is not None:
        text = f"  capacity {_int(block.capacity.calls_per_day)} calls per day"
        text += " per collector" if block.capacity.per_collector else ""
        lines.append(_plain(text, block.capacity.span.line))
    if block.ties:
        keys = ", ".join(format_expr(k.key) + (" desc" if k.descending else "") for k in block.ties)
        lines.append(_plain(f"  ties by {keys}", block.ties[0].span.line))
    return lines


def _charges(block: ast.ChargesBlock) -> list[_Line]:
    lines = [_plain("charges", block.span.line)]
    for rate in block.interest:
        basis = f"above rate {_string(rate.table)}" if rate.table is not None else "per year"
        text = f"  interest {format_decimal(rate.rate.value)}% {basis} from due"
        if rate.day_count is not None:
            text += f", {rate.day_count}"
        lines.append(_plain(text, rate.span.line))
    for fee in block.fees:
        basis = "per invoice" if fee.basis == "invoice" else f"with {fee.basis}"
        head = f"fee {_money(fee.amount)} {basis}"
        if fee.condition is not None:
            lines.append(_clause(f"{head} when ", fee.condition, fee.span.line, 2))
        elif fee.unless is not None:
            lines.append(_clause(f"{head} unless ", fee.unless, fee.span.line, 2))
        else:
            lines.append(_plain(f"  {head}", fee.span.line))
    lines += [
        _plain(f"  payments pay {', '.join(order.parts)}", order.span.line)
        for order in block.payments
    ]
    return lines


def _expect(expect: ast.Expect) -> list[_Line]:
    lines = [
        _plain(f"expect {_string(expect.name)} as of {expect.as_of.isoformat()}", expect.span.line)
    ]
    for account in expect.accounts:
        lines.append(_plain("  " + _account_line(account), account.span.line))
        lines += [_plain(f"    {_record(r)}", r.span.line) for r in account.records]
    lines += [_plain(f"  then {text}", key) for text, key in then_lines(expect.then)]
    return lines


def _account_line(account: ast.ExpectAccount) -> str:
    """Return ``account ["NAME"] [attributes]``."""
    text = "account" + (f" {_string(account.name)}" if account.name is not None else "")
    for attr in account.attributes:
        text += f" {attr.key} " + ", ".join(format_expr(v) for v in attr.values)
    return text


def then_lines(items: Sequence[ast.ThenItem]) -> list[tuple[str, int]]:
    """Return the ``then`` lines (without ``then``) of *items*, with their source lines.

    Consecutive items about one account share a line, which names the account if they do;
    ``order`` has a line of its own.
    """
    groups: list[list[ast.ThenItem]] = []
    for item in items:
        last = groups[-1] if groups else None
        joins = (
            last is not None
            and not isinstance(item, ast.ThenOrder)
            and not isinstance(last[0], ast.ThenOrder)
            and last[0].account == item.account
        )
        if joins and last is not None:
            last.append(item)
        else:
            groups.append([item])
    out = []
    for group in groups:
        account = group[0].account
        prefix = f"{_string(account)} " if account is not None else ""
        out.append((prefix + ", ".join(_then(t) for t in group), group[0].span.line))
    return out


def _record(record: ast.Record) -> str:
    match record:
        case ast.InvoiceRecord():
            text = f"invoice {_money(record.amount)} due {record.due.isoformat()}"
            if record.issued is not None:
                text += f" issued {record.issued.isoformat()}"
            if record.number is not None:
                text += f" number {_string(record.number)}"
            if record.po is not None:
                text += f" po {_string(record.po)}"
            return text
        case ast.PaymentRecord():
            return f"payment {_money(record.amount)} on {record.paid_on.isoformat()}"
        case ast.PromiseRecord():
            return (
                f"promise {_money(record.amount)} due {record.due.isoformat()}"
                f" made {record.made.isoformat()}"
            )
        case ast.DisputeRecord():
            text = f"dispute {_money(record.amount)} opened {record.opened.isoformat()}"
            return text + (f" reason {record.reason}" if record.reason is not None else "")
        case ast.ContactRecord():
            text = f"contact {_string(record.name)} as {record.role}"
            if record.email is not None:
                text += f" email {_string(record.email)}"
            if record.phone is not None:
                text += f" phone {_string(record.phone)}"
            return text
        case ast.DoneRecord():
            return "done " + ", ".join(record.steps)
        case ast.LastContactRecord():
            return f"last contact {record.on.isoformat()} {record.channel} {record.outcome}"
        case _:  # pragma: no cover - exhaustive
            assert_never(record)


def _then(item: ast.ThenItem) -> str:
    match item:
        case ast.ThenNoAction():
            return "no action"
        case ast.ThenStep():
            return f"step {item.name}"
        case ast.ThenAction():
            return f"action {item.kind}"
        case ast.ThenTier():
            return f"tier {item.name}"
        case ast.ThenChannel():
            return f"channel {item.channel}"
        case ast.ThenPriority():
            sign = "-" if item.value < 0 else ""
            return f"priority {item.op} {sign}{format_decimal(abs(item.value))}"
        case ast.ThenApproval():
            return "no approval" if item.role is None else f"needs_approval {item.role}"
        case ast.ThenContact():
            return f"contact {_string(item.name) if item.name is not None else item.role}"
        case ast.ThenOwner():
            return "no owner" if item.owner is None else f"owner {_string(item.owner)}"
        case ast.ThenDeferred():
            return "deferred" if item.deferred else "not deferred"
        case ast.ThenOrder():
            return "order " + ", ".join(_string(name) for name in item.accounts)
        case _:  # pragma: no cover - exhaustive
            assert_never(item)


# ============================================================================================
# Expressions

# Precedence levels, loosest first; an operand printed where a tighter level is required
# gets parentheses.
_COND, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


def format_expr(expr: ast.Expr) -> str:
    """Return the canonical text of one expression, on one line, with the fewest parentheses.

    >>> from arcollect.lang.parser import parse
    >>> tree = parse('policy "P" let x = a - (b - c) * -d if not (e or f) else g')
    >>> format_expr(tree.lets[0].value)
    'a - (b - c) * -d if not (e or f) else g'
    """
    return _expr(expr, _COND, None)


def _expr(expr: ast.Expr, level: int, breaks: list[int] | None) -> str:
    r"""Render *expr* where *level* is required; with *breaks*, keep the author's line breaks.

    A line break is kept before the operator of ``+ - * /``, ``and`` and ``or`` when the author
    began its right operand on a later line than its left one ended: the text then holds a
    ``\n`` there, and *breaks* gets the source line of the right operand, in text order.
    """
    own, text = _render(expr, breaks)
    return f"({text})" if own < level else text


def _render(expr: ast.Expr, breaks: list[int] | None) -> tuple[int, str]:
    match expr:
        case ast.Conditional():
            return _COND, (
                f"{_expr(expr.then, _OR, breaks)} if {_expr(expr.condition, _OR, breaks)}"
                f" else {_expr(expr.otherwise, _COND, breaks)}"
            )
        case ast.BoolOp():
            level = _OR if expr.op == "or" else _AND
            return level, _operation(expr, level, breaks)
        case ast.Not():
            return _NOT, f"not {_expr(expr.operand, _NOT, breaks)}"
        case ast.Compare():
            left, right = _expr(expr.left, _SUM, breaks), _expr(expr.right, _SUM, breaks)
            return _COMPARE, f"{left} {expr.op} {right}"
        case ast.In():
            op = "not in" if expr.negated else "in"
            item, collection = _expr(expr.item, _SUM, breaks), _expr(expr.collection, _SUM, breaks)
            return _COMPARE, f"{item} {op} {collection}"
        case ast.Contains():
            container, item = _expr(expr.container, _SUM, breaks), _expr(expr.item, _SUM, breaks)
            return _COMPARE, f"{container} contains {item}"
        case ast.Between():
            value = _expr(expr.value, _SUM, breaks)
            low, high = _expr(expr.low, _SUM, breaks), _expr(expr.high, _SUM, breaks)
            return _COMPARE, f"{value} between {low} and {high}"
        case ast.Binary():
            level = _SUM if expr.op in {"+", "-"} else _PRODUCT
            return level, _operation(expr, level, breaks)
        case ast.Unary():
            operand = _expr(expr.operand, _UNARY, breaks)
            return _UNARY, "-" + (" " if operand.startswith("-") else "") + operand
        case _:
            return _ATOM, _atom(expr, breaks)


def _operation(expr: ast.Binary | ast.BoolOp, level: int, breaks: list[int] | None) -> str:
    """Render a left-associative operation, breaking the line before it where the author did."""
    left = _expr(expr.left, level, breaks)
    space = " "
    if breaks is not None and _below(expr.right, expr.left):
        breaks.append(expr.right.span.line)
        space = "\n"
    return f"{left}{space}{expr.op} {_expr(expr.right, level + 1, breaks)}"


def _atom(expr: ast.Expr, breaks: list[int] | None) -> str:
    match expr:
        case ast.NumberLit():
            return format_decimal(expr.value)
        case ast.PercentLit():
            return f"{format_decimal(expr.value)}%"
        case ast.MoneyLit():
            return _money(expr)
        case ast.DurationLit():
            return _duration(expr)
        case ast.DateLit():
            return expr.value.isoformat()
        case ast.StringLit():
            return _string(expr.value)
        case ast.BoolLit():
            return "true" if expr.value else "false"
        case ast.Name():
            return expr.dotted
        case ast.Aggregate():
            source = expr.collection + (f".{expr.field}" if expr.field is not None else "")
            where = "" if expr.where is None else f" where {_expr(expr.where, _COND, breaks)}"
            return f"{expr.func}({source}{where})"
        case ast.Call():
            return f"{expr.func}({_args(expr.args, breaks)})"
        case ast.HasRole():
            return f"has {expr.role}"
        case ast.SetLiteral():
            return f"[{_args(expr.items, breaks)}]"
        case _:  # pragma: no cover - operators are rendered by _render
            raise AssertionError(expr)


def _args(args: Sequence[ast.Expr], breaks: list[int] | None) -> str:
    return ", ".join(_expr(a, _COND, breaks) for a in args)


# ============================================================================================
# Literals


def format_decimal(value: Decimal) -> str:
    """Write a non-negative number as the rule language does.

    Commas separate thousands from four integer digits on; decimals are kept as they are, but
    for exactly three after one to three integer digits, which the parser refuses as ambiguous
    (``2.125`` could be 2,125 grouped the German way): those get a fourth, ``2.1250``.

    >>> format_decimal(Decimal("1000")), format_decimal(Decimal("999")), format_decimal(
    ...     Decimal("12500.50")), format_decimal(Decimal("1E+3")), format_decimal(Decimal("2.125"))
    ('1,000', '999', '12,500.50', '1,000', '2.1250')
    """
    text = format(value, "f")
    whole, dot, fraction = text.partition(".")
    if len(fraction) == 3 and len(whole) <= 3 and whole != "0":
        fraction += "0"  # 2.125 would read as two thousand one hundred twenty-five grouped
    return f"{int(whole):,}{dot}{fraction}"


def _int(value: int) -> str:
    return f"{value:,}"


def format_money(money: ast.MoneyLit) -> str:
    """Return the canonical text of an amount: ``1,000 EUR``."""
    return _money(money)


def _money(money: ast.MoneyLit) -> str:
    return f"{format_decimal(money.amount)} {money.currency}"


def _duration(duration: ast.DurationLit) -> str:
    if duration.unit == "week" and duration.days % 7 == 0:
        count, unit = duration.days // 7, "week"
    else:
        count, unit = duration.days, "day"
    return f"{_int(count)} {unit}{'' if count == 1 else 's'}"


_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _string(value: str) -> str:
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not char.isprintable():
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
