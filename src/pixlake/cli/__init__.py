"""The ``pixlake`` command line."""

from pixlake.cli.main import app, main

__all__ = ["app", "main"]
