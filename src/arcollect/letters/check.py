"""Static checks of templates, before anything is rendered.

`check_templates` finds, for every written step of a policy: a template missing for every
locale of the fallback chain, a template that does not compile, a name or attribute outside the
documented context (`arcollect.letters.context.SCHEMA`), and any attempt to leave the sandbox
(an attribute starting with ``_``, such as ``''.__class__``). Each is a located `Diagnostic`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import jinja2
from jinja2 import nodes

from arcollect._suggest import did_you_mean
from arcollect.errors import Diagnostic, PolicyError, Span
from arcollect.letters.context import DEFAULT_LOCALE, SCHEMA
from arcollect.letters.filters import FILTER_NAMES
from arcollect.letters.sandbox import environment, find
from arcollect.policy import Policy

__all__ = ["check_source", "check_templates"]

_WRITTEN = ("email", "letter", "sms")
_SHIPPED_LOCALES = ("en", "de", "fr")


def _span(node: nodes.Node, source_lines: list[str], word: str) -> Span:
    line = node.lineno
    text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    col = text.find(word) + 1 if word in text else 1
    return Span(line, col, line, col + len(word))


def _names(target: nodes.Node) -> list[nodes.Name]:
    if isinstance(target, nodes.Name):
        return [target]
    return list(target.find_all(nodes.Name))


class _Walker:
    def __init__(self, name: str, source: str) -> None:
        self.name, self.lines = name, source.splitlines()
        self.found: list[Diagnostic] = []

    def error(self, node: nodes.Node, word: str, message: str, hint: str | None) -> None:
        self.found.append(Diagnostic(message, _span(node, self.lines, word), self.name, hint=hint))

    def walk(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            self.walk(node.iter, scope)
            inner = dict(scope)
            kind = self.kind(node.iter, scope)
            for target in _names(node.target):
                inner[target.name] = kind[1] if isinstance(kind, tuple) else "any"
            inner["loop"] = "any"
            for child in (*node.body, *node.else_):
                self.walk(child, inner)
            if node.test is not None:
                self.walk(node.test, inner)
            return
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            for target in _names(node.target):
                scope[target.name] = "any"
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            return  # macro arguments are the template's own names
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            self.kind(node, scope)
            return
        if isinstance(node, nodes.Name) and node.ctx == "load":
            self.kind(node, scope)
            return
        if isinstance(node, nodes.Filter) and node.name not in FILTER_NAMES:
            hint = did_you_mean(node.name, FILTER_NAMES)
            self.error(node, node.name, f"unknown filter `{node.name}`", hint)
        for child in node.iter_child_nodes():
            self.walk(child, scope)

    def kind(self, node: nodes.Node, scope: dict[str, Any]) -> Any:
        """Return what *node* holds: a view class, ``(tuple, view)``, None (a leaf) or "any"."""
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            hint = did_you_mean(node.name, [*SCHEMA, *scope])
            self.error(node, node.name, f"unknown variable `{node.name}`", hint)
            return "any"
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            attr = node.attr if isinstance(node, nodes.Getattr) else None
            if isinstance(node, nodes.Getitem):
                if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                    attr = node.arg.value
                else:
                    self.walk(node.arg, scope)
            if attr is not None and attr.startswith("_"):
                self.error(
                    node,
                    attr,
                    f"`{attr}` is not allowed: templates run in a sandbox",
                    "use only the fields of the documented context (docs/correspondence.md)",
                )
                return "any"
            base = self.kind(node.node, scope)
            if base == "any" or attr is None:
                return (
                    "any" if attr is not None else (base[1] if isinstance(base, tuple) else "any")
                )
            if isinstance(base, tuple) or base is None or not attrs.has(base):
                self.error(node, attr, f"`{attr}` is not a field here", "use a filter")
                return "any"
            names = attrs.fields_dict(base)
            if attr not in names:
                hint = did_you_mean(attr, names)
                self.error(node, attr, f"unknown field `{attr}` of {base.__name__}", hint)
                return "any"
            return _NESTED.get((base, attr))
        for child in node.iter_child_nodes():
            self.walk(child, scope)
        return "any"


_NESTED: dict[tuple[type, str], Any] = {}


def check_source(source: str, name: str, env: jinja2.Environment) -> list[Diagnostic]:
    """Check one template's *source*; *name* is used in the diagnostics."""
    try:
        tree = env.parse(source, name=name)
    except jinja2.TemplateSyntaxError as exc:
        span = Span(exc.lineno, 1, exc.lineno, 2)
        return [Diagnostic(exc.message or "syntax error", span, name)]
    walker = _Walker(name, source)
    walker.walk(tree, dict(SCHEMA))
    return walker.found


def check_templates(
    policy: Policy, templates: str | Path | None = None, *, locales: tuple[str, ...] = ()
) -> None:
    """Check every template *policy* names, in user *templates* or the shipped ones.

    The locales checked are *locales*, the policy's, and the shipped ones (en, de, fr), each
    of which must find a template for each name (in itself or by falling back to ``en_US``).
    Raise `PolicyError` with every problem found, each located in its template file.
    """
    env = environment(templates)
    assert env.loader is not None  # noqa: S101 - every environment here has one
    wanted = [*locales, *([policy.checked.locale] if policy.checked.locale else [])]
    wanted += list(_SHIPPED_LOCALES)
    found: list[Diagnostic] = []
    seen: set[str] = set()
    names = [  # every written action of every step, a step's `and` actions too
        (template or step.name, step.span)
        for tl in policy.checked.timelines
        for step in tl.steps
        for action, template in step.actions
        if str(action) in _WRITTEN
    ]
    for name, span in names:
        for loc in dict.fromkeys(wanted):
            for suffix in ("txt", "html"):
                hit = find(env, name, (loc, DEFAULT_LOCALE), suffix)
                if hit is None:
                    if suffix == "txt":
                        found.append(
                            Diagnostic(
                                f"no template `{name}` for locale {loc} or {DEFAULT_LOCALE}",
                                span,
                                policy.checked.source_name,
                                hint=f"write {name}.{loc.split('_')[0]}.txt",
                            )
                        )
                    continue
                file = hit[0]
                if file in seen:
                    continue
                seen.add(file)
                source, filename, _ = env.loader.get_source(env, file)
                shown = filename or file
                found += check_source(source, shown, env)
    if found:
        rendered = [d.render(_source_of(d)) for d in found]
        raise _TemplateCheckError(found, rendered)


def _source_of(d: Diagnostic) -> str | None:
    try:
        return Path(d.source_name).read_text(encoding="utf-8")
    except OSError:
        return None


class _TemplateCheckError(PolicyError):
    def __init__(self, diagnostics: list[Diagnostic], rendered: list[str]) -> None:
        self._rendered = rendered
        super().__init__(diagnostics, None)

    def render(self) -> str:
        return "\n".join(self._rendered)
