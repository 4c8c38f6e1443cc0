"""File-name checks: what a picture may be called, and what a format's path gives."""

from __future__ import annotations

import re
from typing import Final

from ._problems import describe

__all__ = ["base_name_of", "file_name_problem", "folder_path_of"]

_ABSOLUTE: Final = re.compile(r"^(?:[/\\]|[A-Za-z]:)")
_SEPARATORS: Final = re.compile(r"[/\\]")


def file_name_problem(name: object) -> str | None:
    """What is wrong with a picture file name, as an expectation; ``None`` if it is safe.

    Refused: non-strings, empty names, NUL bytes, absolute paths (``/x``, ``\\x``, ``C:x``),
    ``.`` and ``..``, path separators, and names longer than 255 bytes in UTF-8.
    """
    if not isinstance(name, str):
        return f"expected a file name (a string), got {describe(name)}"
    if not name:
        return "expected a non-empty file name"
    if "\x00" in name:
        return "expected a file name without NUL bytes"
    if _ABSOLUTE.match(name):
        return "expected a relative file name, got an absolute path"
    if name in (".", ".."):
        return f"expected a file name, got {name!r}"
    if _SEPARATORS.search(name):
        if ".." in _SEPARATORS.split(name):
            return "expected a file name without '..'"
        return "expected a base file name, without folders"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:  # JSON's "\ud800", or bytes of another encoding on disk
        return "expected a file name in valid Unicode, got a lone surrogate; rename the file"
    if size > 255:
        return "expected a file name of at most 255 bytes"
    return None


def base_name_of(path: object) -> tuple[str | None, str | None]:
    """The base name of a relative path a format gives (COCO ``file_name``, VOC
    ``<filename>``): ``(name, None)``, or ``(None, problem)``.

    Folders are dropped (``train/a.jpg`` gives ``a.jpg``); ``..``, absolute paths and NUL
    bytes are refused.
    """
    if not isinstance(path, str):
        return None, f"expected a file name (a string), got {describe(path)}"
    if "\x00" in path:
        return None, "expected a file name without NUL bytes"
    if _ABSOLUTE.match(path):
        return None, "expected a relative file name, got an absolute path"
    parts = _SEPARATORS.split(path)
    if ".." in parts:
        return None, "expected a file name without '..'"
    name = parts[-1]
    problem = file_name_problem(name)
    return (None, problem) if problem is not None else (name, None)


def folder_path_of(path: str) -> str | None:
    """A relative path that ``base_name_of`` accepted, with ``/`` between its parts, when it
    has folders (``train\\a.jpg`` gives ``train/a.jpg``); ``None`` for a bare file name."""
    parts = [part for part in _SEPARATORS.split(path) if part not in ("", ".")]
    return "/".join(parts) if len(parts) > 1 else None
