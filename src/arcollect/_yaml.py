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
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.resolver import Resolver

from arcollect.domain.money import WrittenNumber
from arcollect.errors import DataError, Problem

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "Dumper", "load_yaml"]

#: How many alias references (``*name``) one document may contain.
MAX_ALIASES = 100

#: How deeply collections (mappings, lists) may nest in one document; a portfolio needs 5.
MAX_DEPTH = 100

_SHOWN = 40  # characters of a bad scalar shown in a message


class _Constructing(SafeConstructor):
    """Construction with duplicate keys refused and unreadable scalars located."""

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


class _Loader(_Constructing, yaml.SafeLoader):
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


class _UnboundedError(Exception):
    """A document the C loader composed goes past a bound: the Python loader says where."""


#: libyaml's parser, when PyYAML was built with it (as `yaml.CSafeLoader` is).
_CParser: type[Any] | None = (
    getattr(yaml.cyaml, "CParser", None) if hasattr(yaml, "CSafeLoader") else None
)

if _CParser is not None:

    class _CDataLoader(_Constructing, Resolver, _CParser):  # type: ignore[misc, valid-type]
        """The portfolio loader on libyaml: the C parser and composer, our constructor.

        The bounds of the Python composer are checked on the composed nodes (the C composer
        cannot be hooked); a document going past one, and any error, is read again by the
        Python loader, which says where: so messages stay exactly the same.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)  # type: ignore[misc]
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            _check_bounds(node)
            return self.construct_document(node)

    _CDataLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _CDataLoader.yaml_constructors = dict(_DataLoader.yaml_constructors)
    _CDataLoader.yaml_multi_constructors = dict(_DataLoader.yaml_multi_constructors)


def _check_bounds(root: Node) -> None:
    """Raise `_UnboundedError` if the nodes under *root* nest or alias more than allowed.

    A node met again is an alias (the composer shares the node an alias names), and its
    depth is that of its first appearance, as the Python composer counts them.
    """
    seen: set[int] = set()
    aliases = 0

    def walk(node: Node, depth: int) -> None:
        nonlocal aliases
        if id(node) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _UnboundedError
            return
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            return
        depth += 1
        if depth > MAX_DEPTH:
            raise _UnboundedError
        if isinstance(node, MappingNode):
            for key, value in node.value:
                walk(key, depth)
                walk(value, depth)
        else:
            for item in node.value:
                walk(item, depth)

    walk(root, 0)


def load_yaml(
    text: str, source: str = "<string>", *, written_numbers: bool = False, c_loader: bool = False
) -> Any:
    """Parse one YAML document of plain data; raise `DataError` naming line and column.

    With *written_numbers*, a float is read as a `WrittenNumber` keeping the digits written.
    With *c_loader* (and *written_numbers*), libyaml reads it where PyYAML has it, with the
    same bounds; anything unusual is read again by the Python loader, for its messages.
    """
    if c_loader and written_numbers and _CParser is not None:
        data = _load_with_c(text)
        if data is not _UNREAD:
            return data
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


_UNREAD: Any = object()


def _load_with_c(text: str) -> Any:
    """Return the data of *text* read by libyaml, or `_UNREAD` if the Python loader must."""
    if yaml.reader.Reader.NON_PRINTABLE.search(text):
        return _UNREAD  # a character YAML forbids: the Python reader locates it
    loader = _CDataLoader(text)
    try:
        return loader.get_single_data()
    except Exception:  # noqa: BLE001 - anything unusual: the Python loader reads it, and says what
        return _UNREAD
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
