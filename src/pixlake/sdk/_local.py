"""The caller's own files and folders, and the errors that name them.

What goes wrong with a local path is the caller's to fix, so it is a ``PicselliaError`` like
any other (the contract's "Common behaviour"), never a bare ``OSError``: a path that does not
exist, or is a file where a folder is needed (or the other way round), is an
``InvalidQueryError``; a file that cannot be read is an ``InvalidInputError``; a place that
cannot be written (no permission, a full disk, a file in the way) is an
``InvalidQueryError``.  Each names the path in its message (one line, as the command line
shows it; a missing path is in ``details`` too, as the server's refusals are).
"""

from __future__ import annotations

import os
from pathlib import Path

from pixlake.errors import InvalidInputError, InvalidQueryError

__all__ = [
    "cannot_read",
    "cannot_write",
    "existing_path",
    "make_folder",
    "read_file",
]

PathLike = str | os.PathLike[str]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def existing_path(path: PathLike | None, method: str) -> Path:
    """``path`` as a ``Path``, which must exist (a file or a folder)."""
    if path is None:
        raise InvalidQueryError(
            f"{method} needs a path: please specify the file to send",
            details=[{"field": "path", "message": "missing"}],
        )
    local = Path(path)
    if not local.exists():
        raise InvalidQueryError(
            f"{local}: no such file or folder",
            details=[{"file": str(local), "message": "no such file or folder"}],
        )
    return local


def cannot_read(path: PathLike, exc: OSError) -> InvalidInputError:
    """The error for a local file or folder that could not be read."""
    return InvalidInputError(f"{path}: cannot be read ({_reason(exc)})")


def cannot_write(path: PathLike, exc: OSError) -> InvalidQueryError:
    """The error for a local file or folder that could not be written."""
    return InvalidQueryError(f"{path}: cannot be written ({_reason(exc)})")


def read_file(path: Path) -> bytes:
    """The bytes of the local file ``path``."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise cannot_read(path, exc) from exc


def make_folder(path: Path) -> Path:
    """The folder ``path``, made with its parents when missing."""
    if path.exists() and not path.is_dir():
        raise InvalidQueryError(
            f"{path} is a file, not a folder",
            details=[{"file": str(path), "message": "expected a folder"}],
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    return path
