r"""Safe, bounded YAML loading shared by portfolio files and YAML rule files.

- Only plain data: PyYAML's safe loader, so no tag can build a Python object.
- Dates stay strings: the data layer parses them itself, so that an impossible date such as
  ``2026-02-31`` gets a message with its path, not a traceback from inside PyYAML.
- Duplicate mapping keys are errors (PyYAML would silently keep the last one).
- Aliases are bounded: a document may use at most `MAX_ALIASES` of them, which refuses
  "billion laughs" alias bombs before anything is expanded.
- Nesting is bounded: a collection may sit at most `MAX_DEPTH` levels deep, which refuses
  deeply nested documents before the (recursive) composer exhausts the stack.
- A scalar that its tag cannot read (``!!int x``, an integer of more digits than Python reads)
  and a character YAML forbids (``\x01``) are errors at their line and column.
- Errors become `DataError` with the file name, line and column.
- For portfolios (``written_numbers=True``) a float keeps its digits as written: ``1.000`` is
  read as `WrittenNumber` ``1.000``, not the float 1.0, so an ambiguous amount can be refused
  and a long one is read exactly.
"""

from __future__ import annotations

import decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from arcollect.domain.money import WrittenNumber
from arcollect.errors import DataError, Problem

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "Dumper", "load_yaml"]

#: How many alias references (``*name``) one document may contain.
MAX_ALIASES = 100

#: How deeply collections (mappings, lists) may nest in one document; a portfolio needs 5.
MAX_DEPTH = 100

_SHOWN = 40  # characters of a bad scalar shown in a message


class _Loader(yaml.SafeLoader):
    """A safe loader without the timestamp resolver, with duplicate-key and alias checks."""

    aliases_seen: int = 0
    depth: int = 0
    #: How deep collections may nest (YAML rule files allow less than data).
    max_depth: int = MAX_DEPTH

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    problem=f"too many aliases (more than {MAX_ALIASES}); "
                    "the document looks like an alias bomb and is refused",
                    problem_mark=event.start_mark,
                )
        if self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            self.depth += 1
            if self.depth > self.max_depth:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    problem=f"the document is nested more than {self.max_depth} levels deep",
                    problem_mark=event.start_mark,
                )
            try:
                return super().compose_node(parent, index)  # type: ignore[arg-type]
            finally:
                self.depth -= 1
        return super().compose_node(parent, index)  # type: ignore[arg-type]

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            text = str(node.value)
            shown = text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"
            tag = node.tag.rsplit(":", 1)[-1]
            raise yaml.MarkedYAMLError(
                problem=f"cannot read {shown!r} as {tag}",
                problem_mark=node.start_mark,
            ) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.MarkedYAMLError(
                    context="in a mapping",
                    context_mark=node.start_mark,
                    problem=f"duplicate key {key!r}",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class Dumper(yaml.SafeDumper):
    """A safe dumper that, like `load_yaml`, treats date-looking text as plain strings.

    It writes ``due: 2026-10-01`` rather than ``due: '2026-10-01'``.
    """


# Drop the implicit timestamp resolver: a date-looking scalar stays a string.
_Loader.yaml_implicit_resolvers = Dumper.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _DataLoader(_Loader):
    """The portfolio loader: a float is a `WrittenNumber`, its digits as written."""


def _written_float(loader: _DataLoader, node: ScalarNode) -> Any:
    text = str(loader.construct_scalar(node))
    try:
        number = WrittenNumber(text.replace("_", ""))
    except (decimal.InvalidOperation, ValueError):
        number = None
    if number is not None and number.is_finite():
        return number
    return loader.construct_yaml_float(node)  # .inf, .nan, 1:30.5: as YAML reads them


_DataLoader.add_constructor("tag:yaml.org,2002:float", _written_float)


def load_yaml(text: str, source: str = "<string>", *, written_numbers: bool = False) -> Any:
    """Parse one YAML document of plain data; raise `DataError` naming line and column.

    With *written_numbers*, a float is read as a `WrittenNumber` keeping the digits written.
    """
    try:
        loader = (_DataLoader if written_numbers else _Loader)(text)
    except yaml.reader.ReaderError as exc:
        raise DataError([_reader_problem(text, exc)], source) from None
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        what = exc.problem or exc.context or "invalid YAML"
        raise DataError([Problem(where, what)], source) from None
    except yaml.YAMLError as exc:
        raise DataError([Problem("", f"invalid YAML: {exc}")], source) from None
    finally:
        loader.dispose()


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> Problem:
    """Locate a character YAML does not allow (PyYAML gives only its offset)."""
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    char = exc.character
    point = char if isinstance(char, int) else ord(str(char)[:1] or "?")
    return Problem(
        f"line {line}, column {column}",
        f"the character U+{point:04X} is not allowed in YAML; remove it, or write it as the "
        f'escape "\\u{point:04x}" in a double-quoted string',
    )
