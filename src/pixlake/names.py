"""Checks on names that come from users and end up in paths or URLs.

Shared by the server and the SDK (which checks before sending), so it imports only the
exception tree.
"""

from __future__ import annotations

from pixlake.errors import InvalidInputError

__all__ = ["file_name_problem", "check_file_name"]

MAX_FILE_NAME = 255


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
