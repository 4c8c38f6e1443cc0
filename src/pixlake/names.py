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
    "DIGEST_RE",
    "MAX_FILE_NAME",
    "MAX_NAME",
    "MAX_SPLIT",
    "MAX_TAG",
    "check_file_name",
    "file_name_problem",
    "label_problem",
    "name_problem",
    "split_of",
    "split_problem",
    "tag_problem",
    "text_problem",
]

MAX_FILE_NAME = 255
#: A blob's name: its SHA-256, 64 lower-case hex characters (``\Z``, since ``$`` would let a
#: final newline in).
DIGEST_RE: Final = re.compile(r"\A[0-9a-f]{64}\Z")
#: The longest name of a thing (a dataset, version, project, experiment, network, label...)
#: and of a tag, unless the thing's own rule says less.
MAX_NAME = 200
MAX_TAG = 100

#: The name the field's tools (Datumaro, CVAT) give the part of a dataset that has no split
#: (``instances_default.json``, ``ImageSets/Main/default.txt``): pixlake reads it as none.
DEFAULT_SPLIT: Final = "default"
#: The longest split name.
MAX_SPLIT: Final = 64
_SPLIT: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?")
#: What no name holds: control characters (C0, DEL, C1: a line break in a label is a line
#: of YOLO's classes.txt), and the bidirectional controls that make a name read otherwise
#: than it is (U+202A-U+202E, U+2066-U+2069).
_NOT_IN_NAMES: Final = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_DRIVE: Final = re.compile(r"[A-Za-z]:")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored or written as text, or ``None`` when it can: it must
    be well-formed Unicode (JSON's ``"\\ud800"`` is a lone surrogate, which no encoding
    holds) and hold no NUL character (which PostgreSQL and C strings cannot)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"expected valid Unicode text, got a lone surrogate at character {exc.start}"
    if "\x00" in value:
        return f"expected text without NUL characters (at character {value.index(chr(0))})"
    return None


def name_problem(value: object, *, what: str = "name", limit: int = MAX_NAME) -> str | None:
    """Why ``value`` cannot be the name of a thing (or a tag), or ``None`` when it can: a
    string of 1 to ``limit`` characters, valid text, no control characters (no line breaks,
    no tabs), no bidirectional controls, no spaces at either end."""
    if not isinstance(value, str):
        return f"expected a {what} (a string), got {type(value).__name__}"
    if not value.strip():
        return f"expected a non-empty {what}"
    if len(value) > limit:
        return f"expected a {what} of at most {limit} characters, got {len(value)}"
    problem = text_problem(value)
    if problem is not None:
        return problem
    bad = _NOT_IN_NAMES.search(value)
    if bad is not None:
        return (
            f"expected a {what} without control characters (line breaks, tabs) or "
            f"bidirectional controls, got {bad.group()!r} at character {bad.start()}"
        )
    if value != value.strip():
        return f"expected a {what} without spaces at either end"
    return None


def label_problem(value: object) -> str | None:
    """Why ``value`` cannot be a label's name (a line of YOLO's ``classes.txt``, an XML
    text, a COCO category): see :func:`name_problem`."""
    return name_problem(value, what="label name")


def tag_problem(value: object) -> str | None:
    """Why ``value`` cannot be a tag: see :func:`name_problem`, at most ``MAX_TAG`` long."""
    return name_problem(value, what="tag", limit=MAX_TAG)


def file_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a file's name (a picture's, a file asset's, a network file's),
    or ``None`` when it can; one rule for the datalake, the files and every format.

    A file name is a base name: a string, not only spaces, valid text without control
    characters, no folder part (``/`` or ``\\``), not absolute (``/x``, ``C:x.png``), not
    ``.`` or ``..``, at most 255 bytes in UTF-8 (what file systems hold).
    """
    if not isinstance(name, str):
        return f"expected a file name (a string), got {type(name).__name__}"
    if not name.strip():
        return "expected a non-empty file name"
    problem = text_problem(name)
    if problem is not None:
        return problem
    if name[0] in "/\\" or _DRIVE.match(name):
        return "expected a relative file name, got an absolute path"
    if "/" in name or "\\" in name:
        if ".." in re.split(r"[/\\]", name):
            return "expected a file name without '..'"
        return "expected a base file name such as 'img_001.jpg', without folders ('/' or '\\')"
    if name in (".", ".."):
        return f"expected a file name, got {name!r}"
    bad = _NOT_IN_NAMES.search(name)
    if bad is not None:
        return f"expected a file name without control characters, got {bad.group()!r}"
    if len(name.encode("utf-8")) > MAX_FILE_NAME:
        return f"expected a file name of at most {MAX_FILE_NAME} bytes in UTF-8"
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
