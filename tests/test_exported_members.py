"""The public surface: the contract's names are exported, nothing else leaks, and the SDK
stays light (importing it loads neither the server nor the database layer)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

import pixlake
import pixlake.client
import pixlake.exceptions
import pixlake.pxl_exceptions
import pixlake.sdk
from pixlake import errors


def test_all_names_exist() -> None:
    for name in pixlake.__all__:
        assert hasattr(pixlake, name), name
    public = {n for n in dir(pixlake) if not n.startswith("_")}
    # Submodules appear as attributes once imported; everything else must be in __all__.
    modules = {m.name for m in pkgutil.iter_modules(pixlake.__path__)}
    assert public - modules - set(pixlake.__all__) == set()


def test_nested_names_resolve_to_the_same_classes() -> None:
    assert pixlake.client.Client is pixlake.Client
    assert pixlake.Client.Datalake is pixlake.Datalake
    assert pixlake.Client.Datalake.Picture is pixlake.Picture  # type: ignore[attr-defined]


def test_exception_modules_are_aliases() -> None:
    for module in (pixlake.exceptions, pixlake.pxl_exceptions):
        for name in errors.__all__:
            assert getattr(module, name) is getattr(errors, name)


def test_importing_the_sdk_loads_no_server_code() -> None:
    code = (
        "import sys, pixlake, pixlake.client; "
        "heavy = [m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'alembic') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------------------
# pixlake.formats


def test_formats_exports_every_public_name_and_no_other() -> None:
    """Every name of ``pixlake.formats.__all__`` exists, once; every public attribute is in
    it, but for the package's modules (``registry``, ``coco``...)."""
    import types

    import pixlake.formats as formats

    assert sorted(formats.__all__) == sorted(set(formats.__all__))
    for name in formats.__all__:
        assert hasattr(formats, name), name
    public = {
        name
        for name, value in vars(formats).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    assert public == set(formats.__all__)


def test_formats_public_modules_name_what_they_export() -> None:
    """Each public module of ``pixlake.formats`` has an ``__all__`` of names it has."""
    import importlib

    import pixlake.formats as formats

    modules = [m.name for m in pkgutil.iter_modules(formats.__path__) if not m.name[0] == "_"]
    assert {"model", "wire", "compact", "spool", "protocols", "registry"} <= set(modules)
    for name in modules:
        module = importlib.import_module(f"pixlake.formats.{name}")
        exported = getattr(module, "__all__", None)
        assert exported is not None, name
        assert [n for n in exported if not hasattr(module, n)] == [], name


def test_no_package_imports_a_private_module_of_formats() -> None:
    """What other packages use of ``pixlake.formats`` has a public name: no module outside
    it imports one of its ``_private`` modules."""
    import ast
    from pathlib import Path

    root = Path(pixlake.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if root / "formats" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "pixlake.formats._"
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: {node.module}")
    assert offenders == []


def _leaks(package: ModuleType) -> set[str]:
    """Public attributes of ``package`` that are neither in its ``__all__`` nor submodules
    (which appear as attributes once imported)."""
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    public = {n for n in dir(package) if not n.startswith("_")}
    return public - modules - set(package.__all__)


def test_the_sdk_exports_its_names_and_nothing_else() -> None:
    assert isinstance(pixlake.sdk.__all__, list)
    for name in pixlake.sdk.__all__:
        assert getattr(pixlake.sdk, name) is not None, name
    assert _leaks(pixlake.sdk) == set()
    assert pixlake.sdk.Client is pixlake.Client


def test_the_blob_store_package_exports_its_names_and_nothing_else() -> None:
    import pixlake.store.blobs

    assert isinstance(pixlake.store.blobs.__all__, list)
    for name in pixlake.store.blobs.__all__:
        assert getattr(pixlake.store.blobs, name) is not None, name
    assert _leaks(pixlake.store.blobs) == set()


@pytest.mark.parametrize("module", ["pixlake.sdk", "pixlake.client", "pixlake"])
def test_the_sdk_loads_neither_the_server_nor_its_libraries(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "rooms = ('pixlake.store', 'pixlake.core', 'pixlake.api', 'sqlalchemy', 'fastapi', "
        "'uvicorn', 'alembic'); "
        "print(','.join(sorted(m for m in sys.modules "
        "if any(m == r or m.startswith(r + '.') for r in rooms))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
