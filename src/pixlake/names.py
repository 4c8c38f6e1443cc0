"""Checks on names that come from users and end up in paths or URLs.

Shared by the server, the formats and the SDK (which checks before sending), so it imports
only the standard library, the exception tree and ``pixlake.problems``.
"""

from __future__ import annotations

import os
import re
from typing import Final

from pixlake.errors import InvalidInputError
from pixlake.problems import describe

__all__ = [
    "DEFAULT_SPLIT",
    "DIGEST_RE",
    "MAX_FILE_NAME",
    "MAX_FILE_STEM",
    "MAX_NAME",
    "MAX_SPLIT",
    "MAX_TAG",
    "base_name_of",
    "check_file_name",
    "file_name_problem",
    "folder_path_of",
    "label_problem",
    "name_problem",
    "path_problem",
    "split_of",
    "split_problem",
    "tag_problem",
    "text_problem",
]

#: The longest file name, in bytes of UTF-8 (what Linux and macOS file systems hold; a
#: Windows name holds 255 UTF-16 units, never fewer than its UTF-8 bytes).
MAX_FILE_NAME: Final = 255
#: The longest stem of a file name, in bytes of UTF-8: the file a format writes beside an
#: image (``<stem>.xml``, ``<stem>.txt``) must be a file name too.
MAX_FILE_STEM: Final = MAX_FILE_NAME - len(".xml")
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
_ABSOLUTE: Final = re.compile(r"^(?:[/\\]|[A-Za-z]:)")
_SEPARATORS: Final = re.compile(r"[/\\]")
#: What Windows refuses in a file name besides control characters and separators.
_NOT_IN_FILE_NAMES: Final = re.compile(r'[<>:"|?*]')
_NOT_IN_FILE_NAMES_TEXT: Final = '< > : " | ? *'
#: A name that plainly passes every check of :func:`file_name_problem`: printable ASCII
#: but for what Windows refuses, no space or dot at either end, not a device name, short
#: enough in bytes for any stem (``tests/test_names.py`` holds it to the checks themselves).
_PLAIN_FILE_NAME: Final = re.compile(
    r"(?![. ])(?!(?i:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\.|\Z))"
    r"[ !#-)+-.0-9;=@-\[\]-{}~]{1,251}(?<![. ])"
)
#: Windows' device names, which name a device whatever the extension (``nul.jpg``).
_DEVICE: Final = re.compile(
    r"(?i:CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])"
)


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


#: What a name written unescaped into a URL's path does not survive: ``/`` splits it, ``?``
#: and ``#`` end the path, and ``%`` starts an escape the server decodes (``a%41`` arrives
#: as ``aA``).
_NOT_IN_PATHS: Final = re.compile(r"[/?#%]")


def path_problem(name: str, *, what: str = "name") -> str | None:
    """Why ``name`` would not come back intact from a URL's path written without escapes, as
    the upstream client writes its names of datasets, projects, experiments, networks and
    assets (``None`` when it would): it holds ``/``, ``?``, ``#`` or ``%``, or is ``.`` or
    ``..``, segments that clients drop before sending."""
    bad = _NOT_IN_PATHS.search(name)
    if bad is not None:
        return (
            f"expected a {what} without '/', '?', '#' or '%', got {bad.group()!r} at character "
            f"{bad.start()}: names travel in URL paths, where clients that do not escape them "
            "would cut or change them"
        )
    if name in (".", ".."):
        return f"expected a {what} other than '.' or '..', which URL paths drop"
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
    or ``None`` when it can: the one rule of the datalake, the files, the SDK and every
    format (``docs/decisions/0021-one-file-name-rule.md``).

    A file name is a base name that every export format can write as a file on Linux, macOS
    and Windows, and that the field's tools read back under the same name:

    - a string of valid Unicode (no lone surrogate), not empty, not only spaces;
    - no control character (NUL, line breaks, tabs, C1) and no bidirectional control;
    - no folder part (``/``, ``\\``) and none of ``< > : " | ? *``, which Windows refuses
      (``:`` would also make ``C:x.jpg`` a drive and ``a.jpg:x`` a hidden stream);
    - no space at either end and no dot at the end (Windows drops them, so ``a.jpg `` would
      be written as ``a.jpg``), no dot at the start (a hidden file, which folder listings
      skip: ``.`` and ``..`` are refused with it);
    - not a device name of Windows (``CON``, ``NUL``, ``COM1``... with any extension);
    - at most 255 bytes in UTF-8, and its stem (less the extension) at most 251, so that the
      file a format writes beside it (``<stem>.xml``, ``<stem>.txt``) fits too.

    Unicode normalization is left as it is: a name is kept as given, so ``é`` composed (NFC)
    and decomposed (NFD) are two names.
    """
    if not isinstance(name, str):
        return f"expected a file name (a string), got {type(name).__name__}"
    if _PLAIN_FILE_NAME.fullmatch(name) is not None:
        return None  # the common case, in one match: what follows says why not
    return _file_name_problem(name)


def _file_name_problem(name: str) -> str | None:
    """:func:`file_name_problem` of a string, check by check (each with its reason)."""
    if not name.strip():
        return "expected a non-empty file name"
    problem = text_problem(name)
    if problem is not None:
        return problem
    if name[0] in "/\\" or _DRIVE.match(name):
        return "expected a relative file name, got an absolute path"
    if "/" in name or "\\" in name:
        if ".." in _SEPARATORS.split(name):
            return "expected a file name without '..'"
        return "expected a base file name such as 'img_001.jpg', without folders ('/' or '\\')"
    if name in (".", ".."):
        return f"expected a file name, got {name!r}"
    bad = _NOT_IN_NAMES.search(name)
    if bad is not None:
        return f"expected a file name without control characters, got {bad.group()!r}"
    bad = _NOT_IN_FILE_NAMES.search(name)
    if bad is not None:
        return (
            f"expected a file name without {_NOT_IN_FILE_NAMES_TEXT} (Windows refuses them), "
            f"got {bad.group()!r} at character {bad.start()}"
        )
    if name != name.strip(" "):
        return "expected a file name without spaces at either end"
    if name.endswith("."):
        return "expected a file name that does not end with a dot (Windows drops it)"
    if name.startswith("."):
        return "expected a file name that does not start with a dot (a hidden file)"
    if _DEVICE.fullmatch(name.split(".", 1)[0]):
        return f"expected a file name that is not a Windows device name, got {name!r}"
    size = len(name.encode("utf-8"))
    if size > MAX_FILE_NAME:
        return f"expected a file name of at most {MAX_FILE_NAME} bytes in UTF-8, got {size}"
    stem = len(os.path.splitext(name)[0].encode("utf-8"))
    if stem > MAX_FILE_STEM:
        return (
            f"expected a file name whose stem (less its extension) is at most {MAX_FILE_STEM} "
            f"bytes in UTF-8, got {stem}: a format writes <stem>.xml or <stem>.txt beside it"
        )
    return None


def base_name_of(path: object) -> tuple[str | None, str | None]:
    """The base name of a relative path a format gives (COCO ``file_name``, VOC
    ``<filename>``): ``(name, None)``, or ``(None, problem)``.

    Folders are dropped (``train/a.jpg`` gives ``a.jpg``); ``..``, absolute paths and NUL
    bytes are refused, and the base name must pass :func:`file_name_problem`.
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
    """A relative path that :func:`base_name_of` accepted, with ``/`` between its parts,
    when it has folders (``train\\a.jpg`` gives ``train/a.jpg``); ``None`` for a bare name."""
    parts = [part for part in _SEPARATORS.split(path) if part not in ("", ".")]
    return "/".join(parts) if len(parts) > 1 else None


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
