"""The services keep the rules and the transactions; SQL and rows stay in the repositories
(docs/decisions/0022).  These checks read the source, so a query written in a service fails
here before any review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pixlake.core

CORE = Path(pixlake.core.__file__).parent
MODULES = sorted(CORE.rglob("*.py"))

#: What a service may not import: the database's own vocabulary.
FORBIDDEN = ("sqlalchemy", "pixlake.store.db.models", "pixlake.store.db.bulk")


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_a_service_imports_no_rows_and_no_sql(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    bad = [
        f"{path.name}:{line}: imports {name}"
        for line, name in _imports(tree)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_a_service_never_touches_a_session(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    bad = [
        f"{path.name}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("session", "execute", "exec_driver_sql", "scalars", "scalar")
    ]
    assert bad == []


def test_the_check_sees_every_service() -> None:
    names = {p.stem for p in MODULES}
    assert {"datalake", "accounts"} <= names
