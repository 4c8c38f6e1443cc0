"""``pixlake.formats`` is layered: each module imports only the modules below it, at its
top, so there is no cycle to hide behind an import inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pixlake.formats

PACKAGE = Path(pixlake.formats.__file__).parent

#: The modules bottom up: each may import only those before it.
LAYERS = (
    "_rle",
    "_io",
    "sinks",
    "_yaml",
    "model",
    "_yolo_layout",
    "wire",
    "compact",
    "spool",
    "protocols",
    "coco",
    "picsellia",
    "voc",
    "yolo",
    "registry",
    "__init__",
)


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    """What an import statement imports, as absolute module names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        return [node.module or ""]
    if node.module:
        return [f"pixlake.formats.{node.module}"]
    return [f"pixlake.formats.{alias.name}" for alias in node.names]  # from . import coco


def _imports(module: str) -> tuple[set[str], list[str]]:
    """The modules of the package that ``module`` imports at its top (or for type
    checking), and every import of pixlake made inside a function or a class."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    top_level = set(tree.body)
    for block in tree.body:
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING":
            top_level.update(block.body)
    ours: set[str] = set()
    nested: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        targets = _targets(node)
        if node in top_level:
            ours.update(
                t.removeprefix("pixlake.formats.")
                for t in targets
                if t.startswith("pixlake.formats.")
            )
        elif any(t.startswith("pixlake") for t in targets):
            nested.append(f"{module}.py:{node.lineno}: {ast.unparse(node)}")
    return ours, nested


def test_every_module_is_in_a_layer() -> None:
    assert {path.stem for path in PACKAGE.glob("*.py")} == set(LAYERS)


def test_each_module_imports_only_the_layers_below_it() -> None:
    for index, module in enumerate(LAYERS):
        imported, nested = _imports(module)
        above = imported - set(LAYERS[:index])
        assert not above, f"{module} imports {sorted(above)}, which are not below it"
        assert not nested, f"imports inside functions: {nested}"
