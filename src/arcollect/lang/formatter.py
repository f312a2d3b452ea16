r"""Format a syntax tree as canonical rule text (what ``arcollect fmt`` prints).

The layout is fixed, so that formatting is idempotent and ``parse(format_policy(tree)) ==
tree`` for every tree the parser can produce:

- sections in a fixed order (header, lets, segments, timelines, channel, priority, expects),
  separated by one blank line; clauses indented by two spaces, one per line; the records of an
  expect block's account by four;
- in a timeline, step names and timings are padded into columns; channel words likewise;
- numbers are written with a comma between thousands when their integer part has four digits
  or more (``1,000``, ``12,500.50``), and keep the decimals they were written with;
- durations in weeks when written in weeks (and a whole number of weeks), else in days,
  singular for one (``1 day``);
- strings in double quotes, escaping ``"``, ``\``, newline, tab, carriage return, and any
  other unprintable character as ``\u{hex}``;
- the fewest parentheses the operator precedence allows;
- comments are not kept (the syntax tree has none).

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

from arcollect.lang import ast

__all__ = ["format_decimal", "format_expr", "format_policy"]


def format_policy(tree: ast.PolicyFile) -> str:
    """Return the canonical text of *tree*, ending with a newline."""
    blocks: list[list[str]] = [_header(tree.header)]
    if tree.lets:
        blocks.append([f"let {d.name} = {format_expr(d.value)}" for d in tree.lets])
    if tree.segments:
        blocks.append([f"segment {s.name} when {format_expr(s.condition)}" for s in tree.segments])
    blocks += [_timeline(t) for t in tree.timelines]
    if tree.channel is not None:
        blocks.append(_channel(tree.channel))
    if tree.priority is not None:
        blocks.append(_priority(tree.priority))
    blocks += [_expect(e) for e in tree.expects]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


# ============================================================================================
# Sections


def _header(header: ast.Header) -> list[str]:
    first = f"policy {_string(header.name)}"
    if header.version is not None:
        first += f" version {_int(header.version)}"
    lines = [first]
    if header.currency is not None:
        lines.append(f"  currency {header.currency}")
    if header.locale is not None:
        lines.append(f"  locale {header.locale}")
    if header.calendar is not None:
        cal = header.calendar
        text = "  calendar " + ("weekdays" if cal.days == "weekdays" else "all days")
        if cal.holidays:
            text += ", holidays " + ", ".join(d.isoformat() for d in cal.holidays)
        lines.append(text)
    if header.timezone is not None:
        lines.append(f"  timezone {_string(header.timezone)}")
    return lines


def _timeline(timeline: ast.Timeline) -> list[str]:
    scope = "all" if timeline.segment is None else f"segment {timeline.segment}"
    lines = [f"timeline {timeline.name} for {scope}"]
    lines += [f"  pause while {format_expr(e)}" for e in timeline.pause_while]
    lines += [f"  restart when {format_expr(e)}" for e in timeline.restart_when]
    lines += [f"  on {e.event.dotted} resume at {e.step}" for e in timeline.on_events]
    if timeline.min_gap is not None:
        lines.append(f"  min gap {_duration(timeline.min_gap)} between contacts")
    names = [s.name for s in timeline.steps]
    timings = [_timing(s) for s in timeline.steps]
    name_width = max(map(len, names), default=0)
    timing_width = max(map(len, timings), default=0)
    for step, name, timing in zip(timeline.steps, names, timings, strict=True):
        line = f"  step {name.ljust(name_width)} {timing.ljust(timing_width)} {_step_rest(step)}"
        lines.append(line.rstrip())
    return lines


def _timing(step: ast.Step) -> str:
    timing = step.timing
    if timing.relation == "on_due":
        text = "on due"
    else:
        relation = "before due" if timing.relation == "before_due" else "past due"
        text = f"{_duration(timing.offset)} {relation}"
    return text + (" per invoice" if step.per_invoice else "")


def _step_rest(step: ast.Step) -> str:
    parts = [_action(step.action)]
    if step.to_role is not None:
        parts.append(f"to {step.to_role}")
    if step.with_role is not None:
        parts.append(f"with {step.with_role}")
    if step.when is not None:
        parts.append(f"when {format_expr(step.when)}")
    if step.unless is not None:
        parts.append(f"unless {format_expr(step.unless)}")
    if step.repeat is not None:
        text = f"every {_duration(step.repeat.every)}"
        if step.repeat.until is not None:
            text += f" until {_duration(step.repeat.until)} past due"
        parts.append(text)
    text = " ".join(parts)
    if step.min_interval is not None:
        text += f", at most every {_duration(step.min_interval)}"
    if step.approval is not None:
        text += f" requires approval by {step.approval}"
    return text


def _action(action: ast.Action) -> str:
    if not action.kind.takes_template:
        return action.kind.words
    if action.template is None:
        return action.kind
    return f"{action.kind} {_string(action.template)}"


def _channel(block: ast.ChannelBlock) -> list[str]:
    width = max((len(r.channel) for r in block.rules), default=0)
    lines = ["channel"]
    for rule in block.rules:
        tail = "otherwise" if rule.condition is None else f"when {format_expr(rule.condition)}"
        lines.append(f"  {rule.channel.ljust(width)} {tail}")
    return lines


def _priority(block: ast.PriorityBlock) -> list[str]:
    lines = ["priority"]
    if block.score is not None:
        lines.append(f"  score {format_expr(block.score)}")
    if block.tiers is not None:
        tiers = ", ".join(f"{t.name} {format_decimal(t.share.value)}%" for t in block.tiers.tiers)
        lines.append(f"  tiers by share of {block.tiers.measure}: {tiers}")
    if block.capacity is not None:
        lines.append(f"  capacity {_int(block.capacity.calls_per_day)} calls per day")
    if block.ties:
        keys = ", ".join(format_expr(k.key) + (" desc" if k.descending else "") for k in block.ties)
        lines.append(f"  ties by {keys}")
    return lines


def _expect(expect: ast.Expect) -> list[str]:
    account = expect.account
    first = "  account"
    for attr in account.attributes:
        first += f" {attr.key} " + ", ".join(format_expr(v) for v in attr.values)
    lines = [f"expect {_string(expect.name)} as of {expect.as_of.isoformat()}", first]
    lines += [f"    {_record(r)}" for r in account.records]
    lines.append("  then " + ", ".join(_then(t) for t in expect.then))
    return lines


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
            return f"contact {_string(record.name)} as {record.role}"
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
        case _:  # pragma: no cover - exhaustive
            assert_never(item)


# ============================================================================================
# Expressions

# Precedence levels, loosest first; an operand printed where a tighter level is required
# gets parentheses.
_COND, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


def format_expr(expr: ast.Expr) -> str:
    """Return the canonical text of one expression, with the fewest parentheses.

    >>> from arcollect.lang.parser import parse
    >>> tree = parse('policy "P" let x = a - (b - c) * -d if not (e or f) else g')
    >>> format_expr(tree.lets[0].value)
    'a - (b - c) * -d if not (e or f) else g'
    """
    return _expr(expr, _COND)


def _expr(expr: ast.Expr, level: int) -> str:
    own, text = _render(expr)
    return f"({text})" if own < level else text


def _render(expr: ast.Expr) -> tuple[int, str]:
    match expr:
        case ast.Conditional():
            return _COND, (
                f"{_expr(expr.then, _OR)} if {_expr(expr.condition, _OR)}"
                f" else {_expr(expr.otherwise, _COND)}"
            )
        case ast.BoolOp():
            level = _OR if expr.op == "or" else _AND
            return level, f"{_expr(expr.left, level)} {expr.op} {_expr(expr.right, level + 1)}"
        case ast.Not():
            return _NOT, f"not {_expr(expr.operand, _NOT)}"
        case ast.Compare():
            return _COMPARE, f"{_expr(expr.left, _SUM)} {expr.op} {_expr(expr.right, _SUM)}"
        case ast.In():
            op = "not in" if expr.negated else "in"
            return _COMPARE, f"{_expr(expr.item, _SUM)} {op} {_expr(expr.collection, _SUM)}"
        case ast.Contains():
            return _COMPARE, f"{_expr(expr.container, _SUM)} contains {_expr(expr.item, _SUM)}"
        case ast.Between():
            return _COMPARE, (
                f"{_expr(expr.value, _SUM)} between {_expr(expr.low, _SUM)}"
                f" and {_expr(expr.high, _SUM)}"
            )
        case ast.Binary():
            level = _SUM if expr.op in {"+", "-"} else _PRODUCT
            return level, f"{_expr(expr.left, level)} {expr.op} {_expr(expr.right, level + 1)}"
        case ast.Unary():
            operand = _expr(expr.operand, _UNARY)
            return _UNARY, "-" + (" " if operand.startswith("-") else "") + operand
        case _:
            return _ATOM, _atom(expr)


def _atom(expr: ast.Expr) -> str:
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
            where = f" where {_expr(expr.where, _COND)}" if expr.where is not None else ""
            return f"{expr.func}({source}{where})"
        case ast.Call():
            return f"{expr.func}({_args(expr.args)})"
        case ast.HasRole():
            return f"has {expr.role}"
        case ast.SetLiteral():
            return f"[{_args(expr.items)}]"
        case _:  # pragma: no cover - operators are rendered by _render
            raise AssertionError(expr)


def _args(args: Sequence[ast.Expr]) -> str:
    return ", ".join(_expr(a, _COND) for a in args)


# ============================================================================================
# Literals


def format_decimal(value: Decimal) -> str:
    """Write a non-negative number as the rule language does.

    Commas separate thousands from four integer digits on; decimals are kept as they are.

    >>> format_decimal(Decimal("1000")), format_decimal(Decimal("999")), format_decimal(
    ...     Decimal("12500.50")), format_decimal(Decimal("1E+3"))
    ('1,000', '999', '12,500.50', '1,000')
    """
    text = format(value, "f")
    whole, dot, fraction = text.partition(".")
    return f"{int(whole):,}{dot}{fraction}"


def _int(value: int) -> str:
    return f"{value:,}"


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
