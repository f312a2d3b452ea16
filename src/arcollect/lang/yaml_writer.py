"""Write a syntax tree as a YAML rule file (what ``arcollect convert --to yaml`` prints).

The output uses the keys that `arcollect.lang.yaml_rules` reads (docs/language.md, "YAML rule
files"), with every expression written by the formatter, so reading it back gives the same
syntax tree (spans aside) and so the same checked policy and the same plans::

    >>> from arcollect.lang.parser import parse
    >>> from arcollect.lang.yaml_rules import parse_yaml_policy
    >>> tree = parse('policy "P" currency EUR let small = overdue < 250 EUR')
    >>> print(to_yaml(tree), end="")
    policy: P
    currency: EUR
    let:
      small: overdue < 250 EUR
    >>> parse_yaml_policy(to_yaml(tree))[0] == tree
    True

Comments are not carried over (YAML keeps its own). A policy with more than one ``on EVENT
resume at STEP`` clause in a timeline, or more than one ``interest`` or ``payments pay`` clause
in its ``charges``, has no YAML spelling and is refused with a `PolicyError`.
"""

from __future__ import annotations

from typing import Any

import attrs
import yaml

from arcollect.errors import Diagnostic, PolicyError, Span
from arcollect.lang import ast
from arcollect.lang.formatter import (
    _duration,
    _int,
    _money,
    _record,
    _timing,
    format_decimal,
    format_expr,
    step_actions,
    then_lines,
)

__all__ = ["to_yaml", "without_layout"]

#: The item of a YAML ``channel`` list that says ``fall back when unreachable``.
FALLBACK = "fall back when unreachable"


def to_yaml(tree: ast.PolicyFile, *, source_name: str = "<policy>") -> str:
    """Return the YAML rule file that says what *tree* says."""
    doc: dict[str, Any] = _header(tree.header)
    if tree.lets:
        doc["let"] = {d.name: format_expr(d.value) for d in tree.lets}
    if tree.segments:
        doc["segments"] = {s.name: format_expr(s.condition) for s in tree.segments}
    if tree.timelines:
        doc["timelines"] = [_timeline(t, source_name) for t in tree.timelines]
    if tree.channel is not None:
        applies = [{"for": ", ".join(tree.channel.applies_to)}] if tree.channel.applies_to else []
        doc["channel"] = applies + [
            {r.channel: "otherwise" if r.condition is None else format_expr(r.condition)}
            for r in tree.channel.rules
        ]
        if tree.channel.fallback:
            doc["channel"].append(FALLBACK)
    if tree.assign is not None:
        doc["assign"] = [
            {
                "owner": format_expr(r.owner),
                "when": "otherwise" if r.condition is None else format_expr(r.condition),
            }
            for r in tree.assign.rules
        ]
    if tree.priority is not None:
        doc["priority"] = _priority(tree.priority)
    if tree.charges is not None:
        doc["charges"] = _charges(tree.charges, source_name)
    if tree.expects:
        doc["expect"] = [_expect(e) for e in tree.expects]
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """The safe dumper, writing a string of several lines as a literal block (``|``)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def without_layout(node: Any) -> Any:
    """Return *node* with spans (``role_spans`` too), comments and line records dropped.

    Formatting the result lays every clause out canonically, on one line; use it for a tree read
    from YAML, whose spans are positions in the YAML file.
    """
    if isinstance(node, tuple):
        return tuple(without_layout(item) for item in node)
    if not isinstance(node, ast.Node):
        return node
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if field.name == "span":
            changes["span"] = ast.NO_SPAN
        elif field.name in {"comments", "lines", "role_spans"}:
            changes[field.name] = ()
        elif field.name == "fallback_line":
            changes[field.name] = 0
        else:
            changes[field.name] = without_layout(value)
    return attrs.evolve(node, **changes)


def _header(header: ast.Header) -> dict[str, Any]:
    doc: dict[str, Any] = {"policy": header.name}
    if header.version is not None:
        doc["version"] = header.version
    if header.currency is not None:
        doc["currency"] = header.currency
    if header.locale is not None:
        doc["locale"] = header.locale
    if header.calendar is not None:
        cal: dict[str, Any] = {"days": "weekdays" if header.calendar.days == "weekdays" else "all"}
        if header.calendar.holidays:
            cal["holidays"] = [d.isoformat() for d in header.calendar.holidays]
        doc["calendar"] = cal
    if header.timezone is not None:
        doc["timezone"] = header.timezone
    if header.roles:
        doc["roles"] = list(header.roles)
    if header.deadline is not None:
        doc["deadline"] = f"{header.deadline} business days"
    return doc


def _timeline(timeline: ast.Timeline, source_name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": timeline.name,
        "for": "all" if timeline.segment is None else f"segment {timeline.segment}",
    }
    if timeline.pause_while:
        doc["pause_while"] = [format_expr(e) for e in timeline.pause_while]
    if timeline.restart_when:
        doc["restart_when"] = [format_expr(e) for e in timeline.restart_when]
    events = timeline.on_events
    if len(events) > 1 or any(e.event.dotted != "promise.broken" for e in events):
        span = events[-1].span
        where: Span | None = None if span == ast.NO_SPAN else span
        message = (
            f"timeline `{timeline.name}`: YAML rule files have one `on_promise_broken` per "
            "timeline; this one cannot be written in YAML"
        )
        raise PolicyError([Diagnostic(message, where, source_name)], None)
    if events:
        doc["on_promise_broken"] = f"resume at {events[0].step}"
    if timeline.on_release:
        doc["on_paid"] = "release hold"
    if timeline.in_sequence:
        doc["in_sequence"] = True
    if timeline.by_oldest_invoice:
        doc["by_oldest_invoice"] = True
    if timeline.min_gap is not None:
        doc["min_gap"] = f"{_duration(timeline.min_gap)} between contacts"
    if timeline.steps:
        doc["steps"] = [_step(s) for s in timeline.steps]
    return doc


def _step(step: ast.Step) -> dict[str, Any]:
    at = _timing(step).removesuffix(" per invoice")
    doc: dict[str, Any] = {"name": step.name, "at": at, "do": step_actions(step)}
    if step.per_invoice:
        doc["per_invoice"] = True
    if step.to_role is not None:
        doc["to"] = ("all " if step.to_all else "") + step.to_role
    if step.cc_role is not None:
        doc["cc"] = step.cc_role
    if step.with_role is not None:
        doc["with"] = step.with_role
    if step.when is not None:
        doc["when"] = format_expr(step.when)
    if step.unless is not None:
        doc["unless"] = format_expr(step.unless)
    if step.repeat is not None:
        every = _duration(step.repeat.every)
        if step.repeat.until is not None:
            every += f" until {_duration(step.repeat.until)} past due"
        doc["every"] = every
    if step.min_interval is not None:
        doc["at_most_every"] = _duration(step.min_interval)
    if step.max_times is not None:
        doc["at_most"] = f"{step.max_times} time{'' if step.max_times == 1 else 's'}"
    if step.required:
        doc["required"] = True
    if step.approval is not None:
        doc["requires_approval_by"] = step.approval
    return doc


def _priority(block: ast.PriorityBlock) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if block.score is not None:
        doc["score"] = format_expr(block.score)
    if block.tiers is not None:
        doc["tiers"] = {t.name: f"{format_decimal(t.share.value)}%" for t in block.tiers.tiers}
        if block.tiers.measure != "overdue":
            doc["share_of"] = block.tiers.measure
    if block.capacity is not None:
        doc["capacity"] = f"{_int(block.capacity.calls_per_day)} calls per day" + (
            " per collector" if block.capacity.per_collector else ""
        )
    if block.ties:
        doc["ties"] = [format_expr(k.key) + (" desc" if k.descending else "") for k in block.ties]
    return doc


def _charges(block: ast.ChargesBlock, source_name: str) -> dict[str, Any]:
    for clauses, key in ((block.interest, "interest"), (block.payments, "payments")):
        if len(clauses) > 1:
            message = (
                f"YAML rule files have one `{key}` under `charges`; "
                "this one cannot be written in YAML"
            )
            span = clauses[1].span
            where: Span | None = None if span == ast.NO_SPAN else span
            raise PolicyError([Diagnostic(message, where, source_name)], None)
    doc: dict[str, Any] = {}
    for rate in block.interest[:1]:
        interest: dict[str, Any] = {"rate": f"{format_decimal(rate.rate.value)}%"}
        if rate.table is not None:
            interest["above"] = rate.table
        if rate.day_count is not None:
            interest["day_count"] = rate.day_count
        doc["interest"] = interest
    fees = []
    for fee in block.fees:
        item: dict[str, Any] = {"amount": _money(fee.amount)}
        if fee.basis == "invoice":
            item["per"] = "invoice"
        else:
            item["with"] = fee.basis
        if fee.condition is not None:
            item["when"] = format_expr(fee.condition)
        if fee.unless is not None:
            item["unless"] = format_expr(fee.unless)
        fees.append(item)
    if fees:
        doc["fees"] = fees
    for order in block.payments[:1]:
        doc["payments"] = list(order.parts)
    return doc


def _expect(expect: ast.Expect) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": expect.name, "as_of": expect.as_of.isoformat()}
    texts = {}
    for account in expect.accounts:
        lines = [
            f"{a.key} " + ", ".join(format_expr(v) for v in a.values) for a in account.attributes
        ]
        lines += [_record(r) for r in account.records]
        texts[account.name] = "".join(f"{line}\n" for line in lines)
    if len(texts) == 1 and expect.account.name is None:
        doc["account"] = texts[None]
    else:
        doc["accounts"] = texts
    then = [text for text, _ in then_lines(expect.then)]
    doc["then"] = then[0] if len(then) == 1 else then
    return doc
