"""The layering of docs/architecture.md, held against the code's own imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "arcollect"

#: What each stage must never import (module prefixes under arcollect).
FORBIDDEN = {
    "domain": (
        "arcollect.facts",
        "arcollect.lang",
        "arcollect.engine",
        "arcollect.policy",
        "arcollect.convert",
    ),
    "facts.py": ("arcollect.lang", "arcollect.engine", "arcollect.policy", "arcollect.convert"),
    "convert": ("arcollect.lang", "arcollect.engine", "arcollect.policy"),
    "lang": ("arcollect.engine", "arcollect.policy", "arcollect.convert"),
    "engine": (
        "arcollect.policy",
        "arcollect.expect",
        "arcollect.letters",
        "arcollect.kpi",
        "arcollect.cli",
    ),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _files(stage: str) -> list[Path]:
    target = SRC / stage
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


class TestLayers:
    @pytest.mark.parametrize("stage", sorted(FORBIDDEN))
    def test_no_import_runs_back_up(self, stage: str) -> None:
        """No module of a stage imports a stage above it (docstring examples aside)."""
        wrong = [
            f"{path.relative_to(SRC)} imports {name}"
            for path in _files(stage)
            for name in sorted(_imports(path))
            if name.startswith(FORBIDDEN[stage])
        ]
        assert wrong == []

    def test_generated_code_touches_only_the_runtime(self) -> None:
        """The compiler's namespace is the runtime's, with three builtins."""
        from arcollect import parse_policy  # noqa: PLC0415
        from arcollect.lang.runtime import NAMESPACE  # noqa: PLC0415

        policy = parse_policy('policy "P" version 1\nlet big = overdue > 1 EUR', name="p.arc")
        namespace = policy.compiled.program._namespace([])
        assert set(namespace) - set(NAMESPACE) == {"K", "L", "S", "__builtins__"}
        assert set(namespace["__builtins__"]) == {"sum", "any", "all", "frozenset"}
