"""The ``pixlake`` command line.

``pixlake --version`` is answered here, without loading the commands; everything else loads
``pixlake.cli.main`` (typer and the commands), and each command loads what it needs when it
runs (decision 0026).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main", "version_line"]


def version_line() -> str:
    """What ``pixlake --version`` prints."""
    from pixlake._version import __version__

    return f"pixlake {__version__}"


def main() -> None:
    """The ``pixlake`` command's entry point."""
    if sys.argv[1:] == ["--version"]:
        print(version_line())
        return
    from pixlake.cli.main import main as run

    run()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        from pixlake.cli.main import app

        return app
    raise AttributeError(f"module 'pixlake.cli' has no attribute {name!r}")
