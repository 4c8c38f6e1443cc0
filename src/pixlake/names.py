"""Checks on names that come from users and end up in paths or URLs.

Shared by the server and the SDK (which checks before sending), so it imports only the
exception tree.
"""

from __future__ import annotations

import re
from typing import Final

from pixlake.errors import InvalidInputError

__all__ = [
    "DEFAULT_SPLIT",
    "MAX_SPLIT",
    "check_file_name",
    "file_name_problem",
    "split_of",
    "split_problem",
]

MAX_FILE_NAME = 255

#: The name the field's tools (Datumaro, CVAT) give the part of a dataset that has no split
#: (``instances_default.json``, ``ImageSets/Main/default.txt``): pixlake reads it as none.
DEFAULT_SPLIT: Final = "default"
#: The longest split name.
MAX_SPLIT: Final = 64
_SPLIT: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?")


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a picture's file name, or ``None`` when it can.

    A file name is a base name: no folder part, no ``..``, no NUL byte, at most 255 characters.
    """
    if not name or not name.strip():
        return "the file name is empty"
    if "\x00" in name:
        return "the file name contains a NUL byte"
    if "/" in name or "\\" in name:
        return "the file name contains a path separator; expected a base name such as 'img_001.jpg'"
    if name in (".", ".."):
        return "the file name is '.' or '..'"
    if len(name) > MAX_FILE_NAME:
        return f"the file name is longer than {MAX_FILE_NAME} characters"
    return None


def check_file_name(name: str, *, field: str = "external_url") -> str:
    problem = file_name_problem(name)
    if problem:
        raise InvalidInputError(
            f"{name[:80]!r}: {problem}", details=[{"field": field, "message": problem}]
        )
    return name


def split_problem(name: object) -> str | None:
    """Why ``name`` cannot be a split (``train``, ``val2017``...), or ``None`` when it can.

    A split becomes a folder name (``images/train/``), part of a file name
    (``instances_train.json``, ``ImageSets/Main/train.txt``) and a tag, so it is kept to
    ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a letter or a digit, not
    ending with a dot, at most 64 characters.
    """
    if not isinstance(name, str):
        return f"expected a split name (a string), got {type(name).__name__}"
    if len(name) > MAX_SPLIT:
        return f"expected a split name of at most {MAX_SPLIT} characters"
    if not _SPLIT.fullmatch(name):
        return (
            "expected a split name of ASCII letters, digits, '.', '_' and '-' (such as "
            f"'train' or 'val2017'), got {name[:40]!r}"
        )
    return None


def split_of(name: str | None) -> str | None:
    """The split a valid split name stands for: ``None`` for no name and for ``default``."""
    return None if name is None or name == DEFAULT_SPLIT else name
