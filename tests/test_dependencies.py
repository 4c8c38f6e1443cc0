"""The dependencies match the code: what ``src/`` imports is a base dependency, and the
``dev`` extra's numpy and pycocotools (the tests' referees) are imported by no module of it."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {Requirement(r).name.lower().replace("_", "-") for r in requirements}


def _imported_modules() -> dict[str, str]:
    """Top-level modules imported anywhere in ``src/``, each with one file that imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_numpy_and_pycocotools_are_dev_only() -> None:
    base, dev = _names(PROJECT["dependencies"]), _names(PROJECT["optional-dependencies"]["dev"])
    assert {"numpy", "pycocotools"} <= dev
    assert not {"numpy", "pycocotools"} & base
    imported = _imported_modules()
    assert "numpy" not in imported and "pycocotools" not in imported


def test_what_src_imports_is_a_base_dependency() -> None:
    base = _names(PROJECT["dependencies"])
    distributions = packages_distributions()
    for module, where in _imported_modules().items():
        if module in sys.stdlib_module_names or module in ("pixlake", "__future__"):
            continue
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        if not owners:
            pytest.fail(f"{where} imports {module}, which no installed distribution provides")
        # a dependency's own dependency (starlette through fastapi, ...) counts as given
        assert owners & base or owners & _given_by(base), f"{where} imports {module} ({owners})"


def _given_by(base: set[str]) -> set[str]:
    from importlib.metadata import requires

    given: set[str] = set()
    for name in base:
        for requirement in requires(name) or []:
            parsed = Requirement(requirement)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                given.add(parsed.name.lower().replace("_", "-"))
    return given
