"""What a format's path gives as a picture's name; the rule of a file name itself is
``pixlake.names.file_name_problem``, the one rule the datalake follows too."""

from __future__ import annotations

import re
from typing import Final

from pixlake.names import file_name_problem

from ._problems import describe

__all__ = ["base_name_of", "file_name_problem", "folder_path_of"]

_ABSOLUTE: Final = re.compile(r"^(?:[/\\]|[A-Za-z]:)")
_SEPARATORS: Final = re.compile(r"[/\\]")


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
