"""The public surface: the contract's names are exported, nothing else leaks, and the SDK
stays light (importing it loads neither the server nor the database layer)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pixlake
import pixlake.client
import pixlake.exceptions
import pixlake.pxl_exceptions
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
